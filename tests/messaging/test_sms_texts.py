"""What the texts say, as the phone shows them: plain text, in GSM-7, with a contact that exists."""

import pytest

from messaging import render
from messaging.sms.segments import non_gsm_characters, sms_segments
from tests.conftest import add_customer, make_shop

pytestmark = pytest.mark.django_db


def test_segments_follow_the_gsm_and_ucs2_limits():
    assert sms_segments("a" * 160) == sms_segments("a" * 160) and sms_segments("a" * 160).count == 1
    assert sms_segments("a" * 161).count == 2
    assert sms_segments("€" * 80).units == 160 and sms_segments("€" * 80).count == 1  # escaped: 2 septets
    assert sms_segments("ê" + "a" * 69).encoding == "UCS-2" and sms_segments("ê" + "a" * 70).count == 2
    assert non_gsm_characters("arrêter, ça") == ["ê", "ç"]


def test_a_shop_name_with_an_apostrophe_and_an_ampersand_is_texted_as_written(settings):
    settings.SITE_URL = "https://crm.example"
    shop = make_shop(name="Joe's Pets & Co", country="US", language="en", timezone="America/New_York")
    customer = add_customer(shop, phone="+12025550143")
    text = render.sms_opt_in(shop, customer).text
    assert text.startswith("Joe's Pets & Co will text you") and "&#x27;" not in text and "&amp;" not in text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_opt_in_stays_in_gsm7_and_two_segments(settings, language):
    settings.SITE_URL = "https://crm.example.com"
    shop = make_shop(name="Pressing des Lilas", language=language)
    customer = add_customer(shop, phone="0612345678")
    text = render.sms_opt_in(shop, customer).text
    segments = sms_segments(text)
    assert non_gsm_characters(text) == [], text
    assert segments.encoding == "GSM-7" and segments.count <= 2, (segments, text)


def test_help_names_the_contact_the_shop_has_and_never_an_empty_one():
    shop = make_shop(name="Pressing des Lilas", language="en", contact_phone="01 23 45 67 89")
    assert render.sms_help(shop).text.startswith("Pressing des Lilas: 01 23 45 67 89. Reply STOP")
    bare = make_shop(name="Pressing Nu", language="en", contact_phone="")
    text = render.sms_help(bare).text
    assert text == "Pressing Nu: reply STOP to stop texts, START to receive them again."


def test_the_french_help_reply_stays_in_gsm7():
    shop = make_shop(name="Pressing des Lilas", contact_email="bonjour@lilas.example", contact_phone="")
    text = render.sms_help(shop).text
    assert text.startswith("Pressing des Lilas : bonjour@lilas.example. Répondez STOP")
    assert non_gsm_characters(text) == []
