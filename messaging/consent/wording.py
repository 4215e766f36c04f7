"""The catalogue of consent wordings: for each purpose and channel, the exact sentence a customer agrees to,
with a version. The same sentence is shown next to the box at the till, said in the text or the email that
asks, and repeated on the page where the customer confirms; the ledger stores it with its version.

A wording is never edited once it has been used: a new sentence is a new version appended to its list
(the last is the current one), so every version the ledger names can still be read here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

MARKETING = "marketing"
SERVICE = "service"


@dataclass(frozen=True)
class Wording:
    purpose: str
    channel: str
    version: str
    statement: str  # lazy, with %(shop)s

    def text(self, shop) -> str:
        """The sentence in the shop's language, with its name."""
        with translation.override(shop.language):
            return str(self.statement) % {"shop": shop.name}


CATALOGUE: dict[tuple[str, str], tuple[Wording, ...]] = {
    (MARKETING, "sms"): (
        Wording(
            MARKETING,
            "sms",
            "v1",
            _(
                "%(shop)s would like to send you texts about your orders and offers. "
                "Reply YES or tap the link to agree. Reply STOP at any time to stop."
            ),
        ),
        Wording(
            MARKETING,
            "sms",
            "sms-marketing-2",
            _("%(shop)s will text you about your orders and offers, until you reply STOP."),
        ),
    ),
    (MARKETING, "email"): (
        Wording(
            MARKETING,
            "email",
            "v1",
            _(
                "%(shop)s will send you a welcome email. Confirm your address to receive news and offers; "
                "every email has an unsubscribe link."
            ),
        ),
        Wording(
            MARKETING,
            "email",
            "email-marketing-2",
            _("%(shop)s will email you its news and offers; every email has a link to unsubscribe."),
        ),
    ),
    (SERVICE, "sms"): (
        Wording(
            SERVICE,
            "sms",
            "sms-service-1",
            _("%(shop)s will text you when an order is ready or about an appointment."),
        ),
    ),
    (SERVICE, "email"): (
        Wording(
            SERVICE,
            "email",
            "email-service-1",
            _("%(shop)s will email you when an order is ready or about an appointment."),
        ),
    ),
}

# What an import's consent column is recorded with: the shop's word that its previous software held it.
IMPORTED = Wording(
    MARKETING,
    "",
    "import-1",
    _("Consent recorded in the shop's previous software, imported from its file."),
)


def current(channel: str, purpose: str = MARKETING) -> Wording:
    return CATALOGUE[(purpose, channel)][-1]


def find(version: str, channel: str, purpose: str = MARKETING) -> Wording | None:
    """The wording a ledger event names, if the catalogue knows it."""
    return next((w for w in CATALOGUE.get((purpose, channel), ()) if w.version == version), None)
