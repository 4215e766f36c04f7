"""What an import's check shows and what its confirm holds it to.

- The check lists, per customer it would update, the fields that change (old → new) and warns where a
  change looks like spreadsheet damage (leading zeros lost).
- It also keeps a plan: which rows it found new and, for each row it would update, the customer and a digest
  of the changes. The confirm writes only what the plan says: a row that has become something else since
  (a customer created meanwhile now matches a "new" row; a customer edited meanwhile makes other changes) is
  left out and reported, never silently applied.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

import phonenumbers
from django.utils.translation import gettext as _

from customers.history import field_label, value_text

CHANGES_SHOWN = 200


def damage(name: str, old: str, new: str) -> str:
    """A code for a change that looks like a spreadsheet's doing, or ""."""
    if old and new and old != new and old[0] == "0" and old.lstrip("0") == new:
        return "zeros"
    return ""


_SCIENTIFIC = re.compile(r"\s*\d([.,]\d+)?[eE]\+?\d+\s*")


def phone_damage(value: str, region: str) -> str:
    """Why a phone cell that does not parse looks like a spreadsheet's doing, in words, or ""."""
    if _SCIENTIFIC.fullmatch(value):
        return _(
            "A spreadsheet turned this number into %(value)s and lost its digits: keep the column as text "
            "and export the file again."
        ) % {"value": value.strip()}
    digits = re.sub(r"\D", "", value)
    if "+" not in value and 8 <= len(digits) <= 15:
        try:
            number = phonenumbers.parse("+" + digits, None)
        except phonenumbers.NumberParseException:
            return ""
        if phonenumbers.is_valid_number(number):
            return _(
                "This looks like an international number whose “+” a spreadsheet dropped: write +%(digits)s."
            ) % {"digits": digits}
    return ""


def change_entry(row: int, current: dict, diff: dict) -> list:
    """[row, customer number, name, [[field, old, new, damage], …]] for the check's page."""
    name = f"{current.get('first_name') or ''} {current.get('last_name') or ''}".strip()
    fields = [[key, old, new, damage(key, old, new)] for key, (old, new) in diff.items()]
    return [row, current.get("number", ""), name, fields]


def digest(pk: int, diff: dict) -> str:
    return hashlib.sha256(json.dumps([pk, diff], sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class Plan:
    """The check's decisions, row by row, compactly: new rows as ranges, updates as {row: digest}."""

    new: list[list[int]] = field(default_factory=list)
    updates: dict[str, str] = field(default_factory=dict)

    def add_new(self, row: int) -> None:
        if self.new and self.new[-1][1] == row - 1:
            self.new[-1][1] = row
        else:
            self.new.append([row, row])

    def add_update(self, row: int, pk: int, diff: dict) -> None:
        self.updates[str(row)] = digest(pk, diff)

    def is_new(self, row: int) -> bool:
        # Rows are few ranges in a file of new customers, and many in a mixed one: a binary search.
        lo, hi = 0, len(self.new)
        while lo < hi:
            mid = (lo + hi) // 2
            start, end = self.new[mid]
            if row < start:
                hi = mid
            elif row > end:
                lo = mid + 1
            else:
                return True
        return False

    def same_update(self, row: int, pk: int, diff: dict) -> bool:
        return self.updates.get(str(row)) == digest(pk, diff)

    def as_dict(self) -> dict:
        return {"new": self.new, "updates": self.updates}

    @classmethod
    def load(cls, data: dict | None) -> Plan | None:
        if not data:
            return None
        return cls(new=[list(r) for r in data.get("new", [])], updates=dict(data.get("updates", {})))


@dataclass
class ShownChange:
    label: str
    old: str
    new: str
    warning: str


@dataclass
class ShownCustomer:
    row: int
    number: str
    name: str
    fields: list[ShownChange]


def changes_shown(entries: list, *, region: str) -> list[ShownCustomer]:
    """The check's changes as people read them: field labels in the reader's language, statuses and phones
    as shown elsewhere (customers.history), a warning in words."""
    warnings = {
        "zeros": _("Leading zeros lost: was the file opened in a spreadsheet? Keep this column as text.")
    }
    shown = []
    for row, number, name, fields in entries or []:
        shown.append(
            ShownCustomer(
                row,
                number,
                name,
                [
                    ShownChange(
                        field_label(key),
                        value_text(key, old, region),
                        value_text(key, new, region),
                        warnings.get(code, ""),
                    )
                    for key, old, new, code in fields
                ],
            )
        )
    return shown


def since_check_message(kind: str, number: str = "") -> str:
    if kind == "now_matches":
        return _(
            "Since the check, this row matches customer %(number)s (added or changed meanwhile): not "
            "imported. Check the file again to import it."
        ) % {"number": number}
    if kind == "now_new":
        return _(
            "Since the check, the customer this row matched is gone: not imported. Check the file again."
        )
    return _(
        "Since the check, customer %(number)s was changed: this row would now change other things, so it "
        "was not imported. Check the file again."
    ) % {"number": number}
