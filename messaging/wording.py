"""The words a customer is shown when asked for consent, versioned so the ledger can prove what was said."""

from django.utils import translation
from django.utils.translation import gettext as _

WORDING_VERSION = "v1"


def sms_consent_wording(shop) -> str:
    with translation.override(shop.language):
        return _(
            "%(shop)s would like to send you texts about your orders and offers. "
            "Reply YES or tap the link to agree. Reply STOP at any time to stop."
        ) % {"shop": shop.name}


def email_consent_wording(shop) -> str:
    with translation.override(shop.language):
        return _(
            "%(shop)s will send you a welcome email. Confirm your address to receive news and offers; "
            "every email has an unsubscribe link."
        ) % {"shop": shop.name}
