"""The admin's desk in the browser: client list, filters, export, import, merge, staff and settings."""

import csv
import io
import re

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
    # The address bar holds the filters (shareable, back-button friendly), without the empty ones.
    expect(page).to_have_url(re.compile(r"/customers/\?species=cat&has_email=yes&sort=name$"))
    expect(page.locator("#list-count")).to_have_text("2 customers")
    axe_check(page)
    shot(page, "client-list-filtered")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    path = download_info.value.path()
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["Last name"] for r in rows) == ["Able", "Cole"]
    assert {r["Pets"] for r in rows} == {"Pet0 (Cat)", "Pet2 (Cat)"}
    # Back restores the earlier lists, one step at a time.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/customers/\?species=cat&sort=name$"))
    expect(page.get_by_label("Has an email")).to_have_value("")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.locator("#list-count")).to_have_text("4 customers")
    # An email typed in the search box never reaches the address bar: it holds a key to it instead.
    page.get_by_label("Find a customer").fill("ann@example.com")
    expect(page.locator("#list-count")).to_have_text("1 customer")
    expect(page).to_have_url(re.compile(r"/customers/\?search=[\w-]+&sort=name$"))
    assert "ann" not in page.url
    page.reload()
    expect(page.get_by_label("Find a customer")).to_have_value("ann@example.com")
    expect(page.locator("#list-count")).to_have_text("1 customer")
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


def test_import_wizard_with_a_real_file(page, live_server, login, paws, tmp_path, axe_check, shot):
    source = tmp_path / "old-shop-software.csv"
    source.write_bytes(
        (
            "Customer ID;Last name;First name;Mobile phone;Email;Tags\r\n"
            "C-001;Évrard;Zoé;(415) 555-0199;zoe@example.com;Groomer\r\n"
            "C-002;Able;Ann;(415) 555-0100;;\r\n"  # already here (same phone): updated with the ID
            "C-003;Nobody;;;;\r\n"  # no first name
        ).encode("cp1252")
    )
    login(page, "boss@paws.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("File to import").set_input_files(str(source))
    axe_check(page)
    shot(page, "import-upload", 390, 844)
    page.get_by_role("button", name="Upload and choose the columns").click()
    expect(page.get_by_role("heading", name="Which column holds what?")).to_be_visible()
    expect(page.get_by_label("Customer ID")).to_have_value("internal_id")
    expect(page.get_by_label("Mobile phone")).to_have_value("phone")
    expect(page.get_by_text("windows-1252")).to_be_visible()
    axe_check(page)
    shot(page, "import-columns")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check (nothing written yet)")).to_be_visible()
    expect(page.locator(".counts__item--new")).to_contain_text("1")
    expect(page.locator(".counts__item--updated")).to_contain_text("1")
    expect(page.locator(".counts__item--invalid")).to_contain_text("1")
    expect(page.get_by_role("cell", name="First name: This cell is empty.")).to_be_visible()
    # What the update changes, customer by customer.
    expect(page.locator("#import-changes")).to_contain_text("Ann Able")
    axe_check(page)
    shot(page, "import-check")
    page.get_by_role("button", name="Import: 1 new, 1 updated").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.get_by_role("status").locator(".counts__item--new")).to_contain_text("1")
    expect(page.get_by_role("status").locator(".counts__item--updated")).to_contain_text("1")
    shot(page, "import-done")
    page.get_by_role("link", name="See the customers").click()
    expect(page.get_by_role("link", name="Évrard Zoé")).to_be_visible()


def test_merge_two_customers_then_undo(page, live_server, login, paws, axe_check, shot):
    with shop_context(paws):
        customer_create(shop=paws, by=None, first_name="Ann", last_name="Able", email="ann.able@example.org")
    login(page, "boss@paws.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/?q=able")
    expect(page.locator("#list-count")).to_have_text("2 customers")
    for box in page.locator(".row-check").all():
        box.check()
    page.get_by_role("button", name="Merge two…").click()
    expect(page.get_by_role("heading", name="Merge two customers")).to_be_visible()
    axe_check(page)
    shot(page, "merge-side-by-side")
    page.locator("tr", has_text="ann.able@example.org").get_by_role("radio").last.check()
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("was merged into this customer")
    expect(page.get_by_role("heading", name="Merged records")).to_be_visible()
    expect(page.locator(".history__item", has_text="merged a duplicate")).to_contain_text(
        "ann.able@example.org"
    )
    shot(page, "merge-done")
    page.get_by_role("button", name="Undo merge").click()
    expect(page.get_by_role("status")).to_contain_text("The merge was undone")
    page.goto(f"{live_server.url}/customers/?q=able")
    expect(page.locator("#list-count")).to_have_text("2 customers")


def test_settings_invite_and_deactivate(page, live_server, login, paws, axe_check, shot):
    login(page, "boss@paws.example", PASSWORD)
    page.get_by_role("link", name="Settings").click()
    axe_check(page)
    page.get_by_label("Sender name").fill("Happy Paws")
    page.get_by_label("Internal customer ID").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved.")
    expect(page.get_by_label("Internal customer ID")).to_be_checked()
    page.locator("#id_email").fill("nia@paws.example")
    page.locator("#id_role").select_option("cashier")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nia@paws.example.")
    row = page.locator("tr", has_text="nia@paws.example")
    expect(row).to_contain_text("invited, no answer yet")
    row.get_by_role("button", name="Withdraw the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation to nia@paws.example withdrawn.")
    expect(page.locator("tr", has_text="nia@paws.example")).to_contain_text("invitation withdrawn")
    axe_check(page)
    shot(page, "settings")


def test_a_large_exports_progress_page(page, live_server, login, paws, axe_check, shot):
    from customers.models import Export

    with shop_context(paws):
        record = Export.objects.create(shop=paws, format="xlsx", filters="species=cat", expected_rows=120_000)
    login(page, "boss@paws.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/exports/{record.pk}/")
    expect(page.get_by_text("Preparing 120,000 customers…")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Export progress")).to_be_visible()
    axe_check(page)
    shot(page, "export-progress", 390, 844)


def test_save_a_segment_from_the_list_then_open_it(page, live_server, login, paws, axe_check, shot):
    login(page, "boss@paws.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/")
    page.get_by_label("Find a customer", exact=True).fill("able")
    expect(page.locator("#list-count")).to_contain_text("1 customer")
    page.get_by_text("Save as segment").click()
    page.get_by_label("Segment name").fill("Able family")
    page.get_by_role("button", name="Save segment").click()
    expect(page.locator("#segment-save")).to_contain_text("Saved as the segment “Able family”.")
    shot(page, "segment-saved", 1024, 768)
    page.get_by_role("link", name="All segments").click()
    expect(page.get_by_role("heading", name="Segments")).to_be_visible()
    expect(page.locator("#segments")).to_contain_text("1 customer")
    axe_check(page)
    shot(page, "segments-phone", 390, 844)
    page.get_by_role("link", name="Able family").click()
    expect(page.locator("#segment-open")).to_contain_text("Able family")
    expect(page.get_by_role("link", name="Able Ann")).to_be_visible()
    expect(page.get_by_role("link", name="Baker Bob")).to_have_count(0)


def test_find_duplicates_review_one_and_dismiss_another(page, live_server, login, paws, axe_check, shot):
    from customers.models import Customer
    from customers.services import customer_update

    with shop_context(paws):
        # Two more Ann Able and a Cy Coles (a typo from Cy Cole), all at one address.
        for first, last in (("Ann", "Able"), ("Ann", "Able"), ("Cy", "Coles")):
            customer_create(shop=paws, by=None, first_name=first, last_name=last)
        for c in Customer.objects.filter(shop=paws, first_name__in=["Ann", "Cy"]):
            customer_update(shop=paws, by=None, customer=c, postal_code="94110", address_line1="1 Main St")
    login(page, "boss@paws.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/")
    page.get_by_role("link", name="Duplicates").click()
    expect(page.get_by_role("heading", name="Possible duplicates")).to_be_visible()
    expect(page.locator(".duplicates__pair").first).to_contain_text("Same name and postal code")
    axe_check(page)
    shot(page, "duplicates-tablet", 1024, 768)
    shot(page, "duplicates-phone", 390, 844)
    count = page.locator(".duplicates__pair").count()
    page.locator(".duplicates__pair").last.get_by_role("button", name="Not the same person").click()
    expect(page.locator(".duplicates__pair")).to_have_count(count - 1)
    page.locator(".duplicates__pair").first.get_by_role("link", name="Review and merge").click()
    expect(page).to_have_url(re.compile(r"/customers/merge/\?customer="))
