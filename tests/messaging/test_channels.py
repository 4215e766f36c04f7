"""The channel registry: each channel answers the whole interface, and asking for consent is one entry point
that refuses before writing anything."""

import pathlib

import pytest
from django.core.exceptions import ValidationError

from messaging import channels
from messaging.channels.base import MessageChannel
from messaging.consent import suppression
from messaging.consent.asking import consent_ask
from messaging.models import ConsentEvent, OutboundMessage, Suppression
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer

pytestmark = pytest.mark.django_db

MESSAGING = pathlib.Path(__file__).resolve().parents[2] / "messaging"


def test_every_channel_answers_the_whole_interface(shop_fr):
    customer = add_customer(shop_fr, phone="06 12 34 56 78", email="betty@example.com")
    assert sorted(channels.REGISTRY) == ["email", "sms"]
    for channel in channels.channels():
        assert isinstance(channel, MessageChannel)
        for name in ("address_field", "status_field", "status_none", "status_pending", "consenting"):
            assert getattr(channel, name), (channel.code, name)
        assert channel.address(customer)
        assert channel.status(customer) == channel.status_none
        assert channel.normal(f"  {channel.address(customer)} ")
        assert isinstance(channel.sender_for(shop_fr), str)  # SMS: '' without a platform number
        assert channel.request_render(shop_fr, customer).text
        assert channel.status_of_suppressed(Suppression.Reason.ERASED) in channel.withdrawn
    with pytest.raises(KeyError):
        channels.channel_of("fax")


def test_addresses_are_compared_as_their_channel_says():
    email, sms = channels.channel_of("email"), channels.channel_of("sms")
    assert email.normal(" Betty@Example.COM ") == "betty@example.com"
    assert sms.normal("+33 6 12-34-56-78") == "+33612345678"
    assert suppression.address_normal("sms", "+33 6 12 34 56 78") == "+33612345678"


def test_only_the_channels_branch_on_a_channel_name():
    """Outside `messaging/channels/`, messaging asks the registry instead of testing "email" or "sms" (the
    order-ready renderer picks its template by channel: the template is the channel's text)."""
    branching = []
    for path in MESSAGING.rglob("*.py"):
        if "channels" in path.parts or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ("channel ==" in line or "channel !=" in line) and path.name != "render.py":
                branching.append(f"{path.name}:{number}: {line.strip()}")
    assert branching == []


def test_asking_on_a_refused_channel_writes_nothing(shop_fr):
    customer = add_customer(shop_fr, phone="06 12 34 56 78", email="betty@example.com")
    with shop_context(shop_fr):
        suppression.suppression_add(
            shop=shop_fr, channel="sms", address=customer.phone, reason=Suppression.Reason.STOP
        )
        with pytest.raises(ValidationError) as refused:
            consent_ask(shop=shop_fr, customer=customer, by=None, channel_codes=["email", "sms"])
        assert list(refused.value.message_dict) == ["sms"]
        assert not OutboundMessage.objects.filter(customer=customer).exists()
        assert not ConsentEvent.objects.filter(customer=customer, action="requested").exists()


def test_asking_writes_the_message_and_its_ledger_event_together(shop_fr, monkeypatch):
    monkeypatch.setattr("messaging.outbox.message_publish", lambda messages, bulk=False: None)
    customer = add_customer(shop_fr, phone="06 12 34 56 78", email="betty@example.com")
    with shop_context(shop_fr):
        messages = consent_ask(shop=shop_fr, customer=customer, by=None, channel_codes=["email", "sms"])
        assert sorted(m.kind for m in messages) == ["sms_opt_in", "welcome"]
        events = ConsentEvent.objects.filter(customer=customer, action="requested")
        assert sorted((e.channel, e.message_id in {m.pk for m in messages}) for e in events) == [
            ("email", True),
            ("sms", True),
        ]
        customer.refresh_from_db()
        assert (customer.email_status, customer.sms_status) == ("pending", "pending")
        email = next(m for m in messages if m.channel == "email")
        assert shop_fr.display_sender in email.sender
