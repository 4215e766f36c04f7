import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.urls import reverse
from twilio.request_validator import RequestValidator

from customers.models import Customer
from customers.services import customer_create
from messaging import outbox
from messaging.models import ConsentEvent, OutboundMessage, Suppression
from shopcrm.tenancy import shop_context

# Webhooks find their shop on the platform connection, which sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "platform"])
TOKEN = "twilio-test-auth-token"


@pytest.fixture(autouse=True)
def _twilio(settings, monkeypatch):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = "https://crm.example"
    monkeypatch.setattr(outbox, "message_publish", lambda messages: None)


@pytest.fixture
def betty(shop_fr):
    with shop_context(shop_fr):
        return customer_create(
            shop=shop_fr,
            by=None,
            first_name="Betty",
            last_name="Smith",
            email="betty@example.com",
            phone="0612345678",
            send_welcome_email=True,
            send_sms_opt_in=True,
        )


def fresh(shop, customer):
    with shop_context(shop):
        return Customer.objects.get(pk=customer.pk)


def inbound(client, body, phone="+33612345678", forge=False):
    url = reverse("messaging:twilio_inbound")
    params = {"From": phone, "Body": body, "To": "+15005550006"}
    signature = RequestValidator(TOKEN).compute_signature("https://crm.example" + url, params)
    if forge:
        signature = "x" + signature[1:]
    return client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.mark.parametrize("word", ["YES", "oui", "  Oui  "])
def test_a_yes_reply_confirms_the_pending_opt_in(client, shop_fr, betty, word):
    assert inbound(client, word).status_code == 200
    assert fresh(shop_fr, betty).sms_status == "opted_in"


@pytest.mark.parametrize("word", ["STOP", "arret", "StopAll", " unsubscribe ", "END", "quit", "CANCEL"])
def test_stop_words_opt_out_at_once(client, shop_fr, betty, word):
    inbound(client, word)
    assert fresh(shop_fr, betty).sms_status == "opted_out"
    with shop_context(shop_fr):
        assert ConsentEvent.objects.filter(customer=betty, action="withdrawn", source="sms_reply").exists()


def test_start_opts_back_in_after_stop(client, shop_fr, betty):
    inbound(client, "STOP")
    inbound(client, "START")
    assert fresh(shop_fr, betty).sms_status == "opted_in"


def test_help_answers_with_the_shop_name(client, shop_fr, betty):
    inbound(client, "AIDE")
    with shop_context(shop_fr):
        reply = OutboundMessage.objects.get(kind="sms_help")
    assert "Pressing Test" in reply.body_text


def test_a_forged_signature_is_403_and_changes_nothing(client, shop_fr, betty):
    assert inbound(client, "STOP", forge=True).status_code == 403
    assert fresh(shop_fr, betty).sms_status == "pending"
    assert (
        client.post(reverse("messaging:twilio_inbound"), {"From": "+33612345678", "Body": "STOP"}).status_code
        == 403
    )


def test_the_status_callback_marks_delivery(client, shop_fr, betty):
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(channel="sms").update(status="sent", provider_message_id="SM42")
    url = reverse("messaging:twilio_status")
    params = {"MessageSid": "SM42", "MessageStatus": "delivered"}
    signature = RequestValidator(TOKEN).compute_signature("https://crm.example" + url, params)
    assert client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
    with shop_context(shop_fr):
        assert OutboundMessage.objects.get(channel="sms").status == "delivered"


def _track(event_type, event_id="ev-1"):
    event = AnymailTrackingEvent(
        event_type=event_type, message_id="MAIL-1", event_id=event_id, recipient="betty@example.com"
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")


def test_a_hard_bounce_suppresses_the_address_once_per_event(shop_fr, betty):
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(channel="email").update(status="sent", provider_message_id="MAIL-1")
    _track("bounced")
    _track("bounced")  # the provider retried the webhook
    assert fresh(shop_fr, betty).email_status == "bounced"
    with shop_context(shop_fr):
        assert Suppression.objects.filter(address="betty@example.com").count() == 1
        assert ConsentEvent.objects.filter(customer=betty, action="bounced").count() == 1


def test_a_complaint_unsubscribes(shop_fr, betty):
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(channel="email").update(status="sent", provider_message_id="MAIL-1")
    _track("complained", "ev-2")
    assert fresh(shop_fr, betty).email_status == "unsubscribed"
