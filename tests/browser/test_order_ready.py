"""From the checkout screen's “Order ready” to a sent text, as a dry cleaner's cashier does it."""

import pytest
from playwright.sync_api import expect

from customers.services import customer_create
from messaging import outbox
from messaging.models import OutboundMessage
from messaging.sms.backends import locmem
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_order_ready_sends_a_text_and_shows_its_status(
    page, live_server, shop_fr, cashier_fr, login, axe_check, shot, monkeypatch
):
    monkeypatch.setattr("messaging.outbox.message_publish", lambda messages: None)
    locmem.outbox.clear()
    with shop_context(shop_fr):
        lea = customer_create(
            shop=shop_fr, by=None, first_name="Léa", last_name="Petit", phone="06 12 34 56 78"
        )
    login(page, "caisse@test.example", PASSWORD)
    page.goto(f"{live_server.url}/checkout/{lea.number}/")
    expect(page.get_by_role("heading", name="Commande prête")).to_be_visible()
    expect(page.get_by_text("Par SMS sur son téléphone mobile.")).to_be_visible()
    page.get_by_label("Référence du ticket").fill("T-88")
    page.get_by_label("Ce que c'est (facultatif)").fill("2 chemises")
    page.get_by_role("button", name="Commande prête").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Le client est prévenu que la commande T-88 est prête."
    )
    expect(page.locator(".order-ready__list")).to_contain_text("T-88")
    axe_check(page)
    shot(page, "order-ready-tablet", 1024, 768)

    # The worker sends it; the screen shows it sent.
    with shop_context(shop_fr):
        message = OutboundMessage.objects.get(kind="order_ready")
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "sent"
    assert "T-88 (2 chemises)" in locmem.outbox[0].body
    page.reload()
    expect(page.locator(".order-ready__list .consent-pill--sent")).to_be_visible()
    shot(page, "order-ready-phone", 390, 844)

    # The same ticket again is refused next to the field.
    page.get_by_label("Référence du ticket").fill("T-88")
    page.get_by_role("button", name="Commande prête").click()
    expect(page.locator("#field-reference .field__error")).to_contain_text("déjà été prévenu")
