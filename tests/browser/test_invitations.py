"""An invitation as people meet it: the new hire's link, and an existing account accepting after sign-in."""

import re

import pytest
from playwright.sync_api import expect

from messaging.models import OutboundMessage
from messaging.outbox import text_to_send
from shopcrm.models import Role
from shopcrm.services import staff_create
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_page(browser, browser_context_args):
    """Pages of separate people (separate cookies), closed after the test with their connections."""
    contexts = []

    def _new():
        contexts.append(browser.new_context(**browser_context_args))
        return contexts[-1].new_page()

    yield _new
    for context in contexts:
        context.close()


def invitation_link(shop, email) -> str:
    with shop_context(shop):
        message = OutboundMessage.objects.filter(kind="staff_invite", recipient=email).latest("pk")
        return re.search(r"https?://\S+", text_to_send(message)).group(0)


def invite(page, email, role="cashier"):
    page.get_by_role("link", name="Settings").click()
    page.locator("#id_email").fill(email)
    page.locator("#id_role").select_option(role)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {email}.")


def test_a_new_hire_chooses_a_password_through_the_link_and_lands_in_the_shop(
    new_page, live_server, login, shop_us, axe_check, shot
):
    staff_create(shop=shop_us, email="boss@paws.example", password=PASSWORD, role=Role.ADMIN)
    admin = new_page()
    login(admin, "boss@paws.example", PASSWORD)
    invite(admin, "nia@paws.example")
    link = invitation_link(shop_us, "nia@paws.example").replace("http://127.0.0.1:8000", live_server.url)
    hire = new_page()
    hire.goto(link)
    expect(hire.get_by_role("heading", name="Join Paws Test")).to_be_visible()
    axe_check(hire)
    shot(hire, "invitation-account-phone", 390, 844)
    hire.locator("#id_new_password1").fill("Lilac-Harbour-77")
    hire.locator("#id_new_password2").fill("Lilac-Harbour-77")
    hire.get_by_role("button", name="Save my password and join").click()
    expect(hire.get_by_role("status")).to_contain_text("Welcome to Paws Test.")
    # The link has done its work.
    hire.goto(link)
    expect(hire.get_by_role("heading", name="This link no longer works")).to_be_visible()
    admin.reload()
    expect(admin.locator("tr", has_text="nia@paws.example")).to_contain_text("active")


def test_someone_with_an_account_accepts_after_signing_in(
    new_page, live_server, login, shop_us, shop_fr, axe_check, shot
):
    staff_create(shop=shop_us, email="boss@paws.example", password=PASSWORD, role=Role.ADMIN)
    staff_create(shop=shop_fr, email="marie@lilas.example", password=PASSWORD, role=Role.CASHIER)
    admin = new_page()
    login(admin, "boss@paws.example", PASSWORD)
    invite(admin, "marie@lilas.example", role="admin")
    marie = new_page()
    login(marie, "marie@lilas.example", PASSWORD)
    marie.get_by_role("link", name=re.compile("1 invitation")).click()
    # Marie works in a French shop: her pages are in French.
    expect(marie.locator(".invitation__what")).to_contain_text("Paws Test vous invite en tant que")
    axe_check(marie)
    shot(marie, "invitations-tablet")
    marie.get_by_role("button", name="Accepter").click()
    expect(marie.locator(".topbar__name")).to_have_text("Paws Test")
    expect(marie.get_by_role("link", name="Switch shop")).to_be_visible()  # Paws Test works in English
