"""How fast messages leave: at most so many per second per shop and per platform, on each channel.

Providers cap their senders (an SMS number takes a few texts a second, an email provider throttles and then
bounces a burst), and one shop's 200,000-recipient campaign must not use up what every other shop's
welcome emails need. The counters live in the shared cache (Redis): one per channel, scope and second, so
every worker process counts against the same budget. A limit of 0 means no limit.

A cache that does not answer does not stop messages: the provider's own limits still hold, and the worker
retries what they refuse.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def limits(*, shop_id: int, channel: str) -> list[tuple[str, int]]:
    """(counter scope, messages per second) that apply to a message of `shop_id` on `channel`."""
    rates = settings.SEND_RATES.get(channel, {})
    return [(f"{channel}:all", rates.get("platform", 0)), (f"{channel}:shop:{shop_id}", rates.get("shop", 0))]


def bulk_share(limit: int) -> int:
    """What bulk sending (campaigns) may use of a limit: a fifth (at least one message a second) is left to
    messages someone is waiting for, so an opt-in text never queues behind a campaign for its turn."""
    if limit <= 1:
        return limit
    return limit - max(1, limit // 5)


def throttle_wait(
    *, shop_id: int, channel: str, bulk: bool = False, clock=time.time, sleep=time.sleep
) -> float:
    """Wait until a message of `shop_id` may leave on `channel` this second, then count it. Returns the
    seconds waited. Called by the worker outside any transaction. A `bulk` message counts against the same
    budget but stops at its share (`bulk_share`), leaving the rest of each second to the others."""
    wanted = [
        (scope, bulk_share(limit) if bulk else limit)
        for scope, limit in limits(shop_id=shop_id, channel=channel)
        if limit > 0
    ]
    waited = 0.0
    while wanted:
        now = clock()
        second = int(now)
        try:
            full = False
            for scope, limit in wanted:
                key = f"send-rate:{scope}:{second}"
                cache.add(key, 0, timeout=5)
                if cache.incr(key) > limit:
                    full = True
                    break
        except Exception:  # the cache is down: the provider's limits still hold
            logger.warning("send rate counters unavailable; sending without them")
            return waited
        if not full:
            return waited
        pause = second + 1 - now
        sleep(pause)
        waited += pause
    return waited
