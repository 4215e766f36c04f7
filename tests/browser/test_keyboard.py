"""The keyboard path has no detours: each step starts in its first empty field, Enter saves (the email
preview is never the default), and an expired session sends the page, not a fragment, to sign in."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from shopcrm.services import shop_update
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enter_saves_both_steps_starting_in_the_first_empty_field(
    page, live_server, shop_us, cashier_us, login
):
    login(page, cashier_us.email, PASSWORD)
    page.goto(f"{live_server.url}/customers/new/")
    expect(page.locator("#id_first_name")).to_be_focused()
    page.keyboard.type("Ann")
    page.keyboard.press("Tab")
    page.keyboard.type("Lee")
    page.locator("#id_email").fill("ann.lee@example.com")
    expect(page.get_by_label("Send welcome email")).to_be_enabled()
    page.get_by_label("Send welcome email").check()
    popups = []
    page.on("popup", lambda popup: popups.append(popup))
    page.locator("#id_email").press("Enter")  # Enter in a field: the form saves
    expect(page.get_by_role("heading", name=re.compile("address and pets", re.I))).to_be_visible()
    assert popups == []  # no preview tab
    expect(page.locator("#id_address_line1")).to_be_focused()  # step 2 starts in its first empty field
    page.keyboard.type("240 Court Street")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/checkout/[A-Z0-9]{8}/$"))
    with shop_context(shop_us):
        customer = Customer.objects.get()
    assert page.url.endswith(f"/checkout/{customer.number}/") and customer.address_line1 == "240 Court Street"


def test_the_preview_still_opens_the_email_in_a_tab(page, live_server, shop_us, cashier_us, login):
    login(page, cashier_us.email, PASSWORD)
    page.goto(f"{live_server.url}/customers/new/")
    page.get_by_label("First name").fill("Ann")
    page.locator("#id_last_name").fill("Lee")
    page.locator("#id_email").fill("ann.lee@example.com")
    with page.expect_popup() as popup:
        page.get_by_role("button", name="Preview the email").click()
    expect(popup.value.get_by_text("Hello Ann Lee,")).to_be_visible()
    with shop_context(shop_us):
        assert not Customer.objects.exists()  # the preview saves nothing


def test_an_expired_session_sends_the_page_to_sign_in_and_back(
    page, context, live_server, shop_us, cashier_us, login
):
    login(page, cashier_us.email, PASSWORD)
    page.goto(f"{live_server.url}/checkout/")
    context.clear_cookies(name="sessionid")  # the session expired (the CSRF cookie lives on)
    page.locator("#till-q").fill("lee")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fcheckout%2F$"))
    page.get_by_label("Email").fill(cashier_us.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/checkout/$"))


def test_a_failed_request_says_so_instead_of_showing_nothing(page, live_server, shop_us, cashier_us, login):
    login(page, cashier_us.email, PASSWORD)
    page.goto(f"{live_server.url}/checkout/")

    def fail_searches(route):
        if route.request.method == "POST":
            route.fulfill(status=500, body="<h1>Server Error</h1>")
        else:
            route.continue_()

    page.route(re.compile(r".*/checkout/$"), fail_searches)
    page.locator("#till-q").fill("lee")
    expect(page.get_by_role("alert")).to_contain_text("That did not work")
    expect(page.locator("#results")).not_to_contain_text("Server Error")
    page.unroute(re.compile(r".*/checkout/$"))
    page.route(
        re.compile(r".*/checkout/$"),
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    page.locator("#till-q").fill("lee2")
    expect(page.get_by_role("alert")).to_contain_text("cannot be reached")


def test_alt_enter_in_the_till_adds_the_customer_typed_split_into_first_and_last_name(
    page, live_server, shop_us, cashier_us, login
):
    login(page, cashier_us.email, PASSWORD)
    page.goto(f"{live_server.url}/checkout/")
    page.locator("#till-q").press_sequentially("Yann Le Gall")
    page.locator("#till-q").press("Alt+Enter")  # at once: the results need not have caught up
    expect(page.locator("#id_first_name")).to_have_value("Yann")
    expect(page.locator("#id_last_name")).to_have_value("Le Gall")


def test_a_required_email_is_asked_for_right_there_before_the_visit_is_recorded(
    page, live_server, shop_us, cashier_us, login, shot
):
    from tests.conftest import add_customer

    shop_update(shop=shop_us, checkout_email="required")
    customer = add_customer(shop_us, first_name="Ann", last_name="Lee")
    login(page, cashier_us.email, PASSWORD)
    page.goto(f"{live_server.url}/checkout/{customer.number}/")
    page.get_by_role("button", name="Record visit").click()
    expect(page.get_by_text("Add what the shop requires first: No email on file.")).to_be_visible()
    shot(page, "checkout-required-390", width=390, height=844)
    page.locator("#checkout-prompts").get_by_role("button", name="Add it").click()
    page.locator("dialog #id_email").fill("ann.lee@example.com")
    page.locator("#save-edit").click()
    expect(page.locator("#checkout-prompts")).not_to_contain_text("No email on file")
    page.get_by_role("button", name="Record visit").click()
    expect(page.get_by_text("Visit recorded.")).to_be_visible()


def test_a_status_reason_fits_a_phone_screen(page, live_server, shop_us, cashier_us, login, shot):
    from tests.conftest import add_customer

    customer = add_customer(shop_us, first_name="Ann", last_name="Lee", phone="(201) 555-0188")
    login(page, cashier_us.email, PASSWORD)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/checkout/{customer.number}/")
    for icon in page.locator(".status").all():
        icon.focus()
        box = icon.locator(".status__why").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    page.locator(".status").first.focus()
    shot(page, "status-reason-360")
