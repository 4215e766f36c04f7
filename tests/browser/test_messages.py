import re

import pytest
from playwright.sync_api import expect

from customers.services import customer_create
from messaging.models import OutboundMessage
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def link(text: str, path: str) -> str:
    return next(m for m in re.findall(r"https?://\S+", text) if path in m).rstrip(".")


def test_welcome_email_links_turn_the_status_icons(
    page, live_server, settings, shop_us, cashier_us, login, axe_check, shot, monkeypatch
):
    settings.SITE_URL = live_server.url
    monkeypatch.setattr("messaging.outbox.message_publish", lambda messages: None)
    with shop_context(shop_us):
        betty = customer_create(
            shop=shop_us,
            by=None,
            first_name="Betty",
            last_name="Smith",
            email="betty@example.com",
            phone="(201) 555-0123",
            send_welcome_email=True,
            send_sms_opt_in=True,
        )
        email = OutboundMessage.objects.get(channel="email")
        sms = OutboundMessage.objects.get(channel="sms")

    # The email as the customer sees it, on a narrow phone.
    page.set_viewport_size({"width": 360, "height": 740})
    page.set_content(email.body_html)
    expect(page.get_by_text("Hello Betty Smith,")).to_be_visible()
    expect(page.get_by_role("link", name="Unsubscribe")).to_be_visible()
    shot(page, "welcome-email-phone")

    page.goto(link(email.body_text, "/m/v/"))
    axe_check(page)
    shot(page, "verify-page-phone")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()

    page.goto(link(sms.body_text, "/m/s/"))
    page.get_by_role("button", name="Yes, text me").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()

    page.set_viewport_size({"width": 1024, "height": 768})
    login(page, "cashier@test.example", PASSWORD)
    page.goto(f"{live_server.url}/checkout/{betty.number}/")
    expect(page.locator(".status--green", has_text="Email")).to_be_visible()
    expect(page.locator(".status--green", has_text="SMS")).to_be_visible()

    page.goto(link(email.body_text, "/m/u/"))
    axe_check(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    page.goto(f"{live_server.url}/customers/{betty.number}/")
    expect(page.locator(".status--red", has_text="Email")).to_be_visible()
    expect(page.locator("#consent-title + .history")).to_contain_text("consent withdrawn")
    shot(page, "customer-consent-history-tablet")
