"""Service messages (order ready, appointments) and marketing are separate consents: an unsubscribe from
offers leaves service messages on, turning service messages off leaves marketing as it was, and a STOP,
a bounce or an erasure stops both."""

from html import unescape

import pytest
from django.urls import reverse

from customers.models import Customer
from messaging import consent, outbox, tokens
from messaging.consent import suppression
from messaging.models import ConsentEvent
from shopcrm.tenancy import shop_context
from tests.messaging.test_outbox import create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setattr(outbox, "message_publish", lambda messages: None)


def allowed(shop, customer, channel) -> bool:
    with shop_context(shop):
        return consent.service_allowed(
            shop=shop, customer=Customer.objects.get(pk=customer.pk), channel=channel
        )


def test_an_unsubscribe_from_offers_leaves_service_emails_on(shop_fr):
    betty = create(shop_fr)
    with shop_context(shop_fr):
        consent.email_unsubscribe(shop=shop_fr, customer=betty, detail="one-click")
        assert (
            suppression.suppression_reason(shop=shop_fr, channel="email", address=betty.email)
            == "unsubscribe"
        )
    assert allowed(shop_fr, betty, "email")


def test_turning_service_messages_off_leaves_marketing_consent_as_it_was(shop_fr):
    betty = create(shop_fr)
    with shop_context(shop_fr):
        consent.email_verify(shop=shop_fr, customer=betty)
        assert consent.service_opt_out(shop=shop_fr, customer=betty, channel="email")
        assert not consent.service_opt_out(shop=shop_fr, customer=betty, channel="email")  # once
        betty = Customer.objects.get(pk=betty.pk)
        assert betty.email_status == "verified"
        assert suppression.suppression_reason(shop=shop_fr, channel="email", address=betty.email) is None
        event = ConsentEvent.objects.filter(customer=betty).latest("pk")
        assert (event.purpose, event.action, event.wording_version) == (
            "service",
            "withdrawn",
            "email-service-1",
        )
    assert not allowed(shop_fr, betty, "email")
    with shop_context(shop_fr):
        assert consent.service_opt_in(shop=shop_fr, customer=betty, channel="email")
    assert allowed(shop_fr, betty, "email")


def test_a_stop_stops_service_texts_too_and_start_brings_both_back(shop_fr):
    betty = create(shop_fr, send_welcome_email=False)
    with shop_context(shop_fr):
        consent.service_opt_out(shop=shop_fr, customer=betty, channel="sms")
        consent.sms_opt_out(shop=shop_fr, customer=betty, source="sms_reply", detail="STOP")
    assert not allowed(shop_fr, betty, "sms")
    with shop_context(shop_fr):
        consent.sms_confirm(
            shop=shop_fr, customer=Customer.objects.get(pk=betty.pk), source="sms_reply", detail="START"
        )
    assert allowed(shop_fr, betty, "sms")


def test_the_preferences_page_turns_service_messages_off_and_on(client, shop_us):
    betty = create(shop_us, phone="(201) 555-0123")
    url = reverse("messaging:preferences", args=[tokens.make(betty, "preferences")])
    page = unescape(client.get(url).content.decode())
    assert "Order and appointment messages" in page and "will text you when an order is ready" in page
    client.post(url, {"action": "service_sms_off"})
    assert not allowed(shop_us, betty, "sms") and allowed(shop_us, betty, "email")
    page = unescape(client.get(url).content.decode())
    assert 'value="service_sms_on"' in page
    client.post(url, {"action": "service_sms_on"})
    assert allowed(shop_us, betty, "sms")
    with shop_context(shop_us):
        consent.sms_opt_out(shop=shop_us, customer=betty, source="sms_reply", detail="STOP")
    page = unescape(client.get(url).content.decode())
    assert "reply START" in page and 'value="service_sms_on"' not in page
