"""Amounts shown in the shop's currency, as its language writes them ("12,50 €", "$12.50"): the till's
purchases, the customer's total spent, loyalty's rewards and reports."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats, translation

EURO_COUNTRIES = {
    "AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT", "NL",
    "PT", "SI", "SK", "MC", "AD", "SM", "VA", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF",
}  # fmt: skip
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "$", "CHF": "CHF", "AUD": "$"}
OTHER = {"US": "USD", "GB": "GBP", "CA": "CAD", "CH": "CHF", "AU": "AUD", "PR": "USD"}


def currency_of(country: str) -> str:
    country = (country or "").upper()
    return "EUR" if country in EURO_COUNTRIES else OTHER.get(country, "EUR")


def money(amount, shop) -> str:
    """`amount` with two decimals in the shop's currency and language ('' for None)."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"))
    symbol = SYMBOLS[currency_of(shop.country)]
    with translation.override(shop.language):
        number = formats.number_format(abs(value), 2, use_l10n=True, force_grouping=True)
        sign = "-" if value < 0 else ""
        if shop.language.startswith("fr") or symbol == "CHF":
            return f"{sign}{number}\u00a0{symbol}"
        return f"{sign}{symbol}{number}"
