"""The admin's desk in the browser: client list, filters, export, import, merge, staff and settings."""

import csv
import io

import pytest
from playwright.sync_api import expect

from customers.services import customer_create, customer_tags_set, pet_create
from shopcrm.models import Role
from shopcrm.services import staff_create
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def paws(shop_us):
    staff_create(shop=shop_us, email="boss@paws.example", password=PASSWORD, role=Role.ADMIN)
    with shop_context(shop_us):
        for i, (first, last, species) in enumerate(
            [("Ann", "Able", "cat"), ("Bob", "Baker", "dog"), ("Cy", "Cole", "cat"), ("Di", "Dunn", None)]
        ):
            customer = customer_create(
                shop=shop_us,
                by=None,
                first_name=first,
                last_name=last,
                phone=f"+1415555010{i}",
                email=f"{first.lower()}@example.com" if i % 2 == 0 else "",
            )
            if species:
                pet_create(shop=shop_us, by=None, owner=customer, name=f"Pet{i}", species=species)
            if i == 0:
                customer_tags_set(shop=shop_us, by=None, customer=customer, names=["VIP"])
    return shop_us


def test_filter_the_list_then_export_and_open_the_csv(page, live_server, login, paws, axe_check, shot):
    login(page, "boss@paws.example", PASSWORD)
    page.get_by_role("link", name="Customers", exact=True).click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.locator("#list-count")).to_have_text("4 customers")
    page.locator("summary", has_text="Filters").click()
    page.get_by_label("Pet species").select_option("cat")
    expect(page.locator("#list-count")).to_have_text("2 customers")
    page.get_by_label("Has an email").select_option("yes")
    expect(page.locator("#list-count")).to_have_text("2 customers")
    assert "species=cat" in page.url and "has_email=yes" in page.url  # shareable, back-button friendly
    axe_check(page)
    shot(page, "client-list-filtered")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    path = download_info.value.path()
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["Last name"] for r in rows) == ["Able", "Cole"]
    assert {r["Pets"] for r in rows} == {"Pet0 (Cat)", "Pet2 (Cat)"}
    # Back restores the unfiltered list.
    page.go_back()
    page.go_back()
    expect(page.locator("#list-count")).to_have_text("4 customers")
    page.goto(f"{live_server.url}/customers/exports/")
    expect(page.get_by_role("cell", name="boss@paws.example")).to_be_visible()
    axe_check(page)
    shot(page, "export-log")


def test_tag_all_matching_customers_from_the_list(page, live_server, login, paws, shot):
    login(page, "boss@paws.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/?has_email=no")
    expect(page.locator("#list-count")).to_have_text("2 customers")
    page.get_by_label("All matching customers (2)").check()
    page.get_by_placeholder("Tag").fill("Call back")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_role("status")).to_contain_text("Tag “Call back” added to 2 customers.")
    expect(page.locator("tbody .chip", has_text="Call back")).to_have_count(2)
    shot(page, "client-list-tagged", 390, 844)
