"""Who a shop's texts come from: its own Twilio number, a Messaging Service, an alphanumeric sender name
where the destination country allows one, or the platform's shared number.

A sender is the platform's to give: numbers and Messaging Services live in the platform's provider account,
and whoever holds a sender is who its recipients believe is texting them, and whom their replies (YES, STOP)
are credited to. So a shop never types its sender: the platform assigns one (`manage.py sms_sender_assign`),
one sender belongs to one shop at most (a unique constraint across shops), and every change is logged
(`SenderChange`)."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shopcrm.tenancy import shop_context

SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
PHONE_LIKE = re.compile(r"^[+(]?[\d\s().-]+$")
ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
# Countries whose carriers refuse alphanumeric sender IDs (replies are impossible there too).
NO_ALPHANUMERIC = {"US", "CA", "PR"}


def sender_of(shop) -> str:
    """The sender a text of `shop` goes out with."""
    return shop.sms_sender or settings.TWILIO_FROM_NUMBER


def is_service(sender: str) -> bool:
    return bool(SERVICE_SID.match(sender or ""))


def sender_normalise(sender: str, country: str) -> str:
    """A number in E.164, a Messaging Service SID, or (outside the US and Canada) a name of 1 to 11
    letters and digits; '' for none. Raises ValidationError (key `sms_sender`) for anything else."""
    sender = (sender or "").strip()
    if not sender or is_service(sender):
        return sender
    if PHONE_LIKE.match(sender):
        try:
            number = phonenumbers.parse(sender, country)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(
                {"sms_sender": _("Enter a valid phone number, with its country prefix (+…).")}
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not ALPHANUMERIC.match(sender):
        raise ValidationError(
            {
                "sms_sender": _(
                    "A sender name has 1 to 11 letters, digits or spaces, with at least one letter."
                )
            }
        )
    if country in NO_ALPHANUMERIC:
        raise ValidationError(
            {
                "sms_sender": _(
                    "Carriers in this country refuse sender names: use a phone number or a Messaging Service."
                )
            }
        )
    return sender


def validate_shop_sender(shop) -> None:
    """A settings check (`SHOP_SETTINGS_CHECKS`): a shop moving to a country whose carriers refuse its
    sender name is told so next to the country, instead of its texts failing later."""
    sender = shop.sms_sender
    if sender and not is_service(sender) and not PHONE_LIKE.match(sender) and shop.country in NO_ALPHANUMERIC:
        raise ValidationError(
            {
                "country": _(
                    "Carriers in this country refuse your SMS sender name (%(sender)s): ask us for a "
                    "number before moving the shop there."
                )
                % {"sender": shop.sms_sender}
            }
        )


@transaction.atomic
def sender_assign(*, shop, sender: str, operator: str, reason: str = ""):
    """The platform gives `shop` the sender `sender` ('' takes it back: texts go from the shared number).
    Run by the operator (`manage.py sms_sender_assign`); enters the shop's tenant scope. Raises
    ValidationError (key `sms_sender`) for a malformed sender or one that another shop holds, and changes
    nothing then. Logs a `SenderChange` row; assigning the sender a shop already has changes nothing."""
    if not (operator or "").strip():
        raise ValidationError({"operator": _("Say who assigns the sender.")})
    new = sender_normalise(sender, shop.country)
    with shop_context(shop):
        return _sender_store(shop, new, operator, reason)


def _sender_store(shop, new: str, operator: str, reason: str):
    from messaging.models import SenderChange
    from shopcrm.models import Shop

    locked = Shop.objects.select_for_update().get(pk=shop.pk)
    before = locked.sms_sender
    if before == new:
        return locked
    locked.sms_sender = new
    try:
        with transaction.atomic():
            locked.save(update_fields=["sms_sender"])
    except IntegrityError:
        raise ValidationError(
            {"sms_sender": _("This sender belongs to another shop: release it there first.")}
        ) from None
    SenderChange.objects.create(
        shop=locked,
        how=SenderChange.How.ASSIGNED if new else SenderChange.How.RELEASED,
        before=before,
        after=new,
        operator=operator.strip()[:120],
        reason=(reason or "").strip()[:300],
    )
    shop.sms_sender = new
    return locked
