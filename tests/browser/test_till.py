import re

import pytest
from playwright.sync_api import expect

from customers.services import customer_create
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def regulars(shop_fr):
    with shop_context(shop_fr):
        for first, last, phone in [
            ("Hélène", "Dupont", "06 12 34 56 78"),
            ("Jean", "Dupond", "06 98 76 54 32"),
            ("Léa", "Lefèvre", "07 81 22 33 44"),
        ]:
            customer_create(shop=shop_fr, by=None, first_name=first, last_name=last, phone=phone)


def test_find_by_partial_phone_and_misspelt_name_with_the_keyboard(
    page, live_server, shop_fr, cashier_fr, regulars, login, axe_check, shot
):
    login(page, "caisse@test.example", PASSWORD)
    # A customer-first shop opens on "Who is this for?", the box focused.
    expect(page.get_by_role("heading", name="Pour qui est ce ticket ?")).to_be_visible()
    box = page.get_by_label("Trouver un client")
    expect(box).to_be_focused()

    page.keyboard.type("5678")
    expect(page.locator("[data-result]")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Hélène")
    axe_check(page)
    shot(page, "till-phone-search-tablet")

    page.keyboard.press("Escape")
    expect(box).to_have_value("")
    page.keyboard.type("lefevvre")
    expect(page.locator("#results")).to_contain_text("Lefèvre")
    shot(page, "till-fuzzy-search-phone", 390, 844)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.keyboard.press("ArrowDown")
    expect(page.locator("[data-result]").first).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/checkout/[A-Z0-9]{8}/$"))
    no_email = page.get_by_role("button", name="Pas d'e-mail enregistré")
    expect(no_email).to_be_visible()
    axe_check(page)
    no_email.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("dialog").get_by_label("Prénom")).to_have_value("Léa")
    shot(page, "till-popup-fr-tablet")


def test_add_customer_from_the_search_carries_the_typed_phone(page, live_server, shop_fr, cashier_fr, login):
    login(page, "caisse@test.example", PASSWORD)
    page.get_by_label("Trouver un client").fill("06 55 44 33 22")
    expect(page.locator("#results")).to_contain_text("Aucun client ne correspond")
    page.locator("#add-from-search").click()
    expect(page.get_by_label("Téléphone mobile")).to_have_value("06 55 44 33 22")
