"""Send rates: at most so many messages a second per shop and for the platform, in the shared cache."""

import pytest
from django.core.cache import cache

from messaging import throttle


class Clock:
    def __init__(self, start=1_000_000.25):
        self.now = start
        self.slept = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 2))
        self.now += seconds


@pytest.fixture
def rates(settings):
    cache.clear()
    settings.SEND_RATES = {"email": {"shop": 2, "platform": 3}, "sms": {}}
    return settings


def wait(clock, shop_id, channel="email"):
    return throttle.throttle_wait(shop_id=shop_id, channel=channel, clock=clock.time, sleep=clock.sleep)


def test_a_shop_sends_at_most_its_rate_each_second(rates):
    clock = Clock()
    assert [wait(clock, 1) for _ in range(2)] == [0, 0]
    assert wait(clock, 1) == pytest.approx(0.75)  # waits for the next second
    assert clock.slept == [0.75]


def test_the_platform_rate_holds_across_shops(rates):
    clock = Clock()
    wait(clock, 1)
    wait(clock, 1)
    wait(clock, 2)
    assert wait(clock, 3) > 0  # a fourth message this second, whatever its shop


def test_no_limit_means_no_wait(rates):
    clock = Clock()
    assert all(wait(clock, 1, channel="sms") == 0 for _ in range(50))
    assert clock.slept == []


def test_a_cache_that_does_not_answer_does_not_stop_messages(rates, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", down)
    assert wait(Clock(), 1) == 0
