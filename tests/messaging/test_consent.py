"""An opt-out is final: suppression by shop, channel and address hash, checked at send time; no edit of a
customer, no re-creation and no import undoes it. Only the customer's own action does."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import Customer
from customers.services import customer_create, customer_update
from messaging import consent, outbox
from messaging.channels.sms_webhooks import keyword
from messaging.consent import suppression
from messaging.models import ConsentEvent, OutboundMessage, Suppression
from messaging.services import message_resend
from messaging.sms.backends import locmem
from shopcrm.tenancy import shop_context
from tests.customers.test_import import run
from tests.messaging.test_outbox import create
from tests.messaging.test_webhooks import TOKEN, inbound


@pytest.mark.parametrize(
    ("body", "meant"),
    [
        ("STOP", "stop"),
        ("Stop.", "stop"),
        ("stop sms", "stop"),
        ("STOP SMS", "stop"),
        ("OPT OUT", "stop"),
        ("opt-out please", "stop"),
        ("Arrêt", "stop"),
        ("arrêter svp", "stop"),
        ("Désabonner", "stop"),
        ("please stop texting me", "stop"),
        ("Unsubscribe me", "stop"),
        ("yes stop", "stop"),
        ("STOP this is the wrong number for these messages", "stop"),
        ("YES", "confirm"),
        ("Oui !", "confirm"),
        ("oui merci", "confirm"),
        ("y", "confirm"),
        ("START", "start"),
        ("Unstop", "start"),
        ("help", "help"),
        ("Aide ?", "help"),
        ("hello", None),
        ("", None),
        ("...", None),
        ("yes I would like that very much", None),
        ("I will come by on Monday morning to stop and pick it up", None),
    ],
)
def test_the_keyword_matrix(body, meant):
    assert keyword(body) == meant


def test_the_address_hash_is_normalised_and_salted_with_the_shop():
    assert suppression.address_hash(1, "email", " Betty@Example.com") == suppression.address_hash(
        1, "email", "betty@example.com"
    )
    assert suppression.address_hash(1, "email", "betty@example.com") != suppression.address_hash(
        2, "email", "betty@example.com"
    )
    assert suppression.address_hash(1, "sms", "") == ""


def _fresh(shop, customer):
    with shop_context(shop):
        return Customer.objects.get(pk=customer.pk)


def _send_all(shop) -> list[str]:
    with shop_context(shop):
        queued = list(OutboundMessage.objects.filter(status="queued").values_list("pk", flat=True))
    return [outbox.message_send(message_id=pk, shop_id=shop.pk) for pk in queued]


@pytest.fixture
def quiet_outbox(settings, monkeypatch):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = "https://crm.example"
    monkeypatch.setattr(outbox, "message_publish", lambda messages: None)
    locmem.outbox.clear()


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_stop_then_edit_the_phone_away_and_back_then_resend_sends_nothing(client, shop_fr, quiet_outbox):
    betty = create(shop_fr, send_welcome_email=False)  # its opt-in text is queued, not yet sent
    assert inbound(client, "Stop.", sid="SM1").status_code == 200
    assert _fresh(shop_fr, betty).sms_status == "opted_out"

    # The text queued before the STOP does not go: the worker checks the suppression under its lock. Only
    # the confirmation of the opt-out does.
    assert sorted(_send_all(shop_fr)) == ["sent", "suppressed"]
    with shop_context(shop_fr):
        assert OutboundMessage.objects.get(kind="sms_opt_in").status == "suppressed"
    (stopped,) = locmem.outbox
    assert "START" in stopped.body
    locmem.outbox.clear()

    with shop_context(shop_fr):
        betty = Customer.objects.get(pk=betty.pk)
        customer_update(shop=shop_fr, by=None, customer=betty, phone="06 98 76 54 32")
        assert betty.sms_status == "none"  # a new number starts from its own state
        customer_update(shop=shop_fr, by=None, customer=betty, phone="06 12 34 56 78")
        assert Customer.objects.get(pk=betty.pk).sms_status == "opted_out"
        with pytest.raises(ValidationError, match="opted out"):
            message_resend(shop=shop_fr, customer=betty, channel="sms", by=None)
        # Every status change is in the ledger, with the address as a hash only.
        moves = list(
            ConsentEvent.objects.filter(customer=betty, channel="sms")
            .order_by("at", "pk")
            .values_list("action", "detail")
        )
        assert [a for a, _d in moves] == ["requested", "withdrawn", "address", "address"]
        assert moves[2][1].startswith("opted_out → none")
        assert moves[3][1].startswith("none → opted_out (suppressed: stop)")
        assert all(
            len(h) == 64
            for h in ConsentEvent.objects.filter(customer=betty).values_list("address_hash", flat=True)
        )
        assert not ConsentEvent.objects.filter(detail__contains="612345678").exists()
    assert _send_all(shop_fr) == []
    assert locmem.outbox == []


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_only_the_customer_lifts_their_stop(client, shop_fr, quiet_outbox):
    betty = create(shop_fr, send_welcome_email=False)
    inbound(client, "STOP", sid="SM1")
    inbound(client, "START", sid="SM2")
    betty = _fresh(shop_fr, betty)
    assert betty.sms_status == "opted_in"
    with shop_context(shop_fr):
        assert not Suppression.objects.filter(channel="sms").exists()


def test_a_one_click_unsubscribe_survives_an_email_edit(shop_fr, quiet_outbox):
    betty = create(shop_fr, send_sms_opt_in=False)
    with shop_context(shop_fr):
        consent.email_unsubscribe(shop=shop_fr, customer=betty, detail="one-click (RFC 8058)")
        customer_update(shop=shop_fr, by=None, customer=betty, email="betty.smith@example.com")
        assert betty.email_status == "none"
        customer_update(shop=shop_fr, by=None, customer=betty, email="BETTY@example.com")
        assert Customer.objects.get(pk=betty.pk).email_status == "unsubscribed"
        with pytest.raises(ValidationError, match="unsubscribed"):
            message_resend(shop=shop_fr, customer=betty, channel="email", by=None)
    assert _send_all(shop_fr) == ["suppressed"]


def test_a_queued_opt_in_does_not_go_to_a_number_the_customer_no_longer_has(shop_fr, quiet_outbox):
    betty = create(shop_fr, send_welcome_email=False)
    with shop_context(shop_fr):
        customer_update(shop=shop_fr, by=None, customer=betty, phone="06 98 76 54 32")
        message = OutboundMessage.objects.get()
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "suppressed"
    with shop_context(shop_fr):
        assert "address changed" in OutboundMessage.objects.get().last_error
    assert locmem.outbox == []


def test_re_creating_a_customer_with_a_stopped_number_keeps_the_opt_out(shop_fr, quiet_outbox):
    betty = create(shop_fr, send_welcome_email=False)
    with shop_context(shop_fr):
        consent.sms_opt_out(shop=shop_fr, customer=betty, source="sms_reply", detail="STOP")
        Customer.objects.filter(pk=betty.pk).delete()
    with pytest.raises(ValidationError) as refused:
        create(shop_fr, send_welcome_email=False)
    assert "START" in refused.value.message_dict["send_sms_opt_in"][0]
    again = create(shop_fr, send_welcome_email=False, send_sms_opt_in=False)
    assert _fresh(shop_fr, again).sms_status == "opted_out"


def test_the_till_says_why_next_to_the_box(client_fr, shop_fr, quiet_outbox):
    betty = create(shop_fr, send_welcome_email=False)
    with shop_context(shop_fr):
        consent.sms_opt_out(shop=shop_fr, customer=betty, source="sms_reply", detail="STOP")
        Customer.objects.filter(pk=betty.pk).delete()
    response = client_fr.post(
        reverse("customers:new"),
        {
            "first_name": "Betty",
            "last_name": "Smith",
            "phone": "06 12 34 56 78",
            "send_sms_opt_in": "on",
            "type": "individual",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "START" in html  # in French: « seul le client peut … (en répondant START) »
    with shop_context(shop_fr):
        assert not Customer.objects.exists()


def test_a_bounce_for_an_address_the_customer_no_longer_has_leaves_their_status(shop_fr, quiet_outbox):
    betty = create(shop_fr, send_sms_opt_in=False)
    with shop_context(shop_fr):
        customer_update(shop=shop_fr, by=None, customer=betty, email="new@example.com")
        consent.email_bounced(
            shop=shop_fr, customer=betty, address="betty@example.com", complaint=False, detail="550"
        )
        assert Customer.objects.get(pk=betty.pk).email_status == "none"
        assert (
            suppression.suppression_reason(shop=shop_fr, channel="email", address="betty@example.com")
            == "bounce"
        )


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_a_stop_for_a_number_two_shops_hold_suppresses_it_in_both_with_unrelated_hashes(
    texting_abroad, client, shop_fr, shop_us, quiet_outbox
):
    create(shop_fr, send_welcome_email=False)
    create(shop_us, send_welcome_email=False, phone="+33 6 12 34 56 78")
    inbound(client, "stop please", sid="SM9")
    hashes = []
    for shop in (shop_fr, shop_us):
        with shop_context(shop):
            (row,) = Suppression.objects.filter(channel="sms")
            assert row.reason == "stop"
            hashes.append(row.address_hash)
    assert hashes[0] != hashes[1]


def test_an_import_cannot_subscribe_a_suppressed_address_and_a_new_phone_starts_over(
    client, shop_us, admin_us, quiet_outbox
):
    with shop_context(shop_us):
        ann = customer_create(
            shop=shop_us, by=None, first_name="Ann", last_name="Smith", email="ann@example.com"
        )
        consent.email_unsubscribe(shop=shop_us, customer=ann, detail="unsubscribe page")
        bob = customer_create(
            shop=shop_us,
            by=None,
            first_name="Bob",
            last_name="Jones",
            phone="(415) 555-0102",
            email="bob@example.com",
        )
        consent.sms_confirm(shop=shop_us, customer=bob, source="customer_link", detail="confirm link")
        suppression.suppression_add(shop=shop_us, channel="email", address="cy@example.com", reason="bounce")
    client.force_login(admin_us)
    header = "Last name,First name,Mobile phone,Email,Email consent\r\n"
    data = (
        header
        + "Smith,Ann,,ann.smith@example.com,yes\r\n"  # a new address: it may be subscribed
        + "Smith,Ann2,,ann@example.com,yes\r\n"  # a second row naming the unsubscribed address
        + "Jones,Bob,(415) 555-0199,bob@example.com,\r\n"  # Bob's new phone: his opt-in was for the old one
        + "Brown,Cy,,cy@example.com,yes\r\n"  # a bouncing address, new customer
    ).encode()
    job = run(client, shop_us, data, name="old.csv", confirm=False)
    assert job.check_result["consent_refused"] == 2, job.check_result
    with shop_context(shop_us):
        ann = Customer.objects.get(pk=ann.pk)
    assert ann.email_status == "unsubscribed"  # the dry run changed nothing
    client.post(reverse("customers:import_confirm", args=[job.pk]))
    with shop_context(shop_us):
        bob = Customer.objects.get(pk=bob.pk)
        assert (str(bob.phone), bob.sms_status) == ("+14155550199", "none")
        event = ConsentEvent.objects.filter(customer=bob).latest("pk")
        assert (event.action, event.source) == ("address", "import")
        cy = Customer.objects.get(first_name="Cy")
        assert cy.email_status == "bounced"
        assert not ConsentEvent.objects.filter(customer=cy).exists()


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_an_opt_out_is_confirmed_once_and_never_for_the_providers_own_keyword(client, shop_fr, quiet_outbox):
    create(shop_fr, send_welcome_email=False)
    inbound(client, "Stop.", sid="SM1")
    inbound(client, "arrêter svp", sid="SM2")  # already opted out: nothing more
    with shop_context(shop_fr):
        (confirmation,) = OutboundMessage.objects.filter(kind="sms_stopped")
    assert confirmation.body_text.startswith("Pressing Test") and "START" in confirmation.body_text
    assert outbox.message_send(message_id=confirmation.pk, shop_id=shop_fr.pk) == "sent"  # despite the STOP

    other = create(shop_fr, send_welcome_email=False, phone="06 98 76 54 32", email="x@example.com")
    inbound(client, "STOP", phone="+33698765432", sid="SM3")  # Twilio confirms that one itself
    with shop_context(shop_fr):
        assert Customer.objects.get(pk=other.pk).sms_status == "opted_out"
        assert OutboundMessage.objects.filter(kind="sms_stopped").count() == 1


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_a_stop_two_shops_share_is_confirmed_once_naming_neither(
    texting_abroad, client, shop_fr, shop_us, quiet_outbox
):
    create(shop_fr, send_welcome_email=False)
    create(shop_us, send_welcome_email=False, phone="+33 6 12 34 56 78")
    inbound(client, "stop please", sid="SM9")
    confirmations = []
    for shop in (shop_fr, shop_us):
        with shop_context(shop):
            confirmations += list(OutboundMessage.objects.filter(kind="sms_stopped"))
    (confirmation,) = confirmations
    assert shop_fr.name not in confirmation.body_text and shop_us.name not in confirmation.body_text
