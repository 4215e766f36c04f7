"""One row of a file read as the till reads a customer: cleaned values or the reasons it is refused, and
the outcome of checking or importing a file (counts, errors, the rejected rows' file)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from contextlib import suppress
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.models import (
    Civility,
    CustomerType,
)
from customers.normalise import name_key, name_split
from customers.services import (
    _clean_contact,
)
from desk.imports import review
from desk.imports.history import history_values
from desk.imports.mapping import LENGTHS, REQUIRED
from loyalty.openings import MAX_POINTS, MAX_PUNCHES
from shopcrm.spreadsheet import cell_neutralised
from shopcrm.tables.reading import TEXT_MARK

# What no name, phone, address or note holds (a NUL cannot even be stored); tab and line breaks are fine.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CIVILITIES = {
    "m": Civility.MR,
    "mr": Civility.MR,
    "monsieur": Civility.MR,
    "mister": Civility.MR,
    "mme": Civility.MRS,
    "madame": Civility.MRS,
    "mrs": Civility.MRS,
    "mlle": Civility.MS,
    "mademoiselle": Civility.MS,
    "ms": Civility.MS,
    "miss": Civility.MS,
    "mx": Civility.MX,
}
# Consent cells as the peers write them: Shopify yes/no, Square subscribed/unsubscribed, a spreadsheet 1.
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x", "ok", "subscribed", "opted in", "opt in", "optin"}
YES |= {"accepted", "accepte", "inscrit", "abonne", "consent given", "granted"}
NO = {"non", "n", "no", "0", "false", "faux", "", "unsubscribed", "not subscribed", "never subscribed"}
NO |= {
    "opted out",
    "opt out",
    "optout",
    "declined",
    "refuse",
    "desinscrit",
    "desabonne",
    "pending",
    "invalid",
}
NO |= {"not opted in", "redacted", "none"}


@dataclass
class Outcome:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows of customers already here, left as they are (the import adds new customers only).
    kept: int = 0
    invalid: int = 0
    # Rows whose file says "subscribed" for an address that opted out, unsubscribed or bounces here.
    consent_refused: int = 0
    # Rows whose file says "yes" to texts for a phone that is a landline (phonenumbers' number type).
    landline_consents: int = 0
    # Rows carrying a points balance or card progress from the previous software; and what became of them.
    openings: int = 0
    openings_done: dict = field(default_factory=dict)
    # (row number in the file, counting the header as row 1; column header or ""; message)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    rejected: list[tuple[int, list[str], str]] = field(default_factory=list)
    # The check: what it would change on existing customers (the first ones), and its plan for the confirm.
    changes: list[list] = field(default_factory=list)
    plan: review.Plan = field(default_factory=review.Plan)
    # The confirm: rows left out because they have become something else since the check.
    differs: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self, max_errors: int = 500, *, check: bool = False) -> dict:
        result = {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept": self.kept,
            "invalid": self.invalid,
            "consent_refused": self.consent_refused,
            "landline_consents": self.landline_consents,
            "openings": self.openings,
            "openings_done": self.openings_done,
            "errors": [list(e) for e in self.errors[:max_errors]],
            "changes": self.changes[: review.CHANGES_SHOWN],
            "differs": [list(d) for d in self.differs[:max_errors]],
            "differs_count": len(self.differs),
        }
        if check:
            result["plan"] = self.plan.as_dict()
        return result


def yes_no(value: str) -> bool:
    key = name_key(value)
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValidationError(_("Write yes or no."))


def row_clean(shop, cells: list[str], mapping: dict[int, str]) -> dict:
    """The row's values for the mapped fields, cleaned like the till cleans them. Raises ValidationError
    as {field: [messages]}."""
    raw: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for index, field_name in mapping.items():
        value = cells[index] if index < len(cells) else ""
        if value.startswith("="):
            errors[field_name] = [_("This cell holds a formula; put its value in the file instead.")]
            continue
        if CONTROL_CHARACTERS.search(value):
            errors[field_name] = [_("This cell holds invisible control characters; retype its value.")]
            continue
        if value.startswith(TEXT_MARK):
            # A spreadsheet's "keep as text" mark (Shopify writes '7001000000001, '01000; our export marks
            # text that starts like a formula): the value is what follows it.
            value = value[1:]
        raw[field_name] = value
    if "full_name" in raw:
        first, last = name_split(raw.pop("full_name"), shop.name_order)
        if not raw.get("first_name") and not raw.get("last_name"):
            raw["first_name"], raw["last_name"] = first, last
    values: dict = {}
    for field_name in ("email_consent", "sms_consent"):
        if field_name in raw:
            try:
                values[field_name] = yes_no(raw.pop(field_name))
            except ValidationError as exc:
                errors[field_name] = exc.messages
    opening = {}
    for field_name, key, top in (
        ("points_balance", "points", MAX_POINTS),
        ("card_purchases", "punches", MAX_PUNCHES),
    ):
        text = "".join((raw.pop(field_name, "") or "").split())
        if not text:
            continue
        if not (text.isascii() and text.isdigit()) or int(text) > top:
            errors[field_name] = [_("A whole number from 0 to %(top)s.") % {"top": f"{top:,}"}]
        elif int(text):
            opening[key] = int(text)
    if opening:
        values["opening"] = opening
    history, history_errors = history_values(raw, country=shop.country)
    values.update(history)
    errors.update(history_errors)
    if "tags" in raw:
        text = raw.pop("tags").replace(";", ",")
        values["tags"] = [" ".join(t.split())[:40] for t in text.split(",") if t.strip()]
    if "civility" in raw:
        civility = raw.pop("civility").strip()
        key = name_key(civility).replace(" ", "")
        if civility and key not in CIVILITIES:
            errors["civility"] = [_("Unknown civility (use M., Mme, Mr, Mrs, Ms or Mx).")]
        elif civility:
            values["civility"] = CIVILITIES[key]
    try:
        values.update(_clean_contact(shop, raw))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        if "phone" in exc.message_dict and raw.get("phone"):
            hint = review.phone_damage(raw["phone"], shop.country)
            if hint:
                errors["phone"] = [hint]
        # The other cells are still read, so a bad email or phone is not reported as empty names too.
        rest = {name: value for name, value in raw.items() if name not in exc.message_dict}
        with suppress(ValidationError):
            values.update(_clean_contact(shop, rest))
    whole = any(f == "full_name" for f in mapping.values())
    for name in REQUIRED:
        if name not in errors and not values.get(name):
            if whole and not any(f == name for f in mapping.values()):
                errors["full_name"] = [_("Write the first and the last name.")]
            else:
                errors[name] = [_("This cell is empty.")]
    for name, value in values.items():
        limit = LENGTHS.get(name)
        if limit and isinstance(value, str) and len(value) > limit and name not in errors:
            errors[name] = [_("Too long: at most %(limit)d characters.") % {"limit": limit}]
    if errors:
        raise ValidationError(errors)
    if values.get("company_name"):
        values["type"] = CustomerType.PROFESSIONAL
    return values


def rejected_csv(outcome: Outcome, headers: list[str]) -> bytes:
    """The rejected rows as they were in the file, with their row number and the reason in front."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Neutralised like an export: a rejected row is often a crafted one, and this file is opened in Excel.
    writer.writerow([_("Row"), _("Reason"), *(cell_neutralised(h) for h in headers)])
    for number, cells, message in outcome.rejected:
        writer.writerow([number, cell_neutralised(message), *(cell_neutralised(c) for c in cells)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode()
