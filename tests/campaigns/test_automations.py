"""The pet-birthday promotion: each month, once, to the consenting owners of pets born that month; the
checkout screen says it went."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase

from campaigns import automations
from checkout.selectors import checkout_prompts
from customers.models import Customer, Pet
from messaging import consent, outbox
from messaging.models import OutboundMessage
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    handed = []
    monkeypatch.setattr(outbox, "message_publish", lambda messages, bulk=False: handed.extend(messages))
    return handed


def owner(shop, name, *, month, verified=True, email=None, pets=("Biscuit",)):
    customer = add(shop, first_name=name, email=email or f"{name.lower()}@example.com")
    with shop_context(shop):
        if verified:
            consent.email_verify(shop=shop, customer=customer)
        for pet in pets:
            Pet.objects.create(shop=shop, owner=customer, name=pet, species="dog", birth_month=month)
    return customer


def switch_on(shop, **more):
    fields = {
        "enabled": True,
        "channel": "email",
        "subject": "Happy birthday {{ pet_name }}",
        "body": "Hello {{ first_name }}, a treat for {{ pet_name }} at {{ shop_name }}.",
        **more,
    }
    with shop_context(shop):
        return automations.pet_birthday_save(shop=shop, by=None, **fields)


def run(shop, at):
    with TestCase.captureOnCommitCallbacks(execute=True):
        automations.pet_birthday_write(shop_id=shop.pk, at=at)
    with shop_context(shop):
        return list(OutboundMessage.objects.filter(kind="pet_birthday").order_by("customer_id"))


def at(shop, month=12, day=1, hour=10):
    return dt.datetime(2026, month, day, hour, 0, tzinfo=shop.tzinfo)


def test_owners_of_pets_born_this_month_who_agreed_get_it_once(shop_us, published):
    kim = owner(shop_us, "Kim", month=12, pets=("Biscuit", "Pepper"))  # two pets born in December
    owner(shop_us, "Lee", month=12, verified=False)
    owner(shop_us, "Max", month=5)
    switch_on(shop_us)
    (message,) = run(shop_us, at(shop_us))
    assert message.customer_id == kim.pk and message.channel == "email" and message.consent_id
    assert message.subject in ("Happy birthday Biscuit", "Happy birthday Pepper")
    assert "at Paws Test." in message.body_text
    assert len(published) == 1
    # The hourly job runs again, the next day too: nothing more.
    assert len(run(shop_us, at(shop_us, hour=11))) == 1
    assert len(run(shop_us, at(shop_us, day=2))) == 1


def test_a_pet_added_later_in_the_month_is_wished_its_birthday_at_the_next_run(shop_us, published):
    owner(shop_us, "Kim", month=12)
    switch_on(shop_us)
    assert len(run(shop_us, at(shop_us))) == 1
    owner(shop_us, "Ana", month=12)
    assert len(run(shop_us, at(shop_us, day=15))) == 2


def test_next_month_is_a_new_run(shop_us, published):
    owner(shop_us, "Kim", month=12)
    owner(shop_us, "Jan", month=1)
    switch_on(shop_us)
    run(shop_us, at(shop_us))
    messages = run(shop_us, dt.datetime(2027, 1, 1, 10, tzinfo=shop_us.tzinfo))
    assert [m.subject for m in messages] == ["Happy birthday Biscuit", "Happy birthday Biscuit"]
    with shop_context(shop_us):
        sources = sorted(OutboundMessage.objects.values_list("source", flat=True))
    assert [source.rsplit(":", 1)[1] for source in sources] == ["2026-12", "2027-01"]


def test_nothing_goes_before_nine_in_the_shop_or_when_switched_off(shop_us, published):
    owner(shop_us, "Kim", month=12)
    switch_on(shop_us)
    assert run(shop_us, at(shop_us, hour=8)) == []
    switch_on(shop_us, enabled=False)
    assert run(shop_us, at(shop_us, hour=10)) == []


def test_texts_wish_it_by_sms_to_numbers_that_opted_in(shop_us, published):
    kim = add(shop_us, first_name="Kim", phone="212 555 0142")
    with shop_context(shop_us):
        consent.sms_confirm(shop=shop_us, customer=kim, source="sms_reply")
        Pet.objects.create(shop=shop_us, owner=kim, name="Biscuit", species="dog", birth_month=12)
    switch_on(shop_us, channel="sms", subject="", body="Happy birthday {{ pet_name }}! A treat awaits.")
    (message,) = run(shop_us, at(shop_us))
    assert (
        message.body_text == "Paws Test: Happy birthday Biscuit! A treat awaits.\nReply STOP to stop texts."
    )


def test_the_checkout_screen_says_the_birthday_offer_was_sent(shop_us, published):
    from django.utils import timezone

    today = timezone.localtime(timezone.now(), shop_us.tzinfo).replace(hour=10)
    kim = owner(shop_us, "Kim", month=today.month)
    switch_on(shop_us)
    with shop_context(shop_us):
        customer = Customer.objects.prefetch_related("pets").get(pk=kim.pk)
        before = [p.text for p in checkout_prompts(shop=shop_us, customer=customer)]
    assert before == ["It is Biscuit's birthday month!"]
    run(shop_us, today)
    with shop_context(shop_us), timezone.override(shop_us.tzinfo):
        after = [p.text for p in checkout_prompts(shop=shop_us, customer=customer)]
    assert after == [
        f"It is Biscuit's birthday month! The birthday offer was sent by email on "
        f"{today.strftime('%m/%d/%Y')}."
    ]


def test_a_shop_without_pets_has_no_birthday_promotion(shop_fr):
    with shop_context(shop_fr), pytest.raises(ValidationError):
        automations.pet_birthday_save(
            shop=shop_fr, by=None, enabled=True, channel="email", subject="S", body="B"
        )


def test_a_bad_text_is_refused_next_to_its_field(shop_us):
    with pytest.raises(ValidationError) as caught:
        switch_on(shop_us, body="Hi {{ dog }}", subject="")
    assert set(caught.value.message_dict) == {"body", "subject"}


def test_one_shops_promotion_never_reaches_another_shops_customers(shop_us, published):
    from tests.conftest import make_shop

    other = make_shop(
        name="Other Pets", country="US", language="en", timezone="America/New_York", pets_enabled=True
    )
    owner(other, "Kim", month=12)
    switch_on(shop_us)
    assert run(shop_us, at(shop_us)) == []
    with shop_context(other):
        assert not OutboundMessage.objects.filter(kind="pet_birthday").exists()


def test_a_channel_switched_mid_month_reaches_who_has_not_had_it_yet_once(shop_us, published):
    kim = owner(shop_us, "Kim", month=12)  # gets it by email on the 1st
    switch_on(shop_us)
    run(shop_us, at(shop_us))
    lee = add(shop_us, first_name="Lee", phone="212 555 0199", email="lee@example.com")
    with shop_context(shop_us):
        consent.sms_confirm(shop=shop_us, customer=lee, source="sms_reply")
        Pet.objects.create(shop=shop_us, owner=lee, name="Rex", species="dog", birth_month=12)
    switch_on(shop_us, channel="sms", subject="", body="Happy birthday {{ pet_name }}!")
    messages = run(shop_us, at(shop_us, day=10))
    assert [(m.customer_id, m.channel) for m in messages] == [(kim.pk, "email"), (lee.pk, "sms")]
