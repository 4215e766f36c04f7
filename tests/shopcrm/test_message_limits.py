"""Every message a stranger (or a careless admin) can make the platform send is bounded, per address and per
client address, and the answer is the same whether or not the address has an account."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from messaging import services as messaging_services
from messaging.models import OutboundMessage
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def resets(monkeypatch):
    """The reset emails the form hands to the workers (user ids)."""
    sent = []
    monkeypatch.setattr("shopcrm.tasks.publish_on_commit", lambda task, *args: sent.append(args[0]))
    return sent


def test_twenty_resets_for_one_mailbox_send_three(client, cashier_fr, resets):
    answers = [
        client.post(reverse("password_reset"), {"email": "caisse@test.example"}, REMOTE_ADDR=f"10.0.0.{i}")
        for i in range(20)
    ]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, reverse("password_reset_done"))}
    assert resets == [cashier_fr.pk] * 3


def test_one_client_asking_for_many_mailboxes_is_stopped_too(client, cashier_fr, resets):
    for i in range(25):
        client.post(reverse("password_reset"), {"email": f"nobody{i}@test.example"})
    client.post(reverse("password_reset"), {"email": "caisse@test.example"})
    assert resets == []  # the 26th ask from this address is past its 20 an hour


def test_the_answer_is_the_same_for_an_address_without_an_account(client, cashier_fr, resets):
    known = client.post(reverse("password_reset"), {"email": "caisse@test.example"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@test.example"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert resets == [cashier_fr.pk] and mail.outbox == []


def test_invitations_to_one_address_are_a_few_a_day_from_every_shop(make_staff):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from shopcrm.models import Role
    from shopcrm.services import staff_invite
    from tests.conftest import make_shop

    shops = [make_shop(name=f"Shop {i}") for i in range(4)]
    admins = [make_staff(shop, f"admin{i}@test.example", Role.ADMIN) for i, shop in enumerate(shops)]
    for shop, admin in list(zip(shops, admins, strict=True))[:3]:
        staff_invite(shop=shop, by=admin, email="target@example.com", role="cashier")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        staff_invite(shop=shops[3], by=admins[3], email="Target@Example.com", role="cashier")
    assert "several invitations today" in refused.value.message_dict["email"][0]


def test_a_shop_inviting_in_bulk_is_told_next_to_the_email(admin_client_fr, shop_fr):
    for i in range(20):
        assert (
            admin_client_fr.post(
                reverse("staff_invite"), {"email": f"new{i}@example.com", "role": "cashier"}
            ).status_code
            == 302
        )
    page = admin_client_fr.post(reverse("staff_invite"), {"email": "new20@example.com", "role": "cashier"})
    assert page.status_code == 200 and 'id="id_email_error"' in page.content.decode()
    with shop_context(shop_fr):
        assert OutboundMessage.objects.filter(kind="staff_invite").count() == 20


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_help_texted_in_a_loop_is_answered_three_times_an_hour(client, settings, shop_fr):
    from tests.conftest import add_customer
    from tests.messaging.test_webhooks import TOKEN, inbound

    settings.TWILIO_AUTH_TOKEN, settings.SITE_URL = TOKEN, "https://crm.example"
    add_customer(shop_fr, phone="06 12 34 56 78")
    for i in range(10):
        inbound(client, "HELP", sid=f"SM{i}")
    with shop_context(shop_fr):
        assert OutboundMessage.objects.filter(kind="sms_help").count() == messaging_services.ANSWERS_AN_HOUR


def test_a_data_copy_link_goes_a_few_times_a_day_to_one_address(shop_fr):
    from tests.conftest import add_customer

    customer = add_customer(shop_fr, email="ann@example.com")
    sent = 0
    with shop_context(shop_fr):
        for _ in range(8):
            # Past the ten minutes between two links.
            earlier = timezone.now() - timedelta(hours=1)
            OutboundMessage.objects.filter(kind="data_copy").update(created_at=earlier)
            sent += messaging_services.data_copy_send(shop=shop_fr, customer=customer) is not None
    assert sent == messaging_services.DATA_COPIES_A_DAY
