"""End to end with a real Celery worker process on the real broker: create → outbox → worker → provider."""

import json
import time

import pytest

from customers.services import customer_create
from messaging import outbox
from messaging.models import OutboundMessage
from shopcrm.tenancy import shop_context
from tests.conftest import mails_written, wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "platform"])


@pytest.fixture
def worker(start_worker):
    return start_worker()


def statuses(shop):
    with shop_context(shop):
        return sorted(OutboundMessage.objects.values_list("channel", "status"))


def create(shop):
    with shop_context(shop):
        return customer_create(
            shop=shop,
            by=None,
            first_name="Betty",
            last_name="Smith",
            email="betty@example.com",
            phone="0612345678",
            send_welcome_email=True,
            send_sms_opt_in=True,
        )


def test_a_created_customer_gets_both_messages_through_the_worker(shop_fr, worker):
    create(shop_fr)
    assert wait_for(lambda: statuses(shop_fr) == [("email", "sent"), ("sms", "sent")]), statuses(shop_fr)
    mails = mails_written(worker / "mail")
    assert len(mails) == 1 and "Bonjour Betty Smith" in mails[0]
    (sms_log,) = (worker / "sms").iterdir()
    assert len(sms_log.read_text().splitlines()) == 1
    assert json.loads(sms_log.read_text())["to"] == "+33612345678"


def test_with_the_broker_down_creates_succeed_and_the_sweeper_sends_each_message_once(
    shop_fr, worker, monkeypatch
):
    from messaging.tasks import send_messages

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    with monkeypatch.context() as m:
        m.setattr(send_messages, "apply_async", broker_down)
        create(shop_fr)
    assert statuses(shop_fr) == [("email", "queued"), ("sms", "queued")]
    with shop_context(shop_fr):
        OutboundMessage.objects.update(
            updated_at=OutboundMessage.objects.first().updated_at.replace(year=2000)
        )
    outbox.messages_sweep()
    outbox.messages_sweep()  # a second sweep before the worker is done must not double anything
    assert wait_for(lambda: statuses(shop_fr) == [("email", "sent"), ("sms", "sent")]), statuses(shop_fr)
    time.sleep(1)
    assert len(mails_written(worker / "mail")) == 1
    (sms_log,) = (worker / "sms").iterdir()
    assert len(sms_log.read_text().splitlines()) == 1
