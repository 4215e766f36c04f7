"""The remaining screens, each opened in the browser, checked with axe and kept as a screenshot."""

import pytest
from playwright.sync_api import expect

from customers.services import customer_create
from messaging import tokens
from shopcrm.models import Role
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_password_reset_page(page, live_server, axe_check, shot):
    page.goto(f"{live_server.url}/accounts/password-reset/")
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    axe_check(page)
    shot(page, "password-reset-phone", 390, 844)


def test_preferences_page_on_a_phone(page, live_server, shop_fr, axe_check, shot):
    with shop_context(shop_fr):
        betty = customer_create(
            shop=shop_fr,
            by=None,
            first_name="Betty",
            last_name="Smith",
            email="betty@example.com",
            phone="06 12 34 56 78",
        )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/m/p/{tokens.make(betty, 'preferences')}/")
    expect(page.get_by_role("heading", name="Vos préférences")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Ne plus recevoir de SMS").click()
    expect(page.get_by_role("status")).to_contain_text("Enregistré")
    shot(page, "preferences-fr-phone")


def test_settings_walk_in_and_shop_picker(
    page, live_server, shop_fr, shop_us, make_staff, login, axe_check, shot
):
    make_staff(shop_fr, "both@test.example", Role.ADMIN)
    make_staff(shop_us, "both@test.example", Role.ADMIN)
    login(page, "both@test.example", PASSWORD)
    expect(page.get_by_role("heading", name="Which shop are you working in?")).to_be_visible()
    axe_check(page)
    shot(page, "shop-picker-tablet")
    page.get_by_role("button", name="Paws Test").click()
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Erasure requests")).to_be_visible()
    axe_check(page)
    shot(page, "settings-tablet")
    page.goto(f"{live_server.url}/checkout/walk-in/")
    expect(page.get_by_role("heading", name="Walk-in customer")).to_be_visible()
    axe_check(page)
    shot(page, "walk-in-phone", 390, 844)
