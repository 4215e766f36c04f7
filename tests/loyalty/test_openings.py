"""Balances a shop brings from its previous software: an import's points and card columns become opening
ledger rows on its programs, once per customer and program (the same file again changes nothing)."""

import pytest
from django.db.models import Sum

from customers.models import Customer
from loyalty import services
from loyalty.models import Card, LedgerEntry
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer
from tests.customers.test_import import run
from tests.loyalty.test_ledger import ledger_matches_cards

pytestmark = pytest.mark.django_db

FILE = (
    b"Last name,First name,Email,Points,Stamps\n"
    b"Wong,Mia,mia@example.com,250,12\n"
    b"Smith,Ann,ann@example.com,,3\n"
    b"Bad,Row,bad@example.com,lots,\n"
)


def test_an_import_brings_opening_balances_once(admin_client_us, shop_us):
    with shop_context(shop_us):
        services.program_create(shop=shop_us, by=None, name="Points", kind="points", points_per_unit="1")
        services.program_create(
            shop=shop_us,
            by=None,
            name="Kibble",
            kind="frequent_buyer",
            purchases_needed=10,
            codes="K",
            reward="any_qualifying",
        )
    add_customer(shop_us, first_name="Ann", last_name="Smith", email="ann@example.com")
    job = run(admin_client_us, shop_us, FILE)
    assert job.result["openings"] == 2 and job.result["invalid"] == 1
    assert job.result["openings_done"] == {"points": 1, "punches": 2, "already": 0, "no_program": 0}
    with shop_context(shop_us):
        mia = Customer.objects.get(email="mia@example.com")
        cards = {(c.program.name, c.status): (c.punches, c.points) for c in Card.objects.filter(customer=mia)}
        assert cards == {
            ("Points", "open"): (0, 250),
            ("Kibble", "complete"): (10, 0),
            ("Kibble", "open"): (2, 0),
        }
        ann = Customer.objects.get(email="ann@example.com")
        assert Card.objects.get(customer=ann).punches == 3
        assert LedgerEntry.objects.filter(kind="opening", source="import").count() == 4
    ledger_matches_cards(shop_us)
    again = run(admin_client_us, shop_us, FILE)
    assert again.result["openings_done"]["already"] == 3
    with shop_context(shop_us):
        assert LedgerEntry.objects.filter(kind="opening").aggregate(n=Sum("points"))["n"] == 250
