"""Template filters of messaging's pages."""

from django import template
from django.utils import formats
from django.utils.dateparse import parse_datetime

register = template.Library()


@register.filter
def when(value: str) -> str:
    """An ISO date-time (as `messaging.access` writes them) in the reader's short date-time format."""
    moment = parse_datetime(value or "")
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT") if moment else (value or "")
