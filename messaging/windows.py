"""When a text may reach a phone. Marketing and consent-request SMS wait for the shop's legal window, in the
shop's time zone; service messages (a HELP answer, "your order is ready") and emails go at once.

- France (Code de la consommation, démarchage, and the CNIL's guidance for SMS): Monday to Saturday,
  08:00 to 20:00, never on a public holiday;
- United States (TCPA): 08:00 to 21:00, every day;
- anywhere else: the stricter of the two, Monday to Saturday 08:00 to 20:00.

A shop may narrow its window (settings "texts from" / "texts until"), never widen it: the hours are checked
when saved and clamped to the legal window when applied.

The worker does not drop what falls outside: it leaves the message queued with `not_before` set to the next
opening, and the outbox sweeper publishes it then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import holidays
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging.channels import channel_of
from messaging.models import OutboundMessage


@dataclass(frozen=True)
class Window:
    opens: dt.time
    closes: dt.time
    weekdays: frozenset[int]  # Monday is 0
    public_holidays: bool  # closed on the country's public holidays


MONDAY_TO_SATURDAY = frozenset(range(6))
WINDOWS = {
    "FR": Window(dt.time(8), dt.time(20), MONDAY_TO_SATURDAY, public_holidays=True),
    "US": Window(dt.time(8), dt.time(21), frozenset(range(7)), public_holidays=False),
}
DEFAULT = Window(dt.time(8), dt.time(20), MONDAY_TO_SATURDAY, public_holidays=True)

# Which categories of message wait for the window (OutboundMessage.category).
WAITING_CATEGORIES = {OutboundMessage.Category.CONSENT_REQUEST, OutboundMessage.Category.MARKETING}


def now() -> dt.datetime:
    """The clock the windows read (tests set it)."""
    return timezone.now()


def waits_for_window(message: OutboundMessage) -> bool:
    """Whether the message waits for the shop's window: its channel has one (texts, when SMS_SEND_WINDOWS
    is on) and it asks for consent or markets."""
    return message.category in WAITING_CATEGORIES and channel_of(message.channel).waits_for_window()


@cache
def _holidays(country: str, year: int):
    try:
        return holidays.country_holidays(country, years=year)
    except NotImplementedError:  # a country the package does not know: no holiday taken as closed
        return {}


def _open_on(window: Window, country: str, day: dt.date) -> bool:
    if day.weekday() not in window.weekdays:
        return False
    return not (window.public_holidays and day in _holidays(country, day.year))


def legal_window(shop) -> Window:
    return WINDOWS.get(shop.country, DEFAULT)


def shop_window(shop) -> Window:
    """The legal window narrowed by the shop's own hours (never widened)."""
    legal = legal_window(shop)
    opens = max(legal.opens, shop.sms_hours_from or legal.opens)
    closes = min(legal.closes, shop.sms_hours_until or legal.closes)
    if opens >= closes:  # inconsistent hours cannot close the shop's texts for good
        return legal
    return Window(opens, closes, legal.weekdays, legal.public_holidays)


def validate_shop_hours(shop) -> None:
    """The shop's texting hours lie within the law of its country and open before they close."""
    legal = legal_window(shop)
    hours = {"from": legal.opens.strftime("%H:%M"), "until": legal.closes.strftime("%H:%M")}
    errors = {}
    start, end = shop.sms_hours_from, shop.sms_hours_until
    if start and not legal.opens <= start < legal.closes:
        errors["sms_hours_from"] = (
            _("Texts may go from %(from)s to %(until)s here: choose a time in between.") % hours
        )
    if end and not legal.opens < end <= legal.closes:
        errors["sms_hours_until"] = (
            _("Texts may go from %(from)s to %(until)s here: choose a time in between.") % hours
        )
    if start and end and start >= end and "sms_hours_until" not in errors:
        errors["sms_hours_until"] = _("Choose a time after “texts from”.")
    if errors:
        raise ValidationError(errors)


def next_opening(shop, at: dt.datetime | None = None) -> dt.datetime | None:
    """None when a waiting text may go at `at` (default: now); else when the shop's window next opens."""
    window = shop_window(shop)
    local = (at or now()).astimezone(shop.tzinfo)
    if _open_on(window, shop.country, local.date()) and window.opens <= local.time() < window.closes:
        return None
    day = local.date() if local.time() < window.opens else local.date() + dt.timedelta(days=1)
    for _day in range(31):  # at most a few days ahead; a month bounds a calendar with no open day
        if _open_on(window, shop.country, day):
            return dt.datetime.combine(day, window.opens, tzinfo=shop.tzinfo)
        day += dt.timedelta(days=1)
    return None
