"""The history an old system carries — first and last visit, number of visits, total spent, birthday —
read from a file's cells as people and spreadsheets write them.

Dates: 2024-03-05 (with or without a time), or day/month/year in shops of countries that write the day
first (05/03/2024 in France) and month/day/year in the US; a date a spreadsheet turned into a serial number
(45356) is refused saying so. Amounts: "1 234,50 €", "$1,234.50", "12.5". Visits: a whole number.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# The fields, in the order the mapping form shows them.
FIELDS = ("first_visit_at", "last_visit_at", "visit_count", "total_spent", "birthday")
DATE_TIMES = ("first_visit_at", "last_visit_at")
# Countries whose people write the month first.
MONTH_FIRST = {"US", "PH", "FM", "MH", "PW", "CA"}
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_SLASHED = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_SERIAL = re.compile(r"^\d{4,6}([.,]\d+)?$")
_MONEY_NOISE = re.compile(r"[^\d,.\-]")


def history_values(raw: dict[str, str], *, country: str) -> tuple[dict, dict[str, list[str]]]:
    """The history fields among `raw` (popped from it) as Python values, and the errors per field."""
    values, errors = {}, {}
    for name in FIELDS:
        text = " ".join((raw.pop(name, "") or "").split())
        if not text:
            continue
        try:
            if name in DATE_TIMES:
                values[name] = _moment(text, country)
            elif name == "birthday":
                values[name] = _day(text, country)
            elif name == "visit_count":
                values[name] = _count(text)
            else:
                values[name] = _amount(text)
        except ValidationError as exc:
            errors[name] = exc.messages
    first, last = values.get("first_visit_at"), values.get("last_visit_at")
    if first and last and first > last and "last_visit_at" not in errors:
        errors["last_visit_at"] = [_("The last visit is before the first one.")]
    return values, errors


def _parts(text: str, country: str) -> tuple[int, int, int, int, int, int, str]:
    if _SERIAL.match(text):
        raise ValidationError(
            _("A spreadsheet turned this date into a number (%(value)s): format the column as a date.")
            % {"value": text}
        )
    found = _ISO.match(text)
    if found:
        y, m, d, hh, mm, ss, zone = found.groups()
        return int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0), zone or ""
    found = _SLASHED.match(text)
    if found:
        a, b, y, hh, mm, ss = found.groups()
        day, month = (int(b), int(a)) if country in MONTH_FIRST else (int(a), int(b))
        year = int(y) + (2000 if int(y) < 70 else 1900) if len(y) == 2 else int(y)
        return year, month, day, int(hh or 0), int(mm or 0), int(ss or 0), ""
    raise ValidationError(_("Write the date as 2024-03-05 or %(example)s.") % {"example": _example(country)})


def _example(country: str) -> str:
    return "03/05/2024" if country in MONTH_FIRST else "05/03/2024"


def _day(text: str, country: str) -> datetime.date:
    year, month, day, *_rest = _parts(text, country)
    try:
        value = datetime.date(year, month, day)
    except ValueError:
        raise ValidationError(_("This date does not exist.")) from None
    if not (1900 <= value.year <= timezone.localdate().year):
        raise ValidationError(_("This date is not plausible."))
    return value


def _moment(text: str, country: str) -> datetime.datetime:
    year, month, day, hour, minute, second, zone = _parts(text, country)
    try:
        value = datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise ValidationError(_("This date does not exist.")) from None
    if zone:
        value = datetime.datetime.fromisoformat(f"{value.isoformat()}{'+00:00' if zone == 'Z' else zone}")
    else:
        value = timezone.make_aware(value)  # in the shop's time zone (the import runs in it)
    if not (value.year >= 2000) or value > timezone.now() + datetime.timedelta(days=1):
        raise ValidationError(_("This date is not plausible for a visit."))
    return value


def _count(text: str) -> int:
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d+([.,]0+)?", cleaned):
        return int(re.split(r"[.,]", cleaned)[0])
    raise ValidationError(_("Write a whole number of visits."))


def _amount(text: str) -> Decimal:
    cleaned = _MONEY_NOISE.sub("", text)
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
    elif "," in cleaned:
        decimal_mark = "," if re.search(r",\d{1,2}$", cleaned) else ""
    else:
        decimal_mark = "." if re.search(r"\.\d{1,2}$", cleaned) else ""
    thousands = {",", "."} - {decimal_mark}
    for mark in thousands:
        cleaned = cleaned.replace(mark, "")
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(_("Write an amount, such as 1234.50.")) from None
    if value < 0 or value >= Decimal("10000000000"):
        raise ValidationError(_("This amount is not plausible."))
    return value.quantize(Decimal("0.01"))
