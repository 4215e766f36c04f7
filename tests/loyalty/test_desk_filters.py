"""The client list (and so segments and campaigns) filtered on loyalty: bought a product or a brand, not
since a date, points at least, a reward waiting."""

import datetime as dt

import pytest
from django.http import QueryDict
from django.urls import reverse

from desk.forms import customer_filter_form
from desk.listing import CustomerFilter, customer_filter_queryset
from loyalty import sales, services
from loyalty.sales import LineIn
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer

pytestmark = pytest.mark.django_db

KIBBLE = "3017620422003"
LONG_AGO = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)


@pytest.fixture
def buyers(shop_us):
    with shop_context(shop_us):
        services.product_save(shop=shop_us, code=KIBBLE, name="Kibble", brand="Acme", price="30")
        services.program_create(
            shop=shop_us,
            by=None,
            name="Kibble card",
            kind="frequent_buyer",
            purchases_needed=2,
            codes=KIBBLE,
            reward="same_product",
        )
        services.program_create(shop=shop_us, by=None, name="Points", kind="points", points_per_unit="1")
    people = {name: add_customer(shop_us, first_name=name) for name in ("Ann", "Bob", "Cy", "Di")}
    with shop_context(shop_us):
        record = sales.sale_record
        record(shop=shop_us, customer=people["Ann"], by=None, lines=[LineIn(code=KIBBLE, quantity=2)])
        record(shop=shop_us, customer=people["Bob"], by=None, lines=[LineIn(code=KIBBLE)], at=LONG_AGO)
        refunded = record(shop=shop_us, customer=people["Cy"], by=None, lines=[LineIn(code=KIBBLE)]).lines[0]
        sales.line_reverse(shop=shop_us, by=None, customer=people["Cy"], line_id=refunded.pk)
        record(shop=shop_us, customer=people["Di"], by=None, lines=[LineIn(code="TOY", amount="5")])
    return people


def names(shop, **filters):
    with shop_context(shop):
        found = customer_filter_queryset(shop=shop, filters=CustomerFilter(**filters))
        return sorted(found.values_list("first_name", flat=True))


def test_bought_a_code_or_a_brand_and_not_since(shop_us, buyers):
    assert names(shop_us, bought=KIBBLE) == ["Ann", "Bob"]
    assert names(shop_us, bought="acme") == ["Ann", "Bob"]
    assert names(shop_us, bought="ACME", not_bought_since=dt.date(2026, 6, 1)) == ["Bob"]
    # No purchase since then (a refunded one does not count).
    assert names(shop_us, not_bought_since=dt.date(2026, 6, 1)) == ["Bob", "Cy"]


def test_points_and_rewards_waiting(shop_us, buyers):
    assert names(shop_us, points_min=40) == ["Ann"]
    assert names(shop_us, points_min=5) == ["Ann", "Bob", "Di"]
    assert names(shop_us, reward_waiting=True) == ["Ann"]
    assert names(shop_us, reward_waiting=False) == ["Bob", "Cy", "Di"]


def test_the_list_page_reads_the_loyalty_filters(admin_client_us, shop_us, buyers):
    with shop_context(shop_us):
        form = customer_filter_form(shop_us, QueryDict("bought=Acme&reward_waiting=yes&points_min=-1"))
        assert "points_min" in form.errors
        assert form.to_filter().bought == "Acme" and form.to_filter().reward_waiting is True
    page = admin_client_us.get(reverse("customers:list"), {"bought": "Acme", "reward_waiting": "yes"})
    text = page.content.decode()
    assert "Bought (product code or brand)" in text and "Ann" in text and "Bob" not in text
