"""From “New campaign” to a delivered email, as a pet shop's admin does it: write, check who it reaches,
preview, send; the worker sends, the provider reports the delivery, the results say so."""

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core import mail
from playwright.sync_api import expect

from campaigns import sending
from customers.models import Pet
from customers.services import customer_create
from messaging import consent, outbox
from messaging.models import OutboundMessage
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "platform"])]


def people(shop):
    with shop_context(shop):
        kim = customer_create(shop=shop, by=None, first_name="Kim", last_name="Lee", email="kim@example.com")
        consent.email_verify(shop=shop, customer=kim)
        Pet.objects.create(shop=shop, owner=kim, name="Biscuit", species="dog")
        customer_create(shop=shop, by=None, first_name="Nora", last_name="Diaz", email="nora@example.com")
        customer_create(shop=shop, by=None, first_name="Omar", last_name="Hale", phone="212 555 0142")
    return kim


def test_a_campaign_from_new_campaign_to_a_delivered_email(
    page, live_server, shop_us, admin_us, login, axe_check, shot, monkeypatch
):
    started = []
    monkeypatch.setattr("campaigns.services._launch_on_commit", lambda campaign: started.append(campaign.pk))
    monkeypatch.setattr("messaging.outbox.message_publish", lambda messages, bulk=False: None)
    mail.outbox.clear()
    kim = people(shop_us)
    login(page, admin_us.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()

    page.get_by_label("Name").fill("Winter treats")
    page.get_by_label("Subject").fill("A treat for {{ pet_name }}")
    page.get_by_label("Message").fill(
        "Hello {{ first_name }},\n\n**20% off** treats this week at {{ shop_name }}."
    )
    axe_check(page)
    shot(page, "campaign-editor", 1024, 900)
    # An SMS shows its live length; a field that does not exist is refused next to the message.
    page.get_by_label("SMS").check()
    expect(page.locator("#campaign-counter")).to_contain_text("SMS segment")
    expect(page.get_by_label("Subject")).to_be_hidden()
    shot(page, "campaign-editor-sms-phone", 390, 844)
    page.set_viewport_size({"width": 1024, "height": 900})
    page.get_by_label("Email").check()
    page.get_by_label("Message").fill("Hello {{ name }}")
    page.get_by_role("button", name="Save campaign").click()
    expect(page.locator("#field-body .field__error")).to_contain_text("{{ name }}")
    page.get_by_label("Message").fill(
        "Hello {{ first_name }},\n\n**20% off** treats this week at {{ shop_name }}."
    )
    page.get_by_role("button", name="Save campaign").click()

    # Who it reaches: Kim (verified); Nora (never asked) and Omar (no email) are left out, by reason.
    expect(page.locator(".audience-eligible__count")).to_have_text("1")
    expect(page.locator(".audience-excluded")).to_contain_text("No consent")
    expect(page.locator(".audience-excluded")).to_contain_text("No address on this channel")
    expect(page.locator(".email-preview__subject")).to_contain_text("A treat for Biscuit")
    preview = page.frame_locator("iframe.email-preview")
    expect(preview.locator("body")).to_contain_text("Hello Kim,")
    expect(preview.locator("strong")).to_have_text("20% off")
    axe_check(page)
    shot(page, "campaign-detail", 1024, 900)
    shot(page, "campaign-detail-phone", 390, 844)
    page.set_viewport_size({"width": 1024, "height": 900})

    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".campaign-status")).to_have_text("Sending")
    # The job writes the messages; the worker sends them; the provider says it was delivered.
    sending.campaign_write(campaign_id=started[0], shop_id=shop_us.pk)
    with shop_context(shop_us):
        (message,) = OutboundMessage.objects.filter(kind="campaign")
    assert message.customer_id == kim.pk and message.consent_id is not None
    assert outbox.message_send(message_id=message.pk, shop_id=shop_us.pk) == "sent"
    (email,) = mail.outbox
    assert email.subject == "A treat for Biscuit" and "Hello Kim," in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with shop_context(shop_us):
        message.refresh_from_db()
    event = AnymailTrackingEvent(
        event_type="delivered", message_id=message.provider_message_id, event_id="ev-delivered"
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")
    page.reload()
    expect(page.locator(".campaign-status")).to_have_text("Sent")
    expect(page.locator(".campaign-results")).to_contain_text("Delivered")
    delivered = page.locator(".campaign-results div", has_text="Delivered").locator("dd")
    expect(delivered).to_have_text("1")
    axe_check(page)
    shot(page, "campaign-results", 1024, 768)
    # Chromium paints a sandboxed iframe only once it has been on screen: scrolled to, the phone screenshot
    # shows the email as a phone does.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("iframe.email-preview").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    shot(page, "campaign-results-phone", 390, 844)

    page.goto(f"{live_server.url}/campaigns/")
    expect(page.locator("#campaigns")).to_contain_text("Winter treats")
    axe_check(page)
    shot(page, "campaigns-list", 1024, 768)
    shot(page, "campaigns-list-phone", 390, 844)

    # The customer's own history shows the campaign.
    page.goto(f"{live_server.url}/customers/{kim.number}/")
    expect(page.locator(".messages__list")).to_contain_text("Winter treats")
    expect(page.locator(".messages__list")).to_contain_text("relies on: consent confirmed")


def test_the_pet_birthday_promotion_is_switched_on_and_the_checkout_screen_says_it_went(
    page, live_server, shop_us, admin_us, login, axe_check, shot, monkeypatch
):
    from django.utils import timezone

    from campaigns import automations

    monkeypatch.setattr("messaging.outbox.message_publish", lambda messages, bulk=False: None)
    month = timezone.localtime(timezone.now(), shop_us.tzinfo).month
    with shop_context(shop_us):
        kim = customer_create(
            shop=shop_us, by=None, first_name="Kim", last_name="Lee", email="kim@example.com"
        )
        consent.email_verify(shop=shop_us, customer=kim)
        Pet.objects.create(shop=shop_us, owner=kim, name="Biscuit", species="dog", birth_month=month)
    login(page, admin_us.email, PASSWORD)
    page.goto(f"{live_server.url}/campaigns/")
    page.get_by_role("link", name="Pet birthday promotion").click()
    page.get_by_label("Send it every month").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: the promotion goes each month.")).to_be_visible()
    axe_check(page)
    shot(page, "pet-birthday", 1024, 768)
    shot(page, "pet-birthday-phone", 390, 844)

    automations.pet_birthday_write(
        shop_id=shop_us.pk, at=timezone.localtime(timezone.now(), shop_us.tzinfo).replace(hour=10)
    )
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}/checkout/{kim.number}/")
    expect(page.locator(".prompt--info", has_text="birthday month")).to_contain_text(
        "The birthday offer was sent by email"
    )
    shot(page, "checkout-birthday-sent", 1024, 768)


def test_a_test_text_goes_to_the_admins_own_phone_once_confirmed_by_its_code(
    page, live_server, shop_us, admin_us, login, axe_check, shot, monkeypatch
):
    import re

    from campaigns import services

    monkeypatch.setattr("messaging.outbox.message_publish", lambda messages, bulk=False: None)
    with shop_context(shop_us):
        campaign = services.campaign_create(
            shop=shop_us, by=None, name="Treats", channel="sms", subject="", body="Treats at {{ shop_name }}!"
        )
    login(page, admin_us.email, PASSWORD)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    card = page.locator("#test-card")
    expect(card).to_contain_text("Tests by text go only to your own mobile phone")
    card.get_by_label("Your mobile phone").fill("1-900-555-0142")
    card.get_by_role("button", name="Text me a code").click()
    expect(page.locator("#field-phone .field__error")).to_be_visible()
    shot(page, "campaign-test-phone-refused-390", 390, 844)
    page.locator("#test-card").get_by_label("Your mobile phone").fill("(201) 555-0142")
    page.locator("#test-card").get_by_role("button", name="Text me a code").click()
    with shop_context(shop_us):
        text = outbox.text_to_send(OutboundMessage.objects.get(kind="staff_code"))
    page.locator("#test-card").get_by_label("Code we texted you").fill(re.search(r"\d{6}", text).group(0))
    page.locator("#test-card").get_by_role("button", name="Confirm").click()
    expect(page.locator("#test-card")).to_contain_text("(201) 555-0142")
    page.locator("#test-card").get_by_role("button", name="Send a test").click()
    expect(page.get_by_text("A test was sent to (201) 555-0142.")).to_be_visible()
    expect(page.locator("#sms-usage")).to_contain_text("Texts sent this month: 0 of")
    axe_check(page)
    shot(page, "campaign-test-phone-confirmed-1024", 1024, 900)
