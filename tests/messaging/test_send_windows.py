"""Texts that ask for consent wait for the shop's legal hours, at fixed clocks."""

import datetime as dt
import zoneinfo
from html import unescape

import pytest
from django.urls import reverse

from messaging import outbox, windows
from messaging.models import OutboundMessage
from messaging.sms.backends import locmem
from shopcrm.selectors import shop_get
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer, make_shop
from tests.shopcrm.test_staff_settings import settings_data

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def shop_fr(db):
    return make_shop(name="Pressing des Lilas")


@pytest.fixture
def shop_us(db):
    return make_shop(name="Paws", country="US", language="en", timezone="America/New_York")


def paris(*args):
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("at", "opens"),
    [
        (paris(2026, 12, 2, 10, 0), None),  # a Wednesday morning: now
        (paris(2026, 12, 2, 21, 39), paris(2026, 12, 3, 8, 0)),  # evening: tomorrow 08:00
        (paris(2026, 12, 2, 7, 59), paris(2026, 12, 2, 8, 0)),  # before opening: today 08:00
        (paris(2026, 12, 5, 19, 59), None),  # Saturday, just before 20:00
        (paris(2026, 12, 5, 20, 0), paris(2026, 12, 7, 8, 0)),  # Saturday 20:00: Monday
        (paris(2026, 12, 6, 11, 0), paris(2026, 12, 7, 8, 0)),  # Sunday: Monday
        (paris(2026, 7, 14, 11, 0), paris(2026, 7, 15, 8, 0)),  # 14 July, a public holiday
        (paris(2026, 12, 24, 20, 30), paris(2026, 12, 26, 8, 0)),  # Christmas Eve late: not Christmas Day
    ],
)
def test_french_hours_are_monday_to_saturday_8_to_20_except_public_holidays(shop_fr, at, opens):
    assert windows.next_opening(shop_fr, at) == opens


@pytest.mark.parametrize(
    ("at", "opens"),
    [
        (dt.datetime(2026, 12, 6, 11, 0, tzinfo=NEW_YORK), None),  # Sunday is fine in the US
        (dt.datetime(2026, 12, 2, 20, 59, tzinfo=NEW_YORK), None),
        (dt.datetime(2026, 12, 2, 21, 0, tzinfo=NEW_YORK), dt.datetime(2026, 12, 3, 8, 0, tzinfo=NEW_YORK)),
        (dt.datetime(2026, 7, 4, 12, 0, tzinfo=NEW_YORK), None),  # TCPA hours, holidays not excluded
    ],
)
def test_us_hours_are_8_to_21_every_day(shop_us, at, opens):
    assert windows.next_opening(shop_us, at) == opens


def test_the_window_is_read_in_the_shops_time_zone(shop_us):
    # 02:30 UTC on a Thursday is 21:30 on Wednesday in New York: closed until 08:00 there.
    at = dt.datetime(2026, 12, 3, 2, 30, tzinfo=dt.UTC)
    assert windows.next_opening(shop_us, at) == dt.datetime(2026, 12, 3, 8, 0, tzinfo=NEW_YORK)


@pytest.fixture
def clock(monkeypatch, settings):
    settings.SMS_SEND_WINDOWS = True
    state = {"now": paris(2026, 12, 2, 21, 39)}
    monkeypatch.setattr(windows, "now", lambda: state["now"])
    locmem.outbox.clear()
    return state


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_an_opt_in_at_21_39_waits_until_8_and_is_then_sent_once(shop_fr, clock, monkeypatch):
    published = []
    monkeypatch.setattr(outbox, "message_publish", lambda ids: published.extend(ids))
    customer = add_customer(shop_fr, phone="0612345678", send_sms_opt_in=True)
    with shop_context(shop_fr):
        message = OutboundMessage.objects.get(customer=customer, channel="sms")
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "scheduled"
    with shop_context(shop_fr):
        message.refresh_from_db()
    assert message.status == "queued" and message.not_before == paris(2026, 12, 3, 8, 0)
    assert locmem.outbox == []
    # The sweeper leaves it alone before the opening...
    published.clear()  # (the publish after the customer was saved)
    clock["now"] = paris(2026, 12, 3, 7, 59)
    with shop_context(shop_fr):
        # (queued for more than the sweeper's minute, by the real clock)
        OutboundMessage.objects.filter(pk=message.pk).update(
            updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        )
    outbox.messages_sweep()
    assert (message.pk, shop_fr.pk) not in published
    # ...and publishes it once the window opens; the worker sends it then.
    clock["now"] = paris(2026, 12, 3, 8, 0, 30)
    outbox.messages_sweep()
    assert (message.pk, shop_fr.pk) in published
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "sent"
    assert len(locmem.outbox) == 1


def test_the_customer_page_says_when_a_waiting_text_goes(admin_client_fr, shop_fr, clock, monkeypatch):
    from django.urls import reverse

    monkeypatch.setattr(outbox, "message_publish", lambda ids: None)
    customer = add_customer(shop_fr, phone="0612345678", send_sms_opt_in=True)
    with shop_context(shop_fr):
        message = OutboundMessage.objects.get(customer=customer, channel="sms")
    outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk)
    html = admin_client_fr.get(reverse("customers:detail", args=[customer.number])).content.decode()
    assert "03/12/2026 08:00" in html


@pytest.mark.parametrize(
    ("at", "opens"),
    [
        (paris(2026, 12, 2, 9, 0), paris(2026, 12, 2, 10, 0)),  # before the shop's 10:00
        (paris(2026, 12, 2, 12, 0), None),
        (paris(2026, 12, 2, 18, 0), paris(2026, 12, 3, 10, 0)),  # after the shop's 18:00
        (paris(2026, 12, 5, 17, 0), None),  # Saturday: the law's days still apply
        (paris(2026, 12, 6, 12, 0), paris(2026, 12, 7, 10, 0)),
    ],
)
def test_a_shop_narrows_its_hours_within_the_law(shop_fr, at, opens):
    shop_fr.sms_hours_from, shop_fr.sms_hours_until = dt.time(10), dt.time(18)
    assert windows.next_opening(shop_fr, at) == opens


def test_stored_hours_outside_the_law_are_clamped_to_it(shop_fr):
    shop_fr.sms_hours_from, shop_fr.sms_hours_until = dt.time(6), dt.time(23)
    assert windows.next_opening(shop_fr, paris(2026, 12, 2, 7, 0)) == paris(2026, 12, 2, 8, 0)
    assert windows.next_opening(shop_fr, paris(2026, 12, 2, 20, 30)) == paris(2026, 12, 3, 8, 0)


@pytest.mark.parametrize(
    ("start", "end", "field", "said"),
    [
        ("07:00", "", "sms_hours_from", "de 08:00 à 20:00"),
        ("", "21:00", "sms_hours_until", "de 08:00 à 20:00"),
        ("15:00", "11:00", "sms_hours_until", "après « SMS à partir de »"),
    ],
)
def test_the_settings_refuse_hours_the_law_does_not_allow_next_to_the_field(
    admin_client_fr, shop_fr, start, end, field, said
):
    data = settings_data(shop_fr, sms_hours_from=start, sms_hours_until=end)
    response = admin_client_fr.post(reverse("shop_settings"), data)
    html = unescape(response.content.decode())
    assert response.status_code == 200 and f'id="field-{field}"' in html
    assert said in html and "field--invalid" in html.split(f'id="field-{field}"')[0][-200:]
    shop_fr = shop_get(shop_id=shop_fr.pk)
    assert shop_fr.sms_hours_from is None and shop_fr.sms_hours_until is None


def test_the_settings_keep_hours_within_the_law(admin_client_fr, shop_fr):
    data = settings_data(shop_fr, sms_hours_from="09:30", sms_hours_until="19:00")
    assert admin_client_fr.post(reverse("shop_settings"), data).status_code == 302
    shop_fr = shop_get(shop_id=shop_fr.pk)
    assert (shop_fr.sms_hours_from, shop_fr.sms_hours_until) == (dt.time(9, 30), dt.time(19))
