"""The screens this release added or changed, looked at on a tablet and a phone: the edit popup with the
second person, the customer's imported history, the list's new filters, the country picker."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from customers.services import customer_create
from shopcrm.models import Role
from shopcrm.services import staff_create
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def regular(shop_us):
    staff_create(shop=shop_us, email="boss@paws.example", password=PASSWORD, role=Role.ADMIN)
    with shop_context(shop_us):
        ann = customer_create(shop=shop_us, by=None, first_name="Ann", last_name="Able", phone="+14155550100")
        Customer.objects.filter(pk=ann.pk).update(
            visit_count=12,
            first_visit_at=datetime.datetime(2021, 1, 10, 15, tzinfo=datetime.UTC),
            last_visit_at=datetime.datetime(2024, 11, 2, 21, 30, tzinfo=datetime.UTC),
            total_spent=Decimal("1234.50"),
            birthday=datetime.date(1990, 3, 5),
        )
    return ann


def test_the_second_person_and_the_imported_history(page, live_server, login, regular, axe_check, shot):
    login(page, "boss@paws.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/{regular.number}/")
    summary = page.locator("#customer-summary")
    expect(summary).to_contain_text("12 visits")
    expect(summary).to_contain_text("$1,234.50")  # in the shop's currency
    expect(summary).to_contain_text("March 5, 1990")
    page.get_by_role("button", name="Edit customer").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Also on this account").fill("Bob Able")
    shot(page, "edit-also-on-this-account", 1024, 900)
    dialog.get_by_role("button", name="Save changes").click()
    expect(summary).to_contain_text("Also on this account: Bob Able")
    axe_check(page)
    shot(page, "customer-history-fields-phone", 390, 844)


def test_the_new_list_filters_and_the_country_picker(page, live_server, login, regular, axe_check, shot):
    login(page, "boss@paws.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("At least this many visits").fill("10")
    page.get_by_label("Spent at least").fill("1000")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#list-count")).to_contain_text("1 customer")
    axe_check(page)
    shot(page, "list-new-filters", 1024, 1400)
    page.goto(f"{live_server.url}/settings/")
    country = page.get_by_label("Country")
    expect(country.locator("option:checked")).to_have_text("United States (US, +1)")
    shot(page, "settings-country-phone", 390, 844)
