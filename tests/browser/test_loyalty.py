"""From a new program to a redeemed reward, as a pet shop does it: the admin sets up “buy 3, get 1 free”, the
cashier scans the bags with a barcode scanner (digits typed, then Enter) and gives the free bag."""

import pytest
from playwright.sync_api import expect

from customers.services import customer_create
from loyalty import sales, services
from loyalty.models import LedgerEntry
from loyalty.sales import LineIn
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAG = "012345678905"  # a UPC-A, as a US scanner types it


def test_a_new_program_then_scans_to_a_redeemed_reward(
    page, live_server, shop_us, admin_us, login, axe_check, shot
):
    with shop_context(shop_us):
        services.product_save(shop=shop_us, code=BAG, name="Kibble 10 lb", brand="Acme", price="24.99")
        mia = customer_create(
            shop=shop_us, by=None, first_name="Mia", last_name="Wong", email="mia@example.com"
        )
    login(page, "boss@paws.example", PASSWORD)
    page.get_by_role("link", name="Loyalty").click()
    page.get_by_role("link", name="New program").click()
    page.get_by_label("Name").fill("Acme kibble")
    page.get_by_label("Type").select_option(label="Frequent buyer")
    page.get_by_label("Purchases needed").fill("3")
    page.get_by_label("Qualifying product codes").fill(BAG)
    page.get_by_label("Reward", exact=True).select_option(label="The same product, free")
    shot(page, "loyalty-program-editor-1024", 1024, 768)
    axe_check(page)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "loyalty-program-editor-390", 390, 844)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.get_by_role("button", name="Save program").click()
    expect(page.locator("#programs")).to_contain_text("Acme kibble")
    axe_check(page)
    shot(page, "loyalty-programs-1024", 1024, 768)

    page.goto(f"{live_server.url}/checkout/{mia.number}/")
    box = page.get_by_label("Scan or type a product code")
    expect(box).to_be_focused()
    for bag in range(1, 4):
        # A scanner is a keyboard: it types the digits and presses Enter.
        page.keyboard.type(BAG)
        page.keyboard.press("Enter")
        expect(page.locator("#todays-purchases tbody tr")).to_have_count(bag)
        expect(box).to_be_focused()
        expect(box).to_have_value("")
    alert = page.get_by_role("alert").filter(has_text="Reward earned")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Kibble 10 lb")
    expect(page.locator("#todays-purchases tbody tr")).to_have_count(3)
    axe_check(page)
    shot(page, "loyalty-checkout-reward-1024", 1024, 768)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "loyalty-checkout-reward-390", 390, 844)
    page.get_by_role("button", name="Redeem").click()
    expect(page.locator("#redeem-done")).to_contain_text("Kibble 10 lb, free")
    expect(page.get_by_text("Reward earned")).to_have_count(0)
    # Three bags scanned without waiting for the screen: none is lost, none counted twice.
    expect(box).to_be_focused()
    for _bag in range(3):
        page.keyboard.type(BAG)
        page.keyboard.press("Enter")
    expect(page.locator("#todays-purchases tbody tr")).to_have_count(6)
    expect(page.get_by_role("alert").filter(has_text="Reward earned")).to_be_visible()
    with shop_context(shop_us):
        (redemption,) = LedgerEntry.objects.filter(kind="redemption")
        assert (redemption.item_code, str(redemption.value)) == ("0012345678905", "24.99")

    # The month's report: the free bag, batched for the distributor.
    page.get_by_role("link", name="Loyalty").click()
    page.get_by_role("link", name="Redemption reports").click()
    expect(page.locator("#redemption-groups")).to_contain_text("Acme kibble")
    page.get_by_role("button", name="Make a credit batch").click()
    expect(page.locator("#credit-batches")).to_contain_text("$24.99")
    page.get_by_role("button", name="Mark credited").click()
    expect(page.locator("#credit-batches")).to_contain_text("Credited")
    axe_check(page)
    shot(page, "loyalty-redemption-report-1024", 1024, 768)

    # The catalogue, where an admin adds a product or imports a list.
    page.get_by_role("link", name="Loyalty", exact=True).click()
    page.get_by_role("link", name="Product catalogue").click()
    page.get_by_label("Product code").fill("GROOM-S")
    page.get_by_label("Name", exact=True).fill("Small dog groom")
    page.get_by_label("Price").fill("35")
    page.get_by_role("button", name="Add product").click()
    expect(page.locator("#products")).to_contain_text("Small dog groom")
    axe_check(page)
    shot(page, "loyalty-products-1024", 1024, 768)
    page.get_by_role("link", name="GROOM-S").click()
    page.get_by_label("Price").fill("38")
    shot(page, "loyalty-product-edit-1024", 1024, 768)
    page.get_by_role("button", name="Save product").click()
    expect(page.locator("#products")).to_contain_text("$38.00")


def test_the_checkout_with_cards_in_french(
    page, live_server, shop_fr, cashier_fr, admin_fr, login, axe_check, shot
):
    with shop_context(shop_fr):
        services.product_save(
            shop=shop_fr, code="3017620422003", name="Croquettes 2 kg", brand="Acme", price="12"
        )
        services.program_create(
            shop=shop_fr,
            by=None,
            name="Croquettes Acme",
            kind="frequent_buyer",
            purchases_needed=10,
            codes="3017620422003",
            reward="lesser_or_equal",
        )
        services.program_create(
            shop=shop_fr,
            by=None,
            name="Toilettage",
            kind="service_card",
            purchases_needed=5,
            codes="TOILETTAGE",
            reward="amount_off",
            reward_amount="10",
        )
        services.program_create(
            shop=shop_fr,
            by=None,
            name="Points",
            kind="points",
            points_per_unit="1",
            rewards="50 = Un jouet offert\n200 = Un bon de 10 €",
        )
        lea = customer_create(
            shop=shop_fr, by=None, first_name="Léa", last_name="Petit", phone="06 12 34 56 78"
        )
        for code, quantity in (("3017620422003", 4), ("TOILETTAGE", 5), ("TOILETTAGE", 2)):
            sales.sale_record(
                shop=shop_fr, customer=lea, by=None, lines=[LineIn(code=code, quantity=quantity, amount="30")]
            )
    login(page, "caisse@test.example", PASSWORD)
    page.goto(f"{live_server.url}/checkout/{lea.number}/")
    expect(page.get_by_role("alert").filter(has_text="Récompense gagnée")).to_contain_text(
        "10,00 € de remise"
    )
    expect(page.locator(".loyalty-cards")).to_contain_text("4 sur 10")
    expect(page.locator(".loyalty-cards")).to_contain_text("90 points")
    expect(page.get_by_label("Scanner ou saisir un code produit")).to_be_visible()
    axe_check(page)
    shot(page, "loyalty-checkout-fr-1024", 1024, 768)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "loyalty-checkout-fr-390", 390, 844)

    # The customer page: cards, points and the nearest reward, the purchases.
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}/customers/{lea.number}/")
    panel = page.get_by_role("region", name="Fidélité")
    expect(panel).to_contain_text("encore 110 points pour : Un bon de 10 €")
    expect(panel).to_contain_text("Croquettes 2 kg")
    axe_check(page)
    shot(page, "loyalty-customer-page-fr-1024", 1024, 768)

    # The program editor in French, as the shop's admin sees it.
    page.context.clear_cookies()
    login(page, "admin@test.example", PASSWORD)
    page.goto(f"{live_server.url}/loyalty/")
    page.get_by_role("link", name="Nouveau programme").click()
    page.get_by_label("Type").select_option(label="Points")
    expect(page.get_by_label("Points par unité monétaire")).to_be_visible()
    expect(page.get_by_label("Nombre d'achats")).to_be_hidden()
    axe_check(page)
    shot(page, "loyalty-program-editor-fr-1024", 1024, 768)
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "loyalty-program-editor-fr-390", 390, 844)
