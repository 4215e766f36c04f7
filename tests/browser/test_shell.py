import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_is_accessible(page, live_server, axe_check, shot):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in to shopcrm")).to_be_visible()
    axe_check(page)
    shot(page, "login-tablet")
    shot(page, "login-phone", 390, 844)


def test_a_wrong_password_is_refused_with_a_message(page, live_server, cashier_us, login):
    login(page, "cashier@test.example", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct email and password")


def test_cashier_signs_in_sees_home_and_switches_language(
    page, live_server, cashier_us, login, axe_check, shot
):
    login(page, "cashier@test.example", PASSWORD)
    expect(page.get_by_text("Paws Test")).to_be_visible()
    expect(page.get_by_role("link", name="Add customer", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Checkout", exact=True).first).to_be_visible()
    axe_check(page)
    shot(page, "home-en-tablet")

    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("link", name="Ajouter un client", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    shot(page, "home-fr-tablet")
    shot(page, "home-fr-phone", 390, 844)

    page.reload()
    expect(page.get_by_role("link", name="Ajouter un client", exact=True)).to_be_visible()

    page.get_by_label("Langue").select_option("en")
    expect(page.get_by_role("link", name="Add customer", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))


def test_sign_out_returns_to_login(page, live_server, cashier_us, login):
    login(page, "cashier@test.example", PASSWORD)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to shopcrm")).to_be_visible()
