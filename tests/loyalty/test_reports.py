"""Redemption reports: groups per program and distributor over a period, credit batches (each redemption in
one batch), credited, downloads that name no customer, the liability, and another shop's batches out of
reach."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from loyalty import reports, rewards, sales, services
from loyalty.models import Card
from loyalty.sales import LineIn
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer

pytestmark = pytest.mark.django_db

CODE = "3017620422003"


@pytest.fixture
def redeemed(shop_us):
    """Two customers each redeemed a free bag of the Acme program; one reward waits at another program."""
    with shop_context(shop_us):
        services.product_save(shop=shop_us, code=CODE, name="=Kibble", brand="Acme", price="12.50")
        acme = services.program_create(
            shop=shop_us,
            by=None,
            name="Acme",
            kind="frequent_buyer",
            purchases_needed=2,
            codes=CODE,
            reward="any_qualifying",
            manufacturer="Acme Foods",
            distributor="PetDist",
            account_number="A-77",
        )
        services.program_create(
            shop=shop_us,
            by=None,
            name="Wash",
            kind="service_card",
            purchases_needed=1,
            codes="WASH",
            reward="amount_off",
            reward_amount="5",
        )
    for name in ("Ann", "Bob"):
        customer = add_customer(shop_us, first_name=name)
        with shop_context(shop_us):
            sales.sale_record(shop=shop_us, customer=customer, by=None, lines=[LineIn(code=CODE, quantity=2)])
            card = Card.objects.get(customer=customer, program=acme)
            rewards.card_redeem(shop=shop_us, by=None, customer=customer, card_id=card.pk, item_code=CODE)
            sales.sale_record(shop=shop_us, customer=customer, by=None, lines=[LineIn(code="WASH")])
    return acme


def test_groups_batches_and_credit(shop_us, redeemed, admin_us):
    today = timezone.localdate(timezone=shop_us.tzinfo)  # the shop's day, not the server's
    with shop_context(shop_us):
        (group,) = reports.report_groups(shop=shop_us, start=today - dt.timedelta(days=1), end=today)
        assert (group.distributor, group.count, group.value, group.uncredited) == (
            "PetDist",
            2,
            Decimal("25.00"),
            2,
        )
        batch = reports.batch_create(
            shop=shop_us, by=admin_us, program_id=redeemed.pk, start=today, end=today
        )
        assert (batch.count, batch.value, batch.account_number) == (2, Decimal("25.00"), "A-77")
        with pytest.raises(Exception, match="already in a batch"):
            reports.batch_create(shop=shop_us, by=admin_us, program_id=redeemed.pk, start=today, end=today)
        (group,) = reports.report_groups(shop=shop_us, start=today, end=today)
        assert group.uncredited == 0
        reports.batch_credit(shop=shop_us, batch_id=batch.pk, reference="CR-1")
        liability = reports.liability(shop=shop_us)
        assert (liability.rewards_waiting, liability.rewards_waiting_value) == (2, Decimal("10.00"))


def test_the_report_pages_and_downloads(admin_client_us, shop_us, redeemed):
    page = admin_client_us.get(reverse("loyalty:redemptions")).content.decode()
    assert "PetDist" in page and "Make a credit batch" in page
    today = timezone.localdate(timezone=shop_us.tzinfo).isoformat()
    admin_client_us.post(
        reverse("loyalty:batch_create"), {"program": redeemed.pk, "start": today, "end": today}
    )
    with shop_context(shop_us):
        (batch,) = reports.batches(shop=shop_us)
    csv = b"".join(
        admin_client_us.get(reverse("loyalty:batch_download", args=[batch.pk, "csv"])).streaming_content
    )
    text = csv.decode("utf-8-sig")
    assert "'=Kibble" in text and "12.50" in text and "Ann" not in text
    xlsx = admin_client_us.get(reverse("loyalty:batch_download", args=[batch.pk, "xlsx"])).content
    rows = list(load_workbook(io.BytesIO(xlsx)).active.values)
    assert rows[1][6] == "=Kibble" and len(rows) == 3
    bad = admin_client_us.get(reverse("loyalty:redemptions"), {"start": today, "end": "2000-01-01"})
    assert 'id="id_end_error"' in bad.content.decode()


def test_another_shop_cannot_see_or_credit_the_batches(shop_us, shop_fr, redeemed, admin_us, admin_client_fr):
    today = timezone.localdate(timezone=shop_us.tzinfo)  # the shop's day, not the server's
    with shop_context(shop_us):
        batch = reports.batch_create(
            shop=shop_us, by=admin_us, program_id=redeemed.pk, start=today, end=today
        )
    assert admin_client_fr.get(reverse("loyalty:batch_download", args=[batch.pk, "csv"])).status_code == 404
    assert admin_client_fr.post(reverse("loyalty:batch_credit", args=[batch.pk])).status_code == 404
    response = admin_client_fr.post(
        reverse("loyalty:batch_create"), {"program": redeemed.pk, "start": today, "end": today}
    )
    assert response.status_code == 302
    assert "PetDist" not in admin_client_fr.get(reverse("loyalty:redemptions")).content.decode()
    with shop_context(shop_us):
        assert reports.batches(shop=shop_us)[0].credited_at is None


def test_the_training_customers_rewards_never_reach_a_report(admin_client_us, shop_us, redeemed, admin_us):
    with shop_context(shop_us):
        ann = Card.objects.filter(program=redeemed).order_by("pk").first().customer
    response = admin_client_us.post(reverse("loyalty:training_customer"), {"training_customer": ann.number})
    assert response.status_code == 302
    bad = admin_client_us.post(reverse("loyalty:training_customer"), {"training_customer": "ZZZZZZZZ"})
    assert 'id="id_training_customer_error"' in bad.content.decode()
    today = timezone.localdate(timezone=shop_us.tzinfo)
    with shop_context(shop_us):
        (group,) = reports.report_groups(shop=shop_us, start=today, end=today)
        assert (group.count, group.value) == (1, Decimal("12.50"))
        batch = reports.batch_create(
            shop=shop_us, by=admin_us, program_id=redeemed.pk, start=today, end=today
        )
        assert batch.count == 1
