"""A batch that a crash cannot lose: a sending process killed (SIGKILL) in the middle of a batch, and
PostgreSQL unreachable while the worker records what it sent. Afterwards: nothing lost, nothing sent twice,
at most one hand-over group "may have gone", each said."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.utils import timezone

from messaging import outbox
from messaging.models import OutboundMessage
from messaging.sms.backends import locmem
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "platform"])
COUNT = 60


def queue_texts(shop, count=COUNT) -> list[int]:
    with shop_context(shop):
        rows = OutboundMessage.objects.bulk_create(
            OutboundMessage(
                shop=shop, channel="sms", kind="order_ready", recipient=f"+3361200{i:04d}", body_text=f"n°{i}"
            )
            for i in range(count)
        )
    return [row.pk for row in rows]


def child_env(tmp_path) -> dict:
    from shopcrm.dev import embedded

    def test_database(variable, role):
        parts = urlsplit(os.environ.get(variable) or embedded.database_url(role))
        return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopcrm.settings.test",
        "DATABASE_URL": test_database("DATABASE_URL", embedded.APP_ROLE),
        "DATABASE_OWNER_URL": test_database("DATABASE_OWNER_URL", embedded.OWNER_ROLE),
        "DATABASE_PLATFORM_URL": test_database("DATABASE_PLATFORM_URL", embedded.PLATFORM_ROLE),
        "SMS_BACKEND": "tests.messaging.slow_sms.SmsBackend",
        "SMS_FILE_PATH": str(tmp_path),
        "SLOW_SMS_SECONDS": "0.05",
    }


def sent_by_child(tmp_path) -> list[str]:
    return [json.loads(line)["to"] for f in tmp_path.glob("*.jsonl") for line in f.read_text().splitlines()]


def statuses(shop) -> dict[str, int]:
    with shop_context(shop):
        return {
            status: OutboundMessage.objects.filter(status=status).count()
            for status in OutboundMessage.Status.values
        }


def sweep_as_if_five_minutes_passed(shop, published):
    with shop_context(shop):
        OutboundMessage.objects.filter(status="sending").update(
            updated_at=timezone.now() - timedelta(minutes=6)
        )
    outbox.messages_sweep()
    again = [pk for batch in published for pk, _shop in batch]
    return again


@pytest.fixture
def published(monkeypatch):
    batches = []
    monkeypatch.setattr(outbox, "message_publish", lambda messages, bulk=False: batches.append(messages))
    return batches


@pytest.mark.parametrize("kill_after", [0, 25])
def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(
    shop_fr, tmp_path, published, kill_after
):
    ids = queue_texts(shop_fr)
    code = (
        "import django; django.setup(); from messaging import outbox; "
        f"outbox.messages_send(message_ids={ids!r}, shop_id={shop_fr.pk})"
    )
    child = subprocess.Popen([sys.executable, "-c", code], env=child_env(tmp_path))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if kill_after == 0:
            with shop_context(shop_fr):
                if OutboundMessage.objects.filter(status="sending").exists():
                    break  # claimed, before (or as) the first hand-over
        elif len(sent_by_child(tmp_path)) >= kill_after:
            break
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    before = sent_by_child(tmp_path)

    locmem.outbox.clear()
    again = sweep_as_if_five_minutes_passed(shop_fr, published)
    if again:
        outbox.messages_send(message_ids=again, shop_id=shop_fr.pk)
    after = [m.to for m in locmem.outbox]

    counts = statuses(shop_fr)
    everyone = [f"+3361200{i:04d}" for i in range(COUNT)]
    doubled = [to for to in everyone if (before + after).count(to) > 1]
    with shop_context(shop_fr):
        unknown = list(OutboundMessage.objects.filter(status="unknown").values_list("recipient", flat=True))
        lost = [
            m.recipient
            for m in OutboundMessage.objects.exclude(status__in=["sent", "unknown"])
            if m.recipient not in before
        ]
    assert doubled == [] and lost == []
    assert counts["sent"] + counts["unknown"] == COUNT
    assert len(unknown) <= outbox.HANDOVER_CHUNK  # one hand-over group at most
    # Whatever may have gone is not sent again; whatever went before the crash was recorded or is "unknown".
    assert not set(unknown) & set(after)
    assert set(before) <= set(unknown) | {to for to in everyone if to not in after}


def test_the_sends_are_recorded_once_the_database_is_back(shop_fr, monkeypatch):
    """PostgreSQL unreachable when the worker records a group it handed over: it waits and records it, so
    nothing is "unknown" and nothing goes again."""
    from django.db import OperationalError

    ids = queue_texts(shop_fr, 25)
    real = outbox._mark_sent
    failures = iter([True, True, False] + [False] * 10)

    def flaky(shop_id, done):
        if next(failures):
            raise OperationalError("server closed the connection unexpectedly")
        return real(shop_id, done)

    monkeypatch.setattr(outbox, "_mark_sent", flaky)
    monkeypatch.setattr(
        outbox.time if hasattr(outbox, "time") else __import__("time"), "sleep", lambda s: None
    )
    locmem.outbox.clear()
    results = outbox.messages_send(message_ids=ids, shop_id=shop_fr.pk)
    assert set(results.values()) == {"sent"} and len(locmem.outbox) == 25
    assert statuses(shop_fr)["sent"] == 25
