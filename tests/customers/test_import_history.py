"""The history an old system carries comes in with the customers: first and last visit, number of visits,
total spent, birthday; the list filters on it and the retention rule reads the last visit."""

import datetime
from decimal import Decimal

import pytest

from customers.models import Customer
from desk.imports.history import history_values
from desk.listing import CustomerFilter, customer_count
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.customers.test_import import run

pytestmark = pytest.mark.django_db

SQUARE = (
    "First Name,Last Name,Email Address,Birthday,First Visit,Last Visit,Transaction Count,Total Spend\r\n"
    'Marie,Curie,marie@example.org,1990-03-05,2021-01-10,2024-11-02 17:30,12,"1,234.50"\r\n'
    "Paul,Dirac,paul@example.org,,,,,\r\n"
)


def test_a_square_export_brings_its_history(admin_client_us, shop_us):
    job = run(admin_client_us, shop_us, SQUARE.encode(), name="customers.csv")
    assert job.check_result["new"] == 2 and job.check_result["invalid"] == 0, job.check_result
    with shop_context(shop_us):
        marie = Customer.objects.get(last_name="Curie")
        paul = Customer.objects.get(last_name="Dirac")
        assert marie.birthday == datetime.date(1990, 3, 5)
        assert marie.visit_count == 12 and marie.total_spent == Decimal("1234.50")
        assert marie.first_visit_at.date() == datetime.date(2021, 1, 10)
        assert marie.last_visit_at.astimezone(datetime.UTC) == datetime.datetime(
            2024,
            11,
            2,
            21,
            30,
            tzinfo=datetime.UTC,  # 17:30 in New York (EDT)
        )
        assert (paul.visit_count, paul.total_spent, paul.birthday, paul.last_visit_at) == (
            0,
            None,
            None,
            None,
        )
        assert customer_count(shop=shop_us, filters=CustomerFilter(spent_min=Decimal("1000"))) == 1
        assert customer_count(shop=shop_us, filters=CustomerFilter(visits_min=10)) == 1


def test_french_dates_and_amounts_and_an_older_file_never_undoes_the_till(admin_client_fr, shop_fr):
    lea = add(shop_fr, first_name="Léa", last_name="Martin", email="lea@example.fr")
    with shop_context(shop_fr):
        from customers.services import customer_visit_record

        customer_visit_record(shop=shop_fr, by=None, customer=lea)
    data = (
        "Nom;Prénom;Email;Dernière visite;Nombre de visites;Total dépensé;Date de naissance\r\n"
        "Martin;Léa;lea@example.fr;05/03/2023;7;1 234,50 €;05/03/1990\r\n"
    ).encode()
    job = run(admin_client_fr, shop_fr, data)
    assert job.check_result["updated"] == 1, job.check_result
    with shop_context(shop_fr):
        lea.refresh_from_db()
    assert lea.last_visit_at.date() == datetime.date.today()  # the visit at the till is later: kept
    assert lea.visit_count == 7 and lea.total_spent == Decimal("1234.50")
    assert lea.birthday == datetime.date(1990, 3, 5)


@pytest.mark.parametrize(
    ("cells", "field", "expected"),
    [
        ({"last_visit_at": "45356"}, "last_visit_at", "A spreadsheet turned this date into a number"),
        ({"birthday": "31/02/1990"}, "birthday", "does not exist"),
        ({"visit_count": "twelve"}, "visit_count", "whole number"),
        ({"total_spent": "lots"}, "total_spent", "amount"),
        (
            {"first_visit_at": "2024-05-01", "last_visit_at": "2024-01-01"},
            "last_visit_at",
            "before the first",
        ),
    ],
)
def test_bad_history_cells_say_why(cells, field, expected):
    _values, errors = history_values(dict(cells), country="FR")
    assert expected in " ".join(errors[field])


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [("03/05/2024", "US", datetime.date(2024, 3, 5)), ("03/05/2024", "FR", datetime.date(2024, 5, 3))],
)
def test_day_and_month_follow_the_shops_country(text, country, expected):
    values, errors = history_values({"birthday": text}, country=country)
    assert not errors and values["birthday"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,50 €", "1234.50"),
        ("$1,234.50", "1234.50"),
        ("12.5", "12.50"),
        ("1.234", "1234.00"),
        ("0", "0.00"),
    ],
)
def test_amounts_as_people_write_them(text, expected):
    values, _errors = history_values({"total_spent": text}, country="FR")
    assert values["total_spent"] == Decimal(expected)
