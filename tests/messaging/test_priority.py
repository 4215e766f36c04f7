"""A person waiting for a message goes first: a campaign's slice takes at most its share of each second's
send rate and about a second of a worker, and the workers take the main queue before the bulk one."""

import pytest
from django.conf import settings
from django.core.cache import cache

from messaging import outbox, throttle
from messaging.models import OutboundMessage
from messaging.sms.backends import locmem
from shopcrm.tenancy import shop_context
from tests.messaging.test_throttle import Clock

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("limit", "share"), [(0, 0), (1, 1), (2, 1), (5, 4), (30, 24), (50, 40)])
def test_bulk_sending_leaves_a_fifth_of_each_second_to_the_others(limit, share):
    assert throttle.bulk_share(limit) == share


def test_a_text_someone_waits_for_still_goes_in_a_second_a_campaign_filled(settings):
    cache.clear()
    settings.SEND_RATES = {"sms": {"shop": 5, "platform": 0}, "email": {}}
    clock = Clock()
    bulk = [throttle.throttle_wait(shop_id=7, channel="sms", bulk=True, clock=clock.time, sleep=clock.sleep)]
    bulk += [throttle.throttle_wait(shop_id=7, channel="sms", bulk=True, clock=clock.time, sleep=clock.sleep)]
    bulk += [throttle.throttle_wait(shop_id=7, channel="sms", bulk=True, clock=clock.time, sleep=clock.sleep)]
    bulk += [throttle.throttle_wait(shop_id=7, channel="sms", bulk=True, clock=clock.time, sleep=clock.sleep)]
    assert bulk == [0, 0, 0, 0]
    # The campaign's fifth text of this second waits for the next one; the opt-in text does not.
    assert throttle.throttle_wait(shop_id=7, channel="sms", clock=clock.time, sleep=clock.sleep) == 0
    assert (
        throttle.throttle_wait(shop_id=7, channel="sms", bulk=True, clock=clock.time, sleep=clock.sleep) > 0
    )


def test_a_campaigns_task_sends_a_short_slice_and_hands_the_rest_on(shop_fr, settings, monkeypatch):
    settings.SEND_RATES = {"sms": {"shop": 20, "platform": 0}, "email": {}}  # a share of 16 a second
    published = []
    monkeypatch.setattr(
        outbox, "message_publish", lambda messages, bulk=False: published.append((messages, bulk))
    )
    monkeypatch.setattr(throttle, "throttle_wait", lambda **kw: 0)
    with shop_context(shop_fr):
        rows = OutboundMessage.objects.bulk_create(
            OutboundMessage(
                shop=shop_fr, channel="sms", kind="order_ready", recipient=f"+3361200{i:04d}", body_text="x",
                source="campaign:1", written_for=i,
            )
            for i in range(12)
        )  # fmt: skip
    ids = [row.pk for row in rows]
    locmem.outbox.clear()
    results = outbox.messages_send_slice(message_ids=ids, shop_id=shop_fr.pk)
    assert list(results) == ids[:4] and len(locmem.outbox) == 4
    assert published == [([(pk, shop_fr.pk) for pk in ids[4:]], True)]


def test_bulk_tasks_say_so_and_workers_read_the_main_queue_first(monkeypatch):
    from messaging import tasks

    sent = []
    monkeypatch.setattr(tasks.send_messages, "apply_async", lambda **kw: sent.append(kw))
    outbox.message_publish([(1, 9)], bulk=True)
    outbox.message_publish([(2, 9)])
    assert sent[0]["queue"] == settings.CELERY_BULK_QUEUE and sent[0]["kwargs"] == {"bulk": True}
    assert "queue" not in sent[1] and "kwargs" not in sent[1]
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["queue_order_strategy"] == "priority"
    assert [q.name for q in settings.CELERY_TASK_QUEUES] == [
        settings.CELERY_TASK_DEFAULT_QUEUE,
        settings.CELERY_BULK_QUEUE,
    ]
