"""Product codes as a scanner or a cashier gives them. A UPC-A, EAN-8/13 or GTIN-14 with a valid check digit
is kept as GTIN-13 where it fits (a UPC-A is an EAN-13 with a leading 0, so the same bag scans the same in the
US and in France); anything else (a SKU, a service's name) is kept as typed, spaces collapsed, upper-cased."""

from __future__ import annotations

from stdnum import ean

MAX_LENGTH = 64


def code_normal(text: str) -> str:
    """The form codes are stored and compared in ('' for nothing)."""
    value = " ".join(str(text or "").split()).upper()
    digits = value.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) in (8, 12, 13, 14) and ean.is_valid(digits):
        if len(digits) == 12:
            return "0" + digits
        if len(digits) == 14 and digits.startswith("0"):
            return digits[1:]
        return digits
    return value[:MAX_LENGTH]


def codes_parse(text: str) -> list[str]:
    """Codes one per line (commas and semicolons also separate), normalised, each once, in order."""
    seen: dict[str, None] = {}
    for part in str(text or "").replace(";", "\n").replace(",", "\n").splitlines():
        code = code_normal(part)
        if code:
            seen.setdefault(code, None)
    return list(seen)
