"""The consent states of each channel, as the customer's `email_status` / `sms_status` cache them. Only
`messaging.consent` moves a customer between them."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class EmailStatus(TextChoices):
    NONE = "none", _("No email consent yet")
    PENDING = "pending", _("Not yet verified")
    VERIFIED = "verified", _("Verified")
    # Single opt-in recorded by the shop's previous software (an import): consent, but never verified here.
    SUBSCRIBED = "subscribed", _("Subscribed (imported), not verified")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")


class SmsStatus(TextChoices):
    NONE = "none", _("No SMS consent")
    PENDING = "pending", _("Opt-in not yet confirmed")
    OPTED_IN = "opted_in", _("Opted in")
    SUBSCRIBED = "subscribed", _("Opted in (imported), not confirmed here")
    OPTED_OUT = "opted_out", _("Opted out")
