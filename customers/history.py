"""A customer's history as people read it: field names in the reader's language, values as they are shown
elsewhere (a phone in the shop's national format, a list as text, a choice by its label), the import's and
the retention's lines included."""

from __future__ import annotations

import ast
import datetime
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.formats import date_format

from customers.models import Customer, CustomerChange
from customers.normalise import phone_display


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryLine:
    change: CustomerChange
    fields: list[FieldChange] = field(default_factory=list)


def _model_field(name: str):
    try:
        return Customer._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _as_text(value: str, model_field, region: str) -> str:
    text = str(value or "")
    if not text:
        return ""
    if model_field is None:
        return text
    if model_field.name == "phone":
        return phone_display(text, region)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(text, text))
    if model_field.get_internal_type() in ("DateTimeField", "DateField"):
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            return text
        if model_field.get_internal_type() == "DateField":
            return date_format(moment.date(), "SHORT_DATE_FORMAT")
        return date_format(
            timezone.localtime(moment) if timezone.is_aware(moment) else moment, "SHORT_DATETIME_FORMAT"
        )
    if text.startswith("[") and text.endswith("]"):  # a list kept as its repr (other emails)
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        if isinstance(items, list):
            return ", ".join(str(item) for item in items)
    return text


def field_label(name: str) -> str:
    """A customer field's name as people read it ("email_status" → "Email status"); other keys as given."""
    model_field = _model_field(name)
    label = str(model_field.verbose_name) if model_field is not None else name
    return label[:1].upper() + label[1:]


def value_text(name: str, value, region: str) -> str:
    """A stored value of field `name` as it is shown elsewhere (a phone nationally, a choice by its label)."""
    return _as_text(value, _model_field(name), region)


def history_lines(*, shop, changes: list[CustomerChange]) -> list[HistoryLine]:
    """Each change with its fields as (label, old, new) in words. Keys that are not fields (the import's
    file, a reason for keeping) were written in the shop's words and stay as they are."""
    lines = []
    for change in changes:
        line = HistoryLine(change)
        for name, pair in (change.details or {}).items():
            if not (isinstance(pair, list) and len(pair) == 2):
                continue
            line.fields.append(
                FieldChange(
                    field_label(name),
                    value_text(name, pair[0], shop.country),
                    value_text(name, pair[1], shop.country),
                )
            )
        lines.append(line)
    return lines
