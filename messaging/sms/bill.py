"""What a shop's texts may cost: every text is billed to the platform's provider account, so where texts go
and how many a shop sends are bounded here, whoever asks (the till, a campaign, a test, the worker).

- Destinations: mobile numbers only (premium-rate, shared-cost, toll-free, landline, VoIP, pager and
  personal numbers, and short codes, are where SMS pumping makes its money), in the shop's own country or one
  the platform allows (`SMS_ALLOWED_COUNTRIES`).
- Caps: `SMS_DAILY_CAP_SHOP` texts a day and `SMS_MONTHLY_CAP_SHOP` a month per shop, counted in the shop's
  time zone from what left (`sent_at`); the worker holds texts past a cap until it resets, a campaign that
  would go past the month's is refused, and pages warn from `SMS_CAP_WARN_PERCENT`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging.models import Channel, OutboundMessage

TEXTABLE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
T = phonenumbers.PhoneNumberType
KINDS = {
    T.PREMIUM_RATE: gettext_lazy("a premium-rate number"),
    T.SHARED_COST: gettext_lazy("a shared-cost number"),
    T.TOLL_FREE: gettext_lazy("a toll-free number"),
    T.FIXED_LINE: gettext_lazy("a landline"),
    T.VOIP: gettext_lazy("an internet (VoIP) number"),
    T.PAGER: gettext_lazy("a pager"),
    T.PERSONAL_NUMBER: gettext_lazy("a personal forwarding number"),
    T.UAN: gettext_lazy("a company switchboard number"),
    T.VOICEMAIL: gettext_lazy("a voicemail number"),
}


def allowed_countries(shop) -> list[str]:
    """The shop's own country first, then those the platform allows."""
    extra = [c.strip().upper() for c in settings.SMS_ALLOWED_COUNTRIES if c.strip()]
    return [shop.country, *sorted(set(extra) - {shop.country})]


def destination_refusal(phone: str, shop) -> str | None:
    """Why a text of `shop` may not go to `phone` (an E.164 number), translated; None when it may."""
    try:
        number = phonenumbers.parse(str(phone or ""), None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        # Short codes and made-up numbers: nothing a customer's mobile answers from.
        return _("This is not a mobile phone number.")
    region = phonenumbers.region_code_for_number(number)
    allowed = allowed_countries(shop)
    if region not in allowed:
        return _("Texts go only to numbers of %(allowed)s; this one is from %(country)s.") % {
            "allowed": ", ".join(allowed),
            "country": region or "?",
        }
    kind = phonenumbers.number_type(number)
    if kind not in TEXTABLE:
        return _("Texts go only to mobile phones; this is %(kind)s.") % {
            "kind": KINDS.get(kind, _("not a mobile phone"))
        }
    return None


@dataclass(frozen=True)
class Usage:
    today: int
    month: int
    daily_cap: int
    monthly_cap: int

    def left_today(self) -> int | None:
        return None if not self.daily_cap else max(self.daily_cap - self.today, 0)

    def left_this_month(self) -> int | None:
        return None if not self.monthly_cap else max(self.monthly_cap - self.month, 0)

    @property
    def near(self) -> bool:
        """At or past the warning share of either cap."""
        share = settings.SMS_CAP_WARN_PERCENT / 100
        return any(cap and used >= cap * share for used, cap in self._pairs())

    @property
    def reached(self) -> bool:
        return any(cap and used >= cap for used, cap in self._pairs())

    def _pairs(self):
        return ((self.today, self.daily_cap), (self.month, self.monthly_cap))


def _starts(shop, at: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime]:
    """The shop's day and month around `at`: (day start, next day start, month start, next month start)."""
    local = at.astimezone(shop.tzinfo)
    day = dt.datetime.combine(local.date(), dt.time(), tzinfo=shop.tzinfo)
    month = day.replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    return day, day + dt.timedelta(days=1), month, next_month


def sms_usage(*, shop, at: dt.datetime | None = None) -> Usage:
    """Texts of `shop` that left (or are leaving) today and this month, in the shop's time zone. Inside the
    shop's tenant scope (one indexed query)."""
    from django.db.models import Count, Q

    day, _tomorrow, month, _next = _starts(shop, at or timezone.now())
    counted = OutboundMessage.objects.filter(shop=shop, channel=Channel.SMS, sent_at__gte=month)
    totals = counted.aggregate(month=Count("pk"), today=Count("pk", filter=Q(sent_at__gte=day)))
    return Usage(
        today=totals["today"],
        month=totals["month"],
        daily_cap=settings.SMS_DAILY_CAP_SHOP,
        monthly_cap=settings.SMS_MONTHLY_CAP_SHOP,
    )


def cap_reset(*, shop, usage: Usage, at: dt.datetime | None = None) -> dt.datetime | None:
    """When a shop past a cap may text again (None: it is under both)."""
    _day, tomorrow, _month, next_month = _starts(shop, at or timezone.now())
    if usage.monthly_cap and usage.month >= usage.monthly_cap:
        return next_month
    if usage.daily_cap and usage.today >= usage.daily_cap:
        return tomorrow
    return None


def campaign_cap_refusal(*, shop, texts: int) -> str | None:
    """Why a campaign of `texts` texts may not start now (None: it may): it would go past the month's cap.
    Past the day's cap it may start; what is over waits for the next day."""
    usage = sms_usage(shop=shop)
    left = usage.left_this_month()
    if left is not None and texts > left:
        return _(
            "This campaign would send %(texts)s texts, and the shop has %(left)s left this month (of "
            "%(cap)s). Narrow the audience, or ask us to raise the cap."
        ) % {"texts": texts, "left": left, "cap": usage.monthly_cap}
    return None
