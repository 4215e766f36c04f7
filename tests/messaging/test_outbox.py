import pytest
from django.core import mail

from customers.services import customer_create
from messaging import outbox
from messaging.channels import sms as sms_channel
from messaging.consent import suppression
from messaging.models import OutboundMessage
from messaging.sms import SmsError
from messaging.sms.backends import locmem
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_sms():
    locmem.outbox.clear()


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(outbox, "message_publish", lambda messages: calls.extend(messages))
    return calls


def create(shop, **kw):
    values = {
        "first_name": "Betty",
        "last_name": "Smith",
        "email": "betty@example.com",
        "phone": "06 12 34 56 78",
        "send_welcome_email": True,
        "send_sms_opt_in": True,
    }
    values.update(kw)
    with shop_context(shop):
        return customer_create(shop=shop, by=None, **values)


def rows(shop):
    with shop_context(shop):
        return list(OutboundMessage.objects.order_by("channel"))


def test_ticked_boxes_write_two_outbox_rows_published_only_after_commit(
    shop_fr, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        customer = create(shop_fr)
    assert published == []
    for callback in callbacks:
        callback()
    messages = rows(shop_fr)
    assert [(m.channel, m.kind, m.status) for m in messages] == [
        ("email", "welcome", "queued"),
        ("sms", "sms_opt_in", "queued"),
    ]
    assert sorted(published) == sorted((m.pk, m.shop_id) for m in messages)
    email = messages[0]
    assert email.recipient == customer.email
    assert "Bonjour Betty Smith," in email.body_text
    assert "Pressing Test" in email.body_html
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.headers["List-Unsubscribe"].startswith("<http")
    assert "STOP" in messages[1].body_text and "OUI" in messages[1].body_text


def test_an_exception_after_the_save_leaves_no_customer_no_row_no_publish(
    shop_fr, published, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from customers.models import Customer

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create(shop_fr)
        raise RuntimeError("boom after save")
    with shop_context(shop_fr):
        assert not Customer.objects.exists()
    assert rows(shop_fr) == []
    assert published == []


def test_sending_records_sent_with_the_provider_id(shop_fr, published):
    create(shop_fr)
    for m in rows(shop_fr):
        assert outbox.message_send(message_id=m.pk, shop_id=m.shop_id) == "sent"
    email, sms = rows(shop_fr)
    assert (email.status, sms.status) == ("sent", "sent")
    assert sms.provider_message_id.startswith("local-")
    assert len(mail.outbox) == 1 and len(locmem.outbox) == 1
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_same_message_delivered_twice_makes_one_provider_call(shop_fr, published):
    create(shop_fr, send_welcome_email=False)
    (sms,) = rows(shop_fr)
    outbox.message_send(message_id=sms.pk, shop_id=sms.shop_id)
    outbox.message_send(message_id=sms.pk, shop_id=sms.shop_id)
    assert len(locmem.outbox) == 1


def test_a_transient_error_then_success_sends_once_with_attempts_recorded(shop_fr, published, monkeypatch):
    create(shop_fr, send_welcome_email=False)
    (sms,) = rows(shop_fr)
    real = sms_channel.send_sms
    calls = {"n": 0}

    def flaky(message, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SmsError("twilio 503", transient=True)
        return real(message, **kw)

    scheduled = []
    monkeypatch.setattr(sms_channel, "send_sms", flaky)
    monkeypatch.setattr("messaging.tasks.send_message.apply_async", lambda args, **kw: scheduled.append(kw))
    assert outbox.message_send(message_id=sms.pk, shop_id=sms.shop_id) == "queued"
    assert scheduled and scheduled[0]["countdown"] < 3600
    assert outbox.message_send(message_id=sms.pk, shop_id=sms.shop_id) == "sent"
    (sms,) = rows(shop_fr)
    assert (sms.status, sms.attempts, len(locmem.outbox)) == ("sent", 2, 1)


def test_a_permanent_error_marks_the_message_failed_with_the_reason(shop_fr, published, monkeypatch):
    create(shop_fr, send_welcome_email=False)
    (sms,) = rows(shop_fr)

    def refuse(message, **kw):
        raise SmsError("twilio 400 21211", transient=False)

    monkeypatch.setattr(sms_channel, "send_sms", refuse)
    assert outbox.message_send(message_id=sms.pk, shop_id=sms.shop_id) == "failed"
    (sms,) = rows(shop_fr)
    assert sms.status == "failed" and "21211" in sms.last_error


def test_a_suppressed_address_makes_no_provider_call(shop_fr, published):
    create(shop_fr, send_sms_opt_in=False)
    with shop_context(shop_fr):
        suppression.suppression_add(
            shop=shop_fr, channel="email", address="Betty@example.com", reason="bounce"
        )
    (email,) = rows(shop_fr)
    assert outbox.message_send(message_id=email.pk, shop_id=email.shop_id) == "suppressed"
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_the_sweeper_republishes_stale_queued_messages_across_shops(shop_fr, shop_us, published):
    from datetime import timedelta

    from django.utils import timezone

    create(shop_fr)
    create(shop_us, phone="(201) 555-0123")
    with shop_context(shop_fr):
        OutboundMessage.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
    published.clear()
    assert outbox.messages_sweep() == 2
    assert {shop for _id, shop in published} == {shop_fr.pk}


def test_publishing_sends_one_task_per_shop_and_batch(monkeypatch):
    from messaging.tasks import send_messages

    sent = []
    monkeypatch.setattr(send_messages, "apply_async", lambda args, **kw: sent.append(args))
    monkeypatch.setattr(outbox, "PUBLISH_BATCH", 2)
    outbox.message_publish([(1, 7), (2, 7), (3, 8), (4, 7)])
    assert sent == [[7, [1, 2]], [7, [4]], [8, [3]]]


def test_publishing_stops_at_the_first_broker_error_and_leaves_the_rest_queued(monkeypatch):
    from messaging.tasks import send_messages

    calls = []

    def down(args, **kw):
        calls.append(args)
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(send_messages, "apply_async", down)
    outbox.message_publish([(1, 7), (2, 8)])  # never raises: the sweeper publishes them later
    assert calls == [[7, [1]]]


def test_the_batch_task_sends_each_queued_message_once(shop_fr, published):
    from messaging.tasks import send_messages

    create(shop_fr)
    ids = [m.pk for m in rows(shop_fr)]
    send_messages.run(shop_fr.pk, ids)
    send_messages.run(shop_fr.pk, ids)  # delivered twice (a worker died before acking): nothing doubles
    assert [m.status for m in rows(shop_fr)] == ["sent", "sent"]
    assert (len(mail.outbox), len(locmem.outbox)) == (1, 1)


def test_retry_after_a_failed_send_is_never_held_back_by_the_resend_limit(shop_fr, published):
    from messaging.services import message_resend

    customer = create(shop_fr)
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(customer=customer).update(status=OutboundMessage.Status.FAILED)
        again = message_resend(shop=shop_fr, customer=customer, channel="sms", by=None)
        assert again.status == OutboundMessage.Status.QUEUED
        # A send that did go out still counts: no second text within ten minutes.
        with pytest.raises(Exception, match="10 minutes"):
            message_resend(shop=shop_fr, customer=customer, channel="sms", by=None)


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_a_send_interrupted_by_a_dead_worker_is_requeued_or_said_to_have_maybe_gone(shop_fr, published):
    """Five minutes on: a message the dead worker never handed over goes back to the queue (and is published
    again); one it was handing over may have gone, and is not sent again by itself."""
    from datetime import timedelta

    from django.utils import timezone

    customer = create(shop_fr)
    other = create(shop_fr, first_name="Ann", email="ann@example.com", phone="06 12 34 56 70")
    old = timezone.now() - timedelta(minutes=6)
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(customer=customer, channel="email").update(
            status=OutboundMessage.Status.SENDING, updated_at=old, handover_at=old
        )
        OutboundMessage.objects.filter(customer=customer, channel="sms").update(
            status=OutboundMessage.Status.SENDING, updated_at=old
        )
        OutboundMessage.objects.filter(customer=other).update(
            status=OutboundMessage.Status.SENDING, updated_at=timezone.now() - timedelta(minutes=2)
        )
        sms = OutboundMessage.objects.get(customer=customer, channel="sms")
    published.clear()
    outbox.messages_sweep()
    with shop_context(shop_fr):
        mine = dict(OutboundMessage.objects.filter(customer=customer).values_list("channel", "status"))
        theirs = set(OutboundMessage.objects.filter(customer=other).values_list("status", flat=True))
    assert mine == {"email": "unknown", "sms": "queued"} and theirs == {"sending"}
    assert (sms.pk, shop_fr.pk) in published


def test_an_email_answers_to_the_shop_and_is_dated_in_its_zone(shop_fr, published):
    from shopcrm.services import shop_update

    shop_update(shop=shop_fr, contact_email="bonjour@lilas.example")
    customer = create(shop_fr, send_sms_opt_in=False)
    with shop_context(shop_fr):
        message = OutboundMessage.objects.get(customer=customer, channel="email")
    outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk)
    sent = mail.outbox[-1]
    assert sent.extra_headers["Reply-To"] == "bonjour@lilas.example"
    assert sent.message()["Date"].endswith(("+0100", "+0200"))  # Europe/Paris, winter or summer


def test_staff_mail_says_it_was_written_by_a_program(shop_fr, admin_fr, published):
    from shopcrm.mail import password_reset_send
    from shopcrm.services import staff_invite

    membership = staff_invite(shop=shop_fr, by=admin_fr, email="new@lilas.example", role="cashier")
    with shop_context(shop_fr):
        message = OutboundMessage.objects.get(staff_membership=membership)
    outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk)
    assert mail.outbox[-1].extra_headers["Auto-Submitted"] == "auto-generated"
    password_reset_send(user_id=admin_fr.pk, language="fr")
    assert mail.outbox[-1].extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_the_sweeper_leaves_a_campaigns_waiting_messages_on_their_own_queue(shop_fr, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    handed = []
    monkeypatch.setattr(
        outbox, "message_publish", lambda messages, bulk=False: handed.append((bulk, messages))
    )
    old = timezone.now() - timedelta(minutes=5)
    older = timezone.now() - timedelta(minutes=20)
    with shop_context(shop_fr):
        common = {"shop": shop_fr, "channel": "email", "recipient": "a@example.fr", "body_text": "x"}
        welcome = OutboundMessage.objects.create(kind="welcome", updated_at=old, **common)
        waiting = OutboundMessage.objects.create(
            kind="campaign", source="campaign:1", updated_at=old, **common
        )
        lost = OutboundMessage.objects.create(
            kind="campaign", source="campaign:2", updated_at=older, **common
        )
    outbox.messages_sweep()
    assert handed == [(False, [(welcome.pk, shop_fr.pk)]), (True, [(lost.pk, shop_fr.pk)])]
    assert waiting.pk not in [pk for _bulk, pairs in handed for pk, _shop in pairs]


def test_a_batch_named_for_one_shop_never_sends_another_shops_message(shop_fr, shop_us):
    with shop_context(shop_us):
        theirs = OutboundMessage.objects.create(
            shop=shop_us, channel="email", kind="welcome", recipient="x@example.com", body_text="x"
        )
    mail.outbox.clear()
    assert outbox.messages_send(message_ids=[theirs.pk], shop_id=shop_fr.pk) == {theirs.pk: "locked"}
    assert mail.outbox == []
    with shop_context(shop_us):
        theirs.refresh_from_db()
    assert theirs.status == "queued"
