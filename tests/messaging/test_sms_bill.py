"""What a shop's texts may cost the platform: mobiles only, in the shop's country or one the platform allows,
a daily and a monthly cap per shop, and campaign tests only to one's own confirmed phone, a few an hour."""

import datetime as dt
import re
from html import unescape
from itertools import count

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from campaigns import services as campaign_services
from messaging import outbox, staff_phone
from messaging.models import OutboundMessage
from messaging.sms import bill
from shopcrm.selectors import account_get
from shopcrm.tenancy import shop_context
from tests.messaging.test_outbox import create

pytestmark = pytest.mark.django_db
PT = phonenumbers.PhoneNumberType
FRESH = count(10)


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setattr(outbox, "message_publish", lambda messages, **kw: None)


def example(region, kind) -> str:
    number = phonenumbers.example_number_for_type(region, kind)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fresh_mobile() -> str:
    """A French mobile no other test used (the code limits count per number)."""
    return f"+3361234{next(FRESH):04d}"


@pytest.mark.parametrize(
    ("phone", "said"),
    [
        (example("FR", PT.PREMIUM_RATE), "premium-rate"),
        (example("FR", PT.SHARED_COST), "shared-cost"),
        (example("FR", PT.TOLL_FREE), "toll-free"),
        (example("FR", PT.FIXED_LINE), "landline"),
        (example("US", PT.PREMIUM_RATE), "numbers of FR"),
        (example("NG", PT.MOBILE), "from NG"),
        (example("CN", PT.MOBILE), "from CN"),
        ("+3336000", "not a mobile phone number"),  # a short code
        ("36000", "not a mobile phone number"),
    ],
)
def test_texts_go_to_no_premium_short_or_foreign_number(shop_fr, phone, said):
    with translation.override("en"):
        assert said in bill.destination_refusal(phone, shop_fr)


def test_a_mobile_of_the_shops_country_or_an_allowed_one_may_be_texted(shop_fr, shop_us, settings):
    assert bill.destination_refusal("+33612345678", shop_fr) is None
    assert bill.destination_refusal(example("US", PT.MOBILE), shop_us) is None
    settings.SMS_ALLOWED_COUNTRIES = ["NG"]
    assert bill.destination_refusal(example("NG", PT.MOBILE), shop_fr) is None


def test_the_worker_holds_a_text_to_a_number_it_may_not_pay_for(shop_fr):
    create(shop_fr, send_welcome_email=False)
    premium = example("FR", PT.PREMIUM_RATE)
    with shop_context(shop_fr):
        message = OutboundMessage.objects.get()
        OutboundMessage.objects.filter(pk=message.pk).update(recipient=premium)
        message.customer.__class__.objects.filter(pk=message.customer_id).update(phone=premium)
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "suppressed"
    with shop_context(shop_fr):
        assert "premium" in OutboundMessage.objects.get(pk=message.pk).last_error


def test_texts_past_the_daily_cap_wait_for_the_next_day_in_the_shops_time_zone(shop_fr, settings, mailoutbox):
    settings.SMS_DAILY_CAP_SHOP = 2
    made = [create(shop_fr, phone=f"06 12 34 56 7{i}", email="", send_welcome_email=False) for i in range(3)]
    with shop_context(shop_fr):
        ids = list(OutboundMessage.objects.order_by("pk").values_list("pk", flat=True))
    results = outbox.messages_send(message_ids=ids, shop_id=shop_fr.pk)
    assert [results[i] for i in ids] == ["sent", "sent", "scheduled"]
    with shop_context(shop_fr):
        waiting = OutboundMessage.objects.get(pk=ids[2])
        usage = bill.sms_usage(shop=shop_fr)
    local = timezone.now().astimezone(shop_fr.tzinfo)
    tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=shop_fr.tzinfo)
    assert waiting.status == "queued" and waiting.not_before == tomorrow
    assert (usage.today, usage.month, usage.reached) == (2, 2, True)
    assert len(made) == 3


def test_a_campaign_past_the_months_cap_is_refused_before_it_starts(shop_fr, settings):
    from tests.campaigns.test_campaigns import SMS, campaign

    settings.SMS_MONTHLY_CAP_SHOP = 1
    for i in range(2):
        customer = create(shop_fr, phone=f"06 12 34 56 8{i}", email="", send_welcome_email=False)
        with shop_context(shop_fr):
            from messaging import consent

            consent.sms_confirm(shop=shop_fr, customer=customer, source="sms_reply", detail="OUI")
    c = campaign(shop_fr, channel=SMS, body="Soldes ! STOP au 36180")
    with shop_context(shop_fr), translation.override("en"), pytest.raises(ValidationError) as refused:
        campaign_services.campaign_send(shop=shop_fr, by=None, campaign=c, seen=None)
    assert "would send 2 texts" in " ".join(refused.value.messages)


def confirm_phone(client, campaign, phone):
    client.post(reverse("campaigns:test_phone", args=[campaign.pk]), {"action": "code", "phone": phone})
    with shop_context(campaign.shop_id):
        message = OutboundMessage.objects.filter(kind="staff_code").latest("pk")
        assert "[[code]]" in message.body_text  # the code itself is never stored
        text = outbox.text_to_send(message)
    code = re.search(r"\b(\d{6})\b", text).group(1)
    return client.post(
        reverse("campaigns:test_phone", args=[campaign.pk]), {"action": "confirm", "code": code}
    )


@pytest.fixture
def sms_campaign(shop_fr):
    from tests.campaigns.test_campaigns import SMS, campaign

    return campaign(shop_fr, channel=SMS, body="Soldes ! STOP au 36180")


def test_a_test_text_goes_only_to_the_admins_own_confirmed_phone(admin_client_fr, admin_fr, sms_campaign):
    url = reverse("campaigns:test", args=[sms_campaign.pk])
    # Before any phone is confirmed, nothing goes, and a number in the request is not used.
    refused = admin_client_fr.post(url, {"phone": example("FR", PT.PREMIUM_RATE)})
    assert refused.status_code == 422 and "Confirmez votre téléphone mobile" in unescape(
        refused.content.decode()
    )
    mine = fresh_mobile()
    done = confirm_phone(admin_client_fr, sms_campaign, mine)
    assert done.status_code == 302
    assert account_get(user_id=admin_fr.pk).mobile_phone == mine
    assert admin_client_fr.post(url).status_code == 302
    with shop_context(sms_campaign.shop_id):
        (test,) = OutboundMessage.objects.filter(kind="campaign_test")
    assert test.recipient == mine


def test_thirty_test_sends_in_a_row_stop_after_the_hours_few(admin_client_fr, sms_campaign, settings):
    confirm_phone(admin_client_fr, sms_campaign, fresh_mobile())
    url = reverse("campaigns:test", args=[sms_campaign.pk])
    answers = [admin_client_fr.post(url).status_code for _ in range(30)]
    assert answers == [302] * settings.CAMPAIGN_TESTS_PER_HOUR + [422] * (
        30 - settings.CAMPAIGN_TESTS_PER_HOUR
    )
    with shop_context(sms_campaign.shop_id):
        assert (
            OutboundMessage.objects.filter(kind="campaign_test").count() == settings.CAMPAIGN_TESTS_PER_HOUR
        )


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("abc", "Indiquez votre numéro de mobile"),
        ("+33 1", "Indiquez votre numéro de mobile"),
        (example("FR", PT.PREMIUM_RATE), "numéro surtaxé"),
        (example("NG", PT.MOBILE), "NG"),
    ],
)
def test_a_phone_a_code_may_not_go_to_is_refused_next_to_the_field(
    admin_client_fr, sms_campaign, typed, said
):
    response = admin_client_fr.post(
        reverse("campaigns:test_phone", args=[sms_campaign.pk]), {"action": "code", "phone": typed}
    )
    html = unescape(response.content.decode())
    assert response.status_code == 422 and said in html
    assert 'id="id_phone_error"' in html  # next to the field
    with shop_context(sms_campaign.shop_id):
        assert not OutboundMessage.objects.filter(kind="staff_code").exists()


def test_a_wrong_code_is_refused_and_codes_are_limited(admin_client_fr, admin_fr, sms_campaign):
    url = reverse("campaigns:test_phone", args=[sms_campaign.pk])
    phone = fresh_mobile()
    admin_client_fr.post(url, {"action": "code", "phone": phone})
    with shop_context(sms_campaign.shop_id):
        outbox.text_to_send(OutboundMessage.objects.filter(kind="staff_code").latest("pk"))
    wrong = admin_client_fr.post(url, {"action": "confirm", "code": "000000"})
    assert wrong.status_code == 422 and 'id="id_code_error"' in wrong.content.decode()
    for _ in range(2):
        admin_client_fr.post(url, {"action": "code", "phone": phone})
    fourth = admin_client_fr.post(url, {"action": "code", "phone": phone})
    assert "Trop de codes" in unescape(fourth.content.decode())
    assert not account_get(user_id=admin_fr.pk).mobile_phone


def test_the_campaign_page_says_how_close_the_shop_is_to_its_caps(
    admin_client_fr, shop_fr, sms_campaign, settings
):
    settings.SMS_MONTHLY_CAP_SHOP = 10
    with shop_context(shop_fr):
        for i in range(8):
            OutboundMessage.objects.create(
                shop=shop_fr, channel="sms", kind="sms_help", recipient=f"+3361234560{i}", body_text="x",
                status="sent", sent_at=timezone.now(),
            )  # fmt: skip
    page = unescape(admin_client_fr.get(reverse("campaigns:detail", args=[sms_campaign.pk])).content.decode())
    assert "8 sur 10" in page and "prompt--recommended" in page.split('id="sms-usage"')[0][-80:]


def test_a_code_is_made_by_the_worker_for_the_person_who_asked(shop_fr, admin_fr):
    with shop_context(shop_fr):
        staff_phone.staff_phone_code_send(shop=shop_fr, user=admin_fr, phone=fresh_mobile())
        message = OutboundMessage.objects.get(kind="staff_code")
    first, second = outbox.text_to_send(message), outbox.text_to_send(message)
    assert first != second  # each sending makes a new code, and only the last one counts
    code = re.search(r"\d{6}", second).group(0)
    with pytest.raises(ValidationError):
        staff_phone.staff_phone_confirm(user=admin_fr, code=re.search(r"\d{6}", first).group(0))
    assert staff_phone.staff_phone_confirm(user=admin_fr, code=code).mobile_phone == message.recipient


def test_the_till_refuses_an_opt_in_text_to_a_number_of_another_country(shop_fr):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        create(shop_fr, phone=example("NG", PT.MOBILE), send_welcome_email=False)
    assert "from NG" in refused.value.message_dict["send_sms_opt_in"][0]
    create(shop_fr, phone=example("NG", PT.MOBILE), send_welcome_email=False, send_sms_opt_in=False)
