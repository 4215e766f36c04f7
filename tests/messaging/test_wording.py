"""One sentence per purpose, channel and version: the till shows it, the message says it, the confirmation
page repeats it, and the ledger stores it with its version and the message it caused."""

from html import unescape

import pytest
from django.urls import reverse

from customers.models import Customer
from messaging import consent, outbox, tokens
from messaging.consent import wording
from messaging.models import ConsentEvent, OutboundMessage
from messaging.services import message_resend
from shopcrm.tenancy import shop_context
from tests.messaging.test_outbox import create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setattr(outbox, "message_publish", lambda messages: None)


def test_every_version_is_unique_and_can_be_read_back():
    for (purpose, channel), versions in wording.CATALOGUE.items():
        names = [w.version for w in versions]
        assert len(names) == len(set(names))
        for w in versions:
            assert wording.find(w.version, channel, purpose) is w
            assert "%(shop)s" in str(w.statement)


def test_the_till_shows_the_sentences_the_ledger_records(client_fr, shop_fr):
    html = unescape(client_fr.get(reverse("customers:new")).content.decode())
    for channel in ("sms", "email"):
        assert wording.current(channel).text(shop_fr) in html


def test_the_text_and_the_confirm_page_say_the_recorded_sentence_and_the_confirmation_keeps_it(
    client, shop_fr
):
    betty = create(shop_fr, send_welcome_email=False)
    with shop_context(shop_fr):
        (asked,) = ConsentEvent.objects.filter(customer=betty).select_related("message")
    sentence = wording.current("sms").text(shop_fr)
    assert asked.wording == sentence and asked.wording_version == "sms-marketing-2"
    assert asked.message.body_text.startswith(sentence)
    page = client.get(reverse("messaging:sms_confirm", args=[tokens.make(betty, "sms")]))
    assert sentence in unescape(page.content.decode())
    client.post(reverse("messaging:sms_confirm", args=[tokens.make(betty, "sms")]))
    with shop_context(shop_fr):
        confirmed = ConsentEvent.objects.get(customer=betty, action="confirmed")
    assert (confirmed.wording, confirmed.wording_version, confirmed.message_id) == (
        sentence,
        "sms-marketing-2",
        asked.message_id,
    )


def test_the_welcome_email_and_the_verify_page_say_it_too(client, shop_us):
    betty = create(shop_us, send_sms_opt_in=False, phone="")
    sentence = wording.current("email").text(shop_us)
    with shop_context(shop_us):
        email = OutboundMessage.objects.get()
    assert sentence in email.body_text and sentence in unescape(email.body_html)
    page = client.get(reverse("messaging:verify", args=[tokens.make(betty, "verify")]))
    assert sentence in unescape(page.content.decode())


def test_a_resend_records_the_sentence_its_version_and_its_message(shop_fr):
    betty = create(shop_fr, send_sms_opt_in=False, send_welcome_email=False)
    with shop_context(shop_fr):
        message = message_resend(shop=shop_fr, customer=betty, channel="email", by=None)
        event = ConsentEvent.objects.get(customer=betty)
    assert (event.action, event.wording_version, event.message_id) == (
        "requested",
        "email-marketing-2",
        message.pk,
    )
    assert event.wording == wording.current("email").text(shop_fr)


def test_a_confirmation_from_the_preferences_page_without_a_request_records_the_current_sentence(shop_fr):
    betty = create(shop_fr, send_sms_opt_in=False, send_welcome_email=False)
    with shop_context(shop_fr):
        consent.sms_confirm(shop=shop_fr, customer=Customer.objects.get(pk=betty.pk), source="customer_link")
        event = ConsentEvent.objects.get(customer=betty)
    assert event.wording_version == "sms-marketing-2" and event.message_id is None
