"""Amounts and quantities as a cashier types them or a POS sends them, checked the same way everywhere."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_QUANTITY = 999
MAX_AMOUNT = Decimal("100000")


def amount_parse(value, *, field_name: str, allow_empty: bool = True) -> Decimal | None:
    """A money amount typed or sent (a comma as decimal separator too): None when empty, else a Decimal
    with 2 places, never negative nor absurd. Raises ValidationError on `field_name`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_empty:
            return None
        raise ValidationError({field_name: _("Enter an amount.")})
    try:
        amount = Decimal(str(value).strip().replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise ValidationError({field_name: _("Enter an amount, such as 12.50.")}) from None
    if not amount.is_finite():
        raise ValidationError({field_name: _("Enter an amount, such as 12.50.")})
    if amount < 0:
        raise ValidationError(
            {field_name: _("An amount cannot be negative: a refund is made from the line.")}
        )
    if amount >= MAX_AMOUNT:
        raise ValidationError({field_name: _("This amount is too large.")})
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def quantity_parse(value, *, field_name: str = "quantity") -> int:
    try:
        quantity = int(str(value).strip()) if value not in (None, "") else 1
    except (TypeError, ValueError):
        raise ValidationError({field_name: _("Enter a whole number.")}) from None
    if quantity < 1:
        raise ValidationError({field_name: _("At least 1: a refund is made from the line.")})
    if quantity > MAX_QUANTITY:
        raise ValidationError({field_name: _("At most %(n)d at once.") % {"n": MAX_QUANTITY}})
    return quantity
