"""How names, emails and phones are cleaned before they are stored or compared."""

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

_APOSTROPHES = "'’ʼ`´"
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.,/]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def name_key(value: str) -> str:
    """Lower-case, accent- and apostrophe-free form used to match names.

    “O’Connor-Hélène” → “oconnor helene”.
    """
    # Control characters (NUL can reach us from a pasted or imported text) separate like spaces.
    decomposed = unicodedata.normalize("NFKD", _CONTROL.sub(" ", value or ""))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.casefold()
    for mark in _APOSTROPHES:
        stripped = stripped.replace(mark, "")
    return _SEPARATORS.sub(" ", stripped).strip()


def email_normalise(value: str) -> str:
    """Trim, lower-case the domain (the local part is the mailbox owner's), and validate."""
    value = (value or "").strip()
    if not value:
        return ""
    local, at, domain = value.rpartition("@")
    if not at:
        raise ValidationError(_("Enter a valid email address."), code="invalid")
    value = f"{local}@{domain.lower()}"
    validate_email(value)
    return value


def phone_parse(value: str, region: str) -> phonenumbers.PhoneNumber | None:
    """Parse a typed number with the shop's country as default region. None when empty.

    Raises ValidationError when it is not a possible, valid number.
    """
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("00"):
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a valid phone number."), code="invalid") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number."), code="invalid")
    return number


def phone_e164(number: phonenumbers.PhoneNumber | None) -> str:
    if number is None:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=8192)
def phone_display(e164: str, region: str) -> str:
    """National format for the shop's own country, international for the rest."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(str(e164), None)
    except phonenumbers.NumberParseException:
        return str(e164)
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_national(e164: str) -> str:
    """The number as dialled inside its own country ("06 12 34 56 78", "(415) 555-0100")."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def prefill_from_query(query: str, name_order: str = "first_last") -> dict:
    """What "Add customer" carries over from the till's search box: a phone, an email, or a name. A name of
    two words or more is split in the shop's order (first word the first name, the rest the last name —
    "Yann Le Gall" — or the other way round); a word in capitals is the last name whatever the order
    ("DUPONT Marie", "Marie DUPONT")."""
    query = " ".join(query.split())[:150]
    if not query:
        return {}
    digits = sum(ch.isdigit() for ch in query)
    if digits >= 6 and digits >= len(query.replace(" ", "")) * 0.6:
        return {"phone": query}
    if "@" in query:
        return {"email": query}
    first, last = name_split(query, name_order)
    return {"first_name": first, "last_name": last} if first else {"last_name": last}


def name_split(text: str, name_order: str = "first_last") -> tuple[str, str]:
    """(first name, last name) of a whole name, in the shop's order: the first word is the first name and the
    rest the last name ("Yann Le Gall"), or the other way round; a word in capitals is the last name whatever
    the order ("DUPONT Marie", "Marie DUPONT"). One word is a last name."""
    words = " ".join((text or "").split()).split(" ")
    if len(words) == 1:
        return "", words[0]
    capitals = [w for w in words if len(w) > 1 and w.isupper()]
    if capitals and len(capitals) < len(words):
        return " ".join(w for w in words if w not in capitals), " ".join(capitals)
    if name_order == "last_first":
        return words[-1], " ".join(words[:-1])
    return words[0], " ".join(words[1:])


def phone_is_mobile(e164: str) -> bool:
    """Whether a stored number can receive texts: a mobile (or, where numbering cannot tell, either)."""
    try:
        number = phonenumbers.parse(str(e164 or ""), None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
