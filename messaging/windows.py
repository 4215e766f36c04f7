"""When a text may reach a phone. Marketing and consent-request SMS wait for the shop's legal window, in the
shop's time zone; service messages (a HELP answer, "your order is ready") and emails go at once.

- France (Code de la consommation, démarchage, and the CNIL's guidance for SMS): Monday to Saturday,
  08:00 to 20:00, never on a public holiday;
- United States (TCPA): 08:00 to 21:00, every day;
- anywhere else: the stricter of the two, Monday to Saturday 08:00 to 20:00.

The worker does not drop what falls outside: it leaves the message queued with `not_before` set to the next
opening, and the outbox sweeper publishes it then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import holidays
from django.conf import settings
from django.utils import timezone

from messaging.models import Channel, OutboundMessage


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

# Which kinds wait for the window.
WAITING_KINDS = {OutboundMessage.Kind.SMS_OPT_IN}


def now() -> dt.datetime:
    """The clock the windows read (tests set it)."""
    return timezone.now()


def waits_for_window(message: OutboundMessage) -> bool:
    enforced = settings.SMS_SEND_WINDOWS
    return enforced and message.channel == Channel.SMS and message.kind in WAITING_KINDS


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


def next_opening(shop, at: dt.datetime | None = None) -> dt.datetime | None:
    """None when a waiting text may go at `at` (default: now); else when the shop's window next opens."""
    window = WINDOWS.get(shop.country, DEFAULT)
    local = (at or now()).astimezone(shop.tzinfo)
    if _open_on(window, shop.country, local.date()) and window.opens <= local.time() < window.closes:
        return None
    day = local.date() if local.time() < window.opens else local.date() + dt.timedelta(days=1)
    for _ in range(31):  # at most a few days ahead; a month bounds a calendar with no open day
        if _open_on(window, shop.country, day):
            return dt.datetime.combine(day, window.opens, tzinfo=shop.tzinfo)
        day += dt.timedelta(days=1)
    return None
