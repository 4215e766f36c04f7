"""Texts that arrive and say who sent them: a shop's own sender, a contact before any text goes, a reply
credited to the shop whose number it went to, and an email footer with the shop's address and privacy
notice."""

from html import unescape
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.urls import reverse
from django.utils import translation

from customers.models import Customer
from customers.services import customer_create
from messaging import outbox
from messaging.models import OutboundMessage, SenderChange
from messaging.services import message_resend
from messaging.sms import SmsMessage, get_backend
from messaging.sms.senders import sender_assign, sender_normalise
from shopcrm.models import Shop
from shopcrm.selectors import shop_get
from shopcrm.services import shop_update
from shopcrm.tenancy import shop_context
from tests.conftest import make_shop
from tests.messaging.test_outbox import create
from tests.messaging.test_sms_backends import FakeClient
from tests.messaging.test_webhooks import TOKEN, inbound
from tests.shopcrm.test_staff_settings import settings_data

pytestmark = pytest.mark.django_db
SERVICE = "MG" + "0123456789abcdef" * 2


def assign(shop, sender, reason=""):
    with shop_context(shop):
        return sender_assign(shop=shop, sender=sender, operator="ops@platform", reason=reason)


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setattr(outbox, "message_publish", lambda messages: None)


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [
        ("FR", "+33 6 12 34 56 78", "+33612345678"),
        ("FR", "06 12 34 56 78", "+33612345678"),
        ("FR", SERVICE, SERVICE),
        ("FR", "LILAS", "LILAS"),
        ("US", "(201) 555-0123", "+12015550123"),
    ],
)
def test_the_platform_assigns_a_shop_its_sender(country, typed, stored):
    shop = make_shop(country=country, timezone="Europe/Paris")
    assign(shop, typed)
    assert shop_get(shop_id=shop.pk).sms_sender == stored


@pytest.mark.parametrize(
    ("country", "typed", "said"),
    [
        ("US", "PAWS", "refuse sender names"),
        ("FR", "ab!", "1 to 11 letters"),
        ("FR", "MUCHTOOLONGNAME", "1 to 11 letters"),
        ("FR", "+33 1", "valid phone number"),
    ],
)
def test_a_sender_the_carriers_would_refuse_is_refused(country, typed, said):
    shop = make_shop(country=country, language="en", timezone="Europe/Paris")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        assign(shop, typed)
    assert said in refused.value.message_dict["sms_sender"][0]
    assert shop_get(shop_id=shop.pk).sms_sender == ""


@pytest.mark.parametrize(("first", "second"), [("+33644000001", "06 44 00 00 01"), ("LILAS", "lilas")])
def test_two_shops_can_never_hold_one_sender(first, second):
    a = make_shop(name="A", language="en")
    b = make_shop(name="B", language="en")
    assign(a, first)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        assign(b, second)
    assert "belongs to another shop" in refused.value.message_dict["sms_sender"][0]
    assert shop_get(shop_id=b.pk).sms_sender == ""
    assign(a, "")  # released, it may go to another shop
    assign(b, second)
    assert shop_get(shop_id=b.pk).sms_sender == sender_normalise(second, "FR") != ""


def test_the_database_refuses_a_second_shop_with_the_same_sender_whatever_the_code_does(shop_fr, shop_us):
    assign(shop_fr, "+33644000001")
    with pytest.raises(IntegrityError), shop_context(shop_us):
        assert Shop.objects.filter(pk=shop_us.pk).update(sms_sender="+33644000001") == 1


def test_every_sender_change_is_logged_with_who_and_why(shop_fr):
    assign(shop_fr, "+33644000001", reason="ticket 12")
    assign(shop_fr, "+33644000001")  # the same again: nothing changes, nothing logged
    assign(shop_fr, "")
    with shop_context(shop_fr):
        log = list(
            SenderChange.objects.order_by("pk").values_list("how", "before", "after", "operator", "reason")
        )
    assert log == [
        ("assigned", "", "+33644000001", "ops@platform", "ticket 12"),
        ("released", "+33644000001", "", "ops@platform", ""),
    ]


def test_a_shop_admin_cannot_set_the_sender_from_the_settings_page(admin_client_us, shop_us):
    response = admin_client_us.post(
        reverse("shop_settings"), settings_data(shop_us, sms_sender="+12015550123")
    )
    assert response.status_code in (200, 302)
    assert shop_get(shop_id=shop_us.pk).sms_sender == ""
    page = unescape(admin_client_us.get(reverse("shop_settings")).content.decode())
    assert "The platform's shared number" in page and 'name="sms_sender"' not in page
    with pytest.raises(ValueError):
        shop_update(shop=shop_us, sms_sender="+12015550123")


def test_moving_a_shop_with_a_sender_name_to_the_us_is_refused_next_to_the_country(shop_fr):
    assign(shop_fr, "LILAS")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        shop_update(shop=shop_fr, country="US")
    assert "refuse your SMS sender name" in refused.value.message_dict["country"][0]


def test_the_command_assigns_and_releases_a_sender(shop_fr, shop_us):
    out = StringIO()
    call_command("sms_sender_assign", shop=shop_fr.slug, sender="+33644000001", operator="ana", stdout=out)
    assert "+33644000001" in out.getvalue()
    with pytest.raises(CommandError, match="another shop"):
        call_command("sms_sender_assign", shop=shop_us.slug, sender="+33644000001", operator="bo")
    with pytest.raises(CommandError, match="No shop"):
        call_command("sms_sender_assign", shop="nope", sender="+33644000001")
    call_command("sms_sender_assign", shop=shop_fr.slug, release=True, operator="ana", stdout=out)
    assert shop_get(shop_id=shop_fr.pk).sms_sender == ""


def test_the_texts_of_a_shop_go_from_its_sender_and_a_service_sid_is_used_as_such(shop_fr):
    assign(shop_fr, SERVICE)
    create(shop_fr, send_welcome_email=False)
    with shop_context(shop_fr):
        (message,) = OutboundMessage.objects.all()
    assert message.sender == SERVICE
    client = FakeClient()
    backend = get_backend("messaging.sms.backends.twilio.SmsBackend", client=client)
    backend.send(SmsMessage(to="+33612345678", body="hi", sender=SERVICE))
    backend.send(SmsMessage(to="+33612345678", body="hi", sender="+33700000000"))
    first, second = client.messages.calls
    assert first["messaging_service_sid"] == SERVICE and "from_" not in first
    assert second["from_"] == "+33700000000" and "messaging_service_sid" not in second


def test_no_text_goes_from_a_shop_nobody_can_reach(shop_fr, client_fr):
    shop_update(shop=shop_fr, contact_phone="", contact_email="")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        create(shop_fr, send_welcome_email=False)
    assert "an admin adds one in Settings" in refused.value.message_dict["send_sms_opt_in"][0]
    page = client_fr.post(
        reverse("customers:new"),
        {
            "type": "individual",
            "first_name": "Betty",
            "last_name": "Smith",
            "phone": "0612345678",
            "send_sms_opt_in": "on",
        },
    )
    assert "Réglages" in unescape(page.content.decode())
    betty = create(shop_fr, send_welcome_email=False, send_sms_opt_in=False)
    with (
        shop_context(shop_fr),
        translation.override("en"),
        pytest.raises(ValidationError, match="in Settings"),
    ):
        message_resend(shop=shop_fr, customer=betty, channel="sms", by=None)


def test_a_text_queued_before_the_contact_was_removed_does_not_go(shop_fr):
    create(shop_fr, send_welcome_email=False)
    shop_update(shop=shop_fr, contact_phone="", contact_email="")
    with shop_context(shop_fr):
        (message,) = OutboundMessage.objects.all()
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "suppressed"


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_a_yes_to_a_shops_own_number_is_credited_to_that_shop(
    texting_abroad, client, settings, shop_fr, shop_us
):
    settings.TWILIO_AUTH_TOKEN, settings.SITE_URL = TOKEN, "https://crm.example"
    assign(shop_fr, "+33644000001")
    create(shop_fr, send_welcome_email=False)
    create(shop_us, send_welcome_email=False, phone="+33 6 12 34 56 78")  # waits too, on the shared number
    inbound(client, "OUI", to="+33644000001", sid="SM1")
    with shop_context(shop_fr):
        assert Customer.objects.get().sms_status == "opted_in"
    with shop_context(shop_us):
        assert Customer.objects.get().sms_status == "pending"


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_replies_to_a_shops_own_number_never_reach_another_shops_customer(
    texting_abroad, client, settings, shop_fr, shop_us
):
    """Shop A's number: a YES or a STOP from a phone only shop B holds is not B's to act on."""
    settings.TWILIO_AUTH_TOKEN, settings.SITE_URL = TOKEN, "https://crm.example"
    assign(shop_fr, "+33644000001")
    create(shop_us, send_welcome_email=False, phone="+33 6 12 34 56 78")
    inbound(client, "OUI", to="+33644000001", sid="SM1")
    inbound(client, "STOP", to="+33644000001", sid="SM2")
    with shop_context(shop_us):
        assert Customer.objects.get().sms_status == "pending"
    inbound(client, "OUI", to="+15005550006", sid="SM3")  # the shared number B texts from
    with shop_context(shop_us):
        assert Customer.objects.get().sms_status == "opted_in"


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_a_reply_through_a_messaging_service_is_routed_by_the_service(
    texting_abroad, client, settings, shop_fr, shop_us
):
    settings.TWILIO_AUTH_TOKEN, settings.SITE_URL = TOKEN, "https://crm.example"
    assign(shop_us, SERVICE)
    create(shop_fr, send_welcome_email=False)
    create(shop_us, send_welcome_email=False, phone="+33 6 12 34 56 78")
    inbound(client, "YES", to="+15005550099", sid="SM1", service=SERVICE)
    with shop_context(shop_us):
        assert Customer.objects.get().sms_status == "opted_in"
    with shop_context(shop_fr):
        assert Customer.objects.get().sms_status == "pending"


def test_the_welcome_email_ends_with_the_shops_address_and_privacy_notice(shop_us):
    shop_update(
        shop=shop_us,
        postal_address="240 Court Street, Brooklyn, NY 11201",
        privacy_url="https://paws.example/privacy",
    )
    with shop_context(shop_us):
        customer_create(
            shop=shop_us,
            by=None,
            first_name="Ann",
            last_name="Lee",
            email="ann@example.com",
            send_welcome_email=True,
        )
        (email,) = OutboundMessage.objects.all()
    for body in (email.body_text, unescape(email.body_html)):
        assert "240 Court Street, Brooklyn, NY 11201" in body and "https://paws.example/privacy" in body
