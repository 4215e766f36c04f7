"""The till as a cashier types: a phone's start, a word inside a name, a couple's second person; the card
marks what matched and the header counts every match."""

import pytest
from playwright.sync_api import expect

from customers.services import customer_create
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def regulars(shop_fr):
    with shop_context(shop_fr):
        for first, last, phone, also in [
            ("Hélène", "Dupont", "06 12 34 56 78", ""),
            ("Yann", "Le Gall", "06 12 98 76 54", "Maëlle"),
            ("Jean", "de la Fontaine", "07 81 22 33 44", ""),
        ]:
            customer_create(
                shop=shop_fr, by=None, first_name=first, last_name=last, phone=phone, also_name=also
            )
        for i in range(14):
            customer_create(shop=shop_fr, by=None, first_name=f"Client{i}", last_name="Martin")


def test_phone_start_inner_word_second_person_and_the_count(
    page, live_server, shop_fr, cashier_fr, regulars, login, axe_check, shot
):
    login(page, "caisse@test.example", PASSWORD)
    box = page.get_by_label("Trouver un client")
    box.fill("+33 6 12")
    expect(page.locator("[data-result]")).to_have_count(2)
    expect(page.locator("[data-result] mark").first).to_have_text("06 12")
    shot(page, "till-phone-start", 1024, 768)
    # The cards take the screen's width, as wide as the box above them (no other page's grid squeezes them).
    card, field = page.locator("[data-result]").first.bounding_box(), box.bounding_box()
    assert card["width"] >= 0.9 * field["width"], (card, field)

    box.fill("gall")
    expect(page.locator("[data-result]")).to_have_count(1)
    expect(page.locator("[data-result] mark")).to_have_text("Gall")
    expect(page.locator("[data-result]")).to_contain_text("Aussi sur ce compte : Maëlle")

    box.fill("maelle le gall")
    expect(page.locator("[data-result]")).to_have_count(1)
    expect(page.locator("[data-result] .ccard__match mark")).to_have_text("Maëlle")
    axe_check(page)
    shot(page, "till-second-person-phone", 390, 844)

    box.fill("mart")
    expect(page.locator("[data-result]")).to_have_count(12)
    expect(page.locator("#results-count")).to_have_text("12 affichés sur 14")
    axe_check(page)
    shot(page, "till-count-tablet", 1024, 768)


def test_the_count_is_asked_for_once_the_cashier_pauses_not_for_each_letter(
    page, live_server, shop_fr, cashier_fr, regulars, login
):
    login(page, "caisse@test.example", PASSWORD)
    counted = []
    page.on("request", lambda r: counted.append(r.post_data) if r.url.endswith("/checkout/count/") else None)
    box = page.get_by_label("Trouver un client")
    searched = []
    page.on(
        "requestfinished", lambda r: searched.append(r.post_data) if r.url.endswith("/checkout/") else None
    )
    # Slow enough for every letter to be searched (the box waits 200 ms), each answer filling the cards.
    box.click()
    for letter in "client":
        page.keyboard.type(letter)
        page.wait_for_timeout(300)
    expect(page.locator("#results-count")).to_have_text("12 affichés sur 14")
    assert len(searched) >= 4  # "cl", "cli", … each came back with 12 cards
    assert len(counted) == 1 and "q=client" in counted[0]
