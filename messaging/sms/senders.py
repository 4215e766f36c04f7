"""Who a shop's texts come from: its own Twilio number, a Messaging Service, an alphanumeric sender name
where the destination country allows one, or the platform's shared number."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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


def validate_shop_sender(shop) -> None:
    """A number in E.164, a Messaging Service SID, or (outside the US and Canada) a name of 1 to 11
    letters and digits. Normalises a number to E.164."""
    sender = (shop.sms_sender or "").strip()
    if not sender or is_service(sender):
        shop.sms_sender = sender
        return
    if PHONE_LIKE.match(sender):
        try:
            number = phonenumbers.parse(sender, shop.country)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(
                {"sms_sender": _("Enter a valid phone number, with its country prefix (+…).")}
            )
        shop.sms_sender = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return
    if not ALPHANUMERIC.match(sender):
        raise ValidationError(
            {
                "sms_sender": _(
                    "A sender name has 1 to 11 letters, digits or spaces, with at least one letter."
                )
            }
        )
    if shop.country in NO_ALPHANUMERIC:
        raise ValidationError(
            {
                "sms_sender": _(
                    "Carriers in this country refuse sender names: use a phone number or a Messaging Service."
                )
            }
        )
    shop.sms_sender = sender
