import pytest
from playwright.sync_api import expect

from customers.services import customer_create, pet_create
from messaging import tokens
from messaging.models import OutboundMessage
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ann(shop_us, monkeypatch):
    monkeypatch.setattr("messaging.outbox.message_publish", lambda messages: None)
    with shop_context(shop_us):
        customer = customer_create(
            shop=shop_us,
            by=None,
            first_name="Ann",
            last_name="Whitlock",
            email="ann.whitlock@example.com",
            phone="(201) 555-0188",
            send_welcome_email=True,
            send_sms_opt_in=True,
        )
        pet_create(shop=shop_us, by=None, owner=customer, name="Pickle", species="dog")
    return customer


def test_the_admin_sees_everything_held_then_erases_the_customer(
    page, live_server, shop_us, admin_us, ann, login, axe_check, shot
):
    login(page, admin_us.email, PASSWORD)
    page.goto(f"{live_server.url}/customers/{ann.number}/")
    page.get_by_role("link", name="See all their data").click()
    expect(page.get_by_role("heading", name="Data held about Ann Whitlock")).to_be_visible()
    expect(page.get_by_text("Pickle · Dog")).to_be_visible()
    axe_check(page)
    shot(page, "customer-data-1024")

    page.goto(f"{live_server.url}/customers/{ann.number}/")
    page.get_by_role("link", name="Erase customer").click()
    page.get_by_label("The shop decided").check()
    page.get_by_role("button", name="Erase customer").click()
    expect(page.get_by_text("Tick the box to confirm")).to_be_visible()  # next to the box, nothing lost
    axe_check(page)
    shot(page, "erase-refused-390", width=390, height=844)
    page.get_by_label("I understand that this cannot be undone.").check()
    page.get_by_role("button", name="Erase customer").click()
    expect(page.get_by_text(f"Customer № {ann.number} is erased.")).to_be_visible()

    page.goto(f"{live_server.url}/settings/")
    expect(page.get_by_text(f"customer № {ann.number}")).to_be_visible()
    shot(page, "settings-erased-390")
    page.set_viewport_size({"width": 1024, "height": 768})
    expect(page.locator("#field-sms_sender")).to_contain_text("The platform's shared number")
    axe_check(page)
    shot(page, "settings-1024")


def test_the_customer_sees_everything_on_their_preferences_page(
    page, live_server, shop_us, ann, axe_check, shot
):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/m/p/{tokens.make(ann, 'preferences')}/")
    expect(page.get_by_text("Pickle · Dog")).to_be_visible()
    expect(page.get_by_role("heading", name="Consent history")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Email me a copy of my data").click()
    expect(page.get_by_text("A link to a copy of your data is on its way")).to_be_visible()
    shot(page, "preferences-data-390")
    with shop_context(shop_us):
        (copy,) = OutboundMessage.objects.filter(kind="data_copy")
    link = next(word for word in copy.body_text.split() if "/m/d/" in word)
    page.goto(live_server.url + link[link.index("/m/d/") :])
    expect(page.get_by_role("heading", name="Your data")).to_be_visible()
    expect(page.get_by_role("link", name="Download it as a file (JSON)")).to_be_visible()
    axe_check(page)
    shot(page, "data-copy-390")


def test_the_admin_keeps_an_inactive_customer_from_a_months_notice(
    page, live_server, shop_us, admin_us, ann, login, axe_check, shot
):
    import datetime

    from django.utils import timezone

    from customers.models import Customer

    with shop_context(shop_us):
        old = timezone.now() - datetime.timedelta(days=3 * 365 - 5)
        Customer.objects.filter(pk=ann.pk).update(created_at=old, updated_at=old)
    login(page, admin_us.email, PASSWORD)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("link", name="See who, and keep someone").click()
    page.get_by_role("button", name="Keep").click()
    expect(page.get_by_text("Say why this customer's data is kept.")).to_be_visible()
    axe_check(page)
    shot(page, "retention-refused-390", width=390, height=844)
    page.get_by_label("Reason for keeping").fill("Regular every summer")
    page.get_by_role("button", name="Keep").click()
    expect(page.get_by_text("Ann Whitlock is kept until")).to_be_visible()
    expect(page.get_by_text("Nobody is due within a month.")).to_be_visible()
