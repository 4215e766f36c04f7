"""Customers' other paths with loyalty: a merge combines cards and points (an undo splits them back), an
erasure keeps the redemption's reimbursement record but not the person."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from customers.erasure import customer_erase
from customers.models import Customer
from desk.merge import customers_merge, merge_undo
from loyalty import rewards, sales, services
from loyalty.models import Card, LedgerEntry, Sale
from loyalty.sales import LineIn
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer
from tests.loyalty.test_ledger import ledger_matches_cards

pytestmark = pytest.mark.django_db

CODE = "3017620422003"


@pytest.fixture
def programs(shop_us):
    with shop_context(shop_us):
        services.product_save(shop=shop_us, code=CODE, name="Kibble", price="10")
        cards = services.program_create(
            shop=shop_us,
            by=None,
            name="Kibble card",
            kind="frequent_buyer",
            purchases_needed=10,
            codes=CODE,
            reward="any_qualifying",
            required_at_redemption="email",
        )
        points = services.program_create(
            shop=shop_us, by=None, name="Points", kind="points", points_per_unit="1"
        )
    return cards, points


def buy(shop, customer, quantity):
    with shop_context(shop):
        sales.sale_record(shop=shop, customer=customer, by=None, lines=[LineIn(code=CODE, quantity=quantity)])


def test_a_merge_combines_cards_and_points_and_its_undo_splits_them_back(shop_us, programs, admin_us):
    ann = add_customer(shop_us, first_name="Ann", phone="+14155550101")
    annie = add_customer(shop_us, first_name="Annie", phone="+14155550102")
    buy(shop_us, ann, 3)
    buy(shop_us, annie, 4)
    with shop_context(shop_us):
        record = customers_merge(shop=shop_us, by=admin_us, survivor=ann, other=annie, choices={})
        kibble = Card.objects.get(customer=ann, program=programs[0], status="open")
        points = Card.objects.get(customer=ann, program=programs[1], status="open")
        assert (kibble.punches, points.points) == (7, 70)
        assert Sale.objects.filter(customer=ann).count() == 2
    ledger_matches_cards(shop_us)
    with shop_context(shop_us):
        back = merge_undo(shop=shop_us, by=admin_us, merge=record)
        mine = {c.program_id: (c.punches, c.points, c.status) for c in Card.objects.filter(customer=ann)}
        theirs = {c.program_id: (c.punches, c.points, c.status) for c in Card.objects.filter(customer=back)}
        assert mine == {programs[0].pk: (3, 0, "open"), programs[1].pk: (0, 30, "open")}
        assert theirs == {programs[0].pk: (4, 0, "open"), programs[1].pk: (0, 40, "open")}
        assert Sale.objects.filter(customer=back).count() == 1
    ledger_matches_cards(shop_us)


def test_a_merge_that_completes_the_survivors_card_shows_the_reward(shop_us, programs, admin_us):
    ann = add_customer(shop_us, first_name="Ann", phone="+14155550101")
    annie = add_customer(shop_us, first_name="Annie", phone="+14155550102")
    buy(shop_us, ann, 6)
    buy(shop_us, annie, 5)
    with shop_context(shop_us):
        customers_merge(shop=shop_us, by=admin_us, survivor=ann, other=annie, choices={})
        card = Card.objects.get(customer=ann, program=programs[0], status__in=["open", "complete"])
        assert (card.status, card.punches) == ("complete", 11)
    ledger_matches_cards(shop_us)


def test_erasure_keeps_the_reimbursement_record_without_the_person(shop_us, programs, admin_us):
    ann = add_customer(shop_us, first_name="Ann", email="ann@example.com")
    buy(shop_us, ann, 10)
    with shop_context(shop_us):
        card = Card.objects.get(program=programs[0])
        rewards.card_redeem(shop=shop_us, by=None, customer=ann, card_id=card.pk, item_code=CODE)
        customer_erase(shop=shop_us, by=admin_us, customer=Customer.objects.get(pk=ann.pk))
        (redemption,) = LedgerEntry.objects.filter(kind="redemption")
        assert redemption.customer_id is None and redemption.captured_email == ""
        assert (redemption.program_id, redemption.item_code, redemption.value) == (
            programs[0].pk,
            CODE,
            Decimal("10.00"),
        )
        assert not Card.objects.exists() and not Sale.objects.exists()
        assert LedgerEntry.objects.filter(customer__isnull=False).count() == 0
        assert LedgerEntry.objects.aggregate(n=Sum("punches"))["n"] == 10
