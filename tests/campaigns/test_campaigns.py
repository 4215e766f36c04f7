"""Campaigns: who they reach (and why the others not), their outbox rows written once per customer whatever
happens, what each message carries, the admin's bad inputs, and other shops kept out."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import QueryDict

from campaigns import content, sending, services
from campaigns.models import Campaign
from customers.models import Customer, Pet
from messaging import consent, marketing, outbox
from messaging.consent import suppression
from messaging.models import UNSUBSCRIBE_LINK, ConsentEvent, OutboundMessage
from messaging.sms.backends import locmem
from shopcrm.tenancy import shop_context
from tests.campaigns.conftest import verified
from tests.conftest import add_customer as add

pytestmark = pytest.mark.django_db

SMS = "sms"
EMAIL = "email"


@pytest.fixture
def published(monkeypatch):
    """What the outbox hands to the broker, instead of a broker."""
    handed = []
    monkeypatch.setattr(outbox, "message_publish", lambda messages, bulk=False: handed.extend(messages))
    locmem.outbox.clear()
    return handed


def texting(shop, **values):
    customer = add(shop, **values)
    with shop_context(shop):
        consent.sms_confirm(shop=shop, customer=customer, source=ConsentEvent.Source.SMS_REPLY)
    return customer


def imported(shop, channel, **values):
    """A customer whose consent came with an import (single opt-in recorded by the previous software)."""
    customer = add(shop, **values)
    status = consent.EmailStatus.SUBSCRIBED if channel == EMAIL else consent.SmsStatus.SUBSCRIBED
    field = "email_status" if channel == EMAIL else "sms_status"
    with shop_context(shop):
        Customer.objects.filter(pk=customer.pk).update(**{field: status})
        ConsentEvent.objects.create(
            shop=shop,
            customer=customer,
            channel=channel,
            action=ConsentEvent.Action.IMPORTED,
            source=ConsentEvent.Source.IMPORT,
        )
        customer.refresh_from_db()
    return customer


def campaign(shop, *, channel=EMAIL, body="Bonjour {{ first_name }}, -20 % cette semaine.", **more):
    fields = {"name": "Soldes", "subject": "Les soldes chez {{ shop_name }}", **more}
    if channel == SMS:
        fields["subject"] = ""
    with shop_context(shop):
        return services.campaign_create(shop=shop, by=None, channel=channel, body=body, **fields)


def split(shop, c):
    with shop_context(shop):
        return services.audience_split(shop=shop, campaign=c)


def send_all(shop, c, seen=None):
    from django.test import TestCase

    with shop_context(shop):
        services.campaign_send(shop=shop, by=None, campaign=c, seen=seen)
    with TestCase.captureOnCommitCallbacks(execute=True):
        sending.campaign_write(campaign_id=c.pk, shop_id=shop.pk)
    with shop_context(shop):
        c.refresh_from_db()
        return list(OutboundMessage.objects.filter(source=c.source_key).order_by("customer_id"))


# --- eligibility ---------------------------------------------------------------------------------------


def test_only_confirmed_or_imported_consent_makes_a_customer_eligible_for_email(shop_fr, launched):
    verified(shop_fr, first_name="Ana", email="ana@example.fr")
    imported(shop_fr, EMAIL, first_name="Imre", email="imre@example.fr")
    add(shop_fr, first_name="Nadia", email="nadia@example.fr")  # never asked
    add(shop_fr, first_name="Paula", email="paula@example.fr", send_welcome_email=True)  # asked, pending
    gone = verified(shop_fr, first_name="Ugo", email="ugo@example.fr")
    with shop_context(shop_fr):
        consent.email_unsubscribe(shop=shop_fr, customer=gone)
    add(shop_fr, first_name="Zoé")  # no address
    counts = split(shop_fr, campaign(shop_fr))
    assert counts[marketing.ELIGIBLE] == 2
    assert counts["no_consent"] == 1 and counts["pending"] == 1
    assert counts["unsubscribed"] == 1 and counts["no_address"] == 1
    assert counts["suppressed"] == 0 and counts["no_proof"] == 0


def test_texts_go_only_to_numbers_that_opted_in(shop_fr, launched):
    texting(shop_fr, first_name="Ana", phone="06 11 11 11 11")
    imported(shop_fr, SMS, first_name="Imre", phone="06 22 22 22 22")
    add(shop_fr, first_name="Paula", phone="06 33 33 33 33", send_sms_opt_in=True)
    stopped = texting(shop_fr, first_name="Sam", phone="06 44 44 44 44")
    with shop_context(shop_fr):
        consent.sms_opt_out(shop=shop_fr, customer=stopped, source=ConsentEvent.Source.SMS_REPLY)
    add(shop_fr, first_name="Nadia", email="nadia@example.fr")
    counts = split(shop_fr, campaign(shop_fr, channel=SMS))
    assert counts[marketing.ELIGIBLE] == 2
    assert counts["pending"] == 1 and counts["unsubscribed"] == 1 and counts["no_address"] == 1


@pytest.mark.parametrize(
    "reason",
    [
        consent.Reason.BOUNCE,
        consent.Reason.SOFT_BOUNCES,
        consent.Reason.COMPLAINT,
        consent.Reason.STOP,
        consent.Reason.UNSUBSCRIBE,
        consent.Reason.ERASED,
    ],
)
def test_an_address_on_the_suppression_list_is_left_out_whatever_its_status_says(shop_fr, launched, reason):
    verified(shop_fr, email="Shared.Box@Example.fr")
    with shop_context(shop_fr):
        suppression.suppression_add(
            shop=shop_fr, channel=EMAIL, address="shared.box@example.fr", reason=reason
        )
    counts = split(shop_fr, campaign(shop_fr))
    assert counts[marketing.ELIGIBLE] == 0 and counts["suppressed"] == 1


def test_service_messages_turned_off_do_not_stop_marketing(shop_fr, launched):
    ana = verified(shop_fr, email="ana@example.fr")
    with shop_context(shop_fr):
        consent.service_opt_out(shop=shop_fr, customer=ana, channel=EMAIL)
    assert split(shop_fr, campaign(shop_fr))[marketing.ELIGIBLE] == 1


def test_a_status_without_its_ledger_event_is_not_consent(shop_fr, launched):
    ana = add(shop_fr, email="ana@example.fr")
    with shop_context(shop_fr):
        Customer.objects.filter(pk=ana.pk).update(email_status=consent.EmailStatus.VERIFIED)
    counts = split(shop_fr, campaign(shop_fr))
    assert counts[marketing.ELIGIBLE] == 0 and counts["no_proof"] == 1


def test_sql_hashes_addresses_exactly_as_the_ledger_does(shop_fr):
    odd = add(shop_fr, email="Elodie.O'Brien+promo@Example.FR", phone="+33 6 12 34 56 78")
    with shop_context(shop_fr):
        assert marketing.consent_hash_check(shop_fr, EMAIL, odd)
        assert marketing.consent_hash_check(shop_fr, SMS, odd)


def test_the_audience_is_the_segment_or_the_filters_it_was_given(shop_fr, launched):
    from desk import segments

    ana = verified(shop_fr, first_name="Ana", last_name="Vidal", email="ana@example.fr")
    verified(shop_fr, first_name="Bob", last_name="Martin", email="bob@example.fr")
    with shop_context(shop_fr):
        segment = segments.segment_save(shop=shop_fr, by=None, name="Vidal", params=QueryDict("q=vidal"))
    by_segment = campaign(shop_fr, segment_id=segment.pk)
    by_filters = campaign(shop_fr, filters="q=martin")
    assert split(shop_fr, by_segment)[marketing.ELIGIBLE] == 1
    assert split(shop_fr, by_filters)[marketing.ELIGIBLE] == 1
    messages = send_all(shop_fr, by_segment)
    assert [m.customer_id for m in messages] == [ana.pk]


# --- writing the outbox rows ---------------------------------------------------------------------------


def test_each_message_links_the_consent_it_relied_on(shop_fr, launched, published):
    ana = verified(shop_fr, first_name="Ana", email="ana@example.fr")
    imre = imported(shop_fr, EMAIL, first_name="Imre", email="imre@example.fr")
    messages = send_all(shop_fr, campaign(shop_fr))
    with shop_context(shop_fr):
        for message, customer, action in ((messages[0], ana, "confirmed"), (messages[1], imre, "imported")):
            proof = ConsentEvent.objects.get(pk=message.consent_id)
            assert proof.customer_id == customer.pk and proof.action == action and proof.channel == EMAIL
    assert {m.kind for m in messages} == {"campaign"} and {m.label for m in messages} == {"Soldes"}
    assert len(published) == 2


def test_fields_are_put_in_per_customer_and_escaped_in_html(shop_fr, launched, published):
    verified(shop_fr, first_name="Zoë <b>&", last_name="O'Neil", email="zoe@example.fr")
    c = campaign(
        shop_fr, body="Bonjour **{{ first_name }} {{ last_name }}**, voyez https://example.fr/soldes."
    )
    (message,) = send_all(shop_fr, c)
    assert message.subject == "Les soldes chez Pressing Test"
    assert "Bonjour Zoë <b>& O'Neil, voyez https://example.fr/soldes." in message.body_text
    assert "<strong>Zoë &lt;b&gt;&amp; O&#x27;Neil</strong>" in message.body_html
    assert '<a href="https://example.fr/soldes"' in message.body_html
    # The preview renders it the same way, in Python.
    with shop_context(shop_fr):
        person = content.person_of(Customer.objects.get(pk=message.customer_id))
        preview = services.rendered_for(shop_fr, c, person)
    assert preview.html == message.body_html and preview.text == message.body_text


def test_the_pet_named_is_the_customers_own(shop_us, launched, published):
    owner = verified(shop_us, first_name="Kim", email="kim@example.com")
    with shop_context(shop_us):
        Pet.objects.create(shop=shop_us, owner=owner, name="Biscuit", species="dog")
    verified(shop_us, first_name="Lee", email="lee@example.com")
    c = campaign(shop_us, body="A treat for {{ pet_name }}!", subject="Hi {{ first_name }}")
    kim, lee = send_all(shop_us, c)
    assert "A treat for Biscuit!" in kim.body_text and kim.subject == "Hi Kim"
    assert "A treat for !" in lee.body_text


def test_a_restarted_job_or_a_second_run_never_writes_a_second_message(shop_fr, launched, published):
    for n in range(7):
        verified(shop_fr, first_name=f"Client{n}", email=f"c{n}@example.fr")
    c = campaign(shop_fr)
    with shop_context(shop_fr):
        services.campaign_send(shop=shop_fr, by=None, campaign=c, seen=None)
    # A worker dies after two chunks; the job is delivered again, and a second copy runs alongside.
    assert sending.campaign_write_chunk(campaign_id=c.pk, shop_id=shop_fr.pk, chunk=3)
    assert sending.campaign_write_chunk(campaign_id=c.pk, shop_id=shop_fr.pk, chunk=3)
    with shop_context(shop_fr):
        Campaign.objects.filter(pk=c.pk).update(cursor=0)  # even a job that lost its place
    sending.campaign_write(campaign_id=c.pk, shop_id=shop_fr.pk)
    sending.campaign_write(campaign_id=c.pk, shop_id=shop_fr.pk)
    with shop_context(shop_fr):
        assert OutboundMessage.objects.filter(kind="campaign").count() == 7
        assert (
            OutboundMessage.objects.filter(source=c.source_key).values("written_for").distinct().count() == 7
        )
        c.refresh_from_db()
    assert c.status == "sent" and c.written == 7


def test_pressing_send_twice_sends_once(shop_fr, launched):
    verified(shop_fr, email="ana@example.fr")
    c = campaign(shop_fr)
    with shop_context(shop_fr):
        services.campaign_send(shop=shop_fr, by=None, campaign=c, seen=1)
        with pytest.raises(ValidationError, match="already sending"):
            services.campaign_send(shop=shop_fr, by=None, campaign=c, seen=1)
    assert launched == [c.pk]


def test_an_email_carries_its_own_unsubscribe_link_and_one_click_headers(shop_fr, launched, published):
    verified(shop_fr, email="ana@example.fr")
    (message,) = send_all(shop_fr, campaign(shop_fr))
    assert UNSUBSCRIBE_LINK in message.body_text and UNSUBSCRIBE_LINK in message.body_html
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "sent"
    (email,) = mail.outbox
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert "/m/u/" in link and link in email.body
    assert "[[" not in email.body and "[[" not in email.alternatives[0][0]


def test_a_text_names_the_shop_and_says_how_to_stop(shop_fr, launched, published):
    texting(shop_fr, first_name="Ana", phone="06 11 11 11 11")
    (message,) = send_all(shop_fr, campaign(shop_fr, channel=SMS, body="{{ first_name }}, -20 % samedi."))
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "sent"
    (text,) = locmem.outbox
    assert text.body == "Pressing Test : Ana, -20 % samedi.\nRépondez STOP pour ne plus recevoir de SMS."


def test_a_stop_after_the_campaign_was_written_holds_its_message_back(shop_fr, launched, published):
    ana = texting(shop_fr, phone="06 11 11 11 11")
    (message,) = send_all(shop_fr, campaign(shop_fr, channel=SMS))
    with shop_context(shop_fr):
        consent.sms_opt_out(shop=shop_fr, customer=ana, source=ConsentEvent.Source.SMS_REPLY)
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "suppressed"
    assert locmem.outbox == []


def test_marketing_texts_wait_for_the_send_window(shop_fr, launched, published, settings, monkeypatch):
    from messaging import windows

    settings.SMS_SEND_WINDOWS = True
    texting(shop_fr, phone="06 11 11 11 11")
    (message,) = send_all(shop_fr, campaign(shop_fr, channel=SMS))
    sunday = dt.datetime(2026, 12, 6, 11, 0, tzinfo=shop_fr.tzinfo)
    monkeypatch.setattr(windows, "now", lambda: sunday)
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "scheduled"
    with shop_context(shop_fr):
        message.refresh_from_db()
    assert message.not_before == dt.datetime(2026, 12, 7, 8, 0, tzinfo=shop_fr.tzinfo)
    monday = dt.datetime(2026, 12, 7, 9, 30, tzinfo=shop_fr.tzinfo)
    monkeypatch.setattr(windows, "now", lambda: monday)
    assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "sent"


def test_cancelling_holds_back_what_has_not_gone(shop_fr, launched, published):
    for n in range(3):
        verified(shop_fr, email=f"c{n}@example.fr")
    c = campaign(shop_fr)
    first, *rest = send_all(shop_fr, c)
    assert outbox.message_send(message_id=first.pk, shop_id=shop_fr.pk) == "sent"
    with shop_context(shop_fr):
        assert services.campaign_cancel(shop=shop_fr, campaign=c) == 2
    for message in rest:
        assert outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk) == "cancelled"
    with shop_context(shop_fr):
        results = services.campaign_results(shop=shop_fr, campaign=c)
        c.refresh_from_db()
    assert c.status == "cancelled" and results["sent"] == 1 and results["cancelled"] == 2
    assert len(mail.outbox) == 1


def test_a_campaign_cancelled_mid_writing_writes_no_more(shop_fr, launched, published):
    for n in range(5):
        verified(shop_fr, email=f"c{n}@example.fr")
    c = campaign(shop_fr)
    with shop_context(shop_fr):
        services.campaign_send(shop=shop_fr, by=None, campaign=c, seen=None)
    sending.campaign_write_chunk(campaign_id=c.pk, shop_id=shop_fr.pk, chunk=2)
    with shop_context(shop_fr):
        services.campaign_cancel(shop=shop_fr, campaign=c)
    sending.campaign_write(campaign_id=c.pk, shop_id=shop_fr.pk)
    with shop_context(shop_fr):
        assert OutboundMessage.objects.filter(kind="campaign").count() == 2
        assert not OutboundMessage.objects.filter(kind="campaign", status="queued").exists()


def test_results_count_what_became_of_each_message_and_who_opted_out_since(shop_fr, launched, published):
    ana = verified(shop_fr, email="ana@example.fr")
    verified(shop_fr, email="bob@example.fr")
    c = campaign(shop_fr)
    first, second = send_all(shop_fr, c)
    outbox.message_send(message_id=first.pk, shop_id=shop_fr.pk)
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(pk=second.pk).update(status="bounced")
        consent.email_unsubscribe(shop=shop_fr, customer=ana)
        results = services.campaign_results(shop=shop_fr, campaign=c)
    assert results["total"] == 2 and results["sent"] == 2 and results["bounced"] == 1
    assert results["opted_out"] == 1 and results["queued"] == 0


# --- what the admin may get wrong ----------------------------------------------------------------------


def test_a_field_that_does_not_exist_is_refused_next_to_the_message(shop_fr):
    with pytest.raises(ValidationError) as caught:
        campaign(shop_fr, body="Bonjour {{ prenom }}")
    assert "{{ prenom }}" in caught.value.message_dict["body"][0]
    with pytest.raises(ValidationError) as caught:
        campaign(shop_fr, body="Bonjour {{ first_name }")
    assert "body" in caught.value.message_dict


def test_pet_names_are_a_field_only_in_shops_with_pets(shop_fr, shop_us):
    with pytest.raises(ValidationError):
        campaign(shop_fr, body="Pour {{ pet_name }}")
    assert campaign(shop_us, body="For {{pet_name}}").body == "For {{ pet_name }}"


def test_a_text_over_ten_segments_is_refused(shop_fr):
    with pytest.raises(ValidationError) as caught:
        campaign(shop_fr, channel=SMS, body="x" * 1600)
    assert "segments" in caught.value.message_dict["body"][0]
    campaign(shop_fr, channel=SMS, body="x" * 1400)


def test_an_email_needs_a_subject_and_every_campaign_a_name_and_a_message(shop_fr):
    with pytest.raises(ValidationError) as caught:
        campaign(shop_fr, name=" ", subject="", body="")
    assert set(caught.value.message_dict) == {"name", "subject", "body"}


def test_an_empty_audience_sends_nothing(shop_fr, launched):
    add(shop_fr, email="nadia@example.fr")
    c = campaign(shop_fr)
    with shop_context(shop_fr), pytest.raises(ValidationError, match="Nobody"):
        services.campaign_send(shop=shop_fr, by=None, campaign=c, seen=0)
    assert launched == []


def test_an_audience_that_changed_since_it_was_counted_is_counted_again_before_sending(shop_fr, launched):
    verified(shop_fr, email="ana@example.fr")
    c = campaign(shop_fr)
    seen = split(shop_fr, c)[marketing.ELIGIBLE]
    verified(shop_fr, email="bob@example.fr")
    with shop_context(shop_fr), pytest.raises(ValidationError, match="changed"):
        services.campaign_send(shop=shop_fr, by=None, campaign=c, seen=seen)
    with shop_context(shop_fr):
        c.refresh_from_db()
    assert c.status == "draft" and launched == []


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_a_schedule_in_the_past_is_refused_and_one_in_the_future_waits(shop_fr, launched, monkeypatch):
    from campaigns import tasks

    verified(shop_fr, email="ana@example.fr")
    c = campaign(shop_fr)
    past = dt.datetime(2020, 1, 1, tzinfo=shop_fr.tzinfo)
    with shop_context(shop_fr), pytest.raises(ValidationError) as caught:
        services.campaign_schedule(shop=shop_fr, by=None, campaign=c, at=past, seen=1)
    assert "scheduled_at" in caught.value.message_dict
    soon = services.schedule_parse(shop_fr, "2099-06-01T09:30")
    assert soon == dt.datetime(2099, 6, 1, 9, 30, tzinfo=shop_fr.tzinfo)
    with pytest.raises(ValidationError):
        services.campaign_schedule(shop=shop_fr, by=None, campaign=c, at=soon, seen=1)  # over a year
    later = dt.datetime.now(shop_fr.tzinfo) + dt.timedelta(hours=2)
    with shop_context(shop_fr):
        services.campaign_schedule(shop=shop_fr, by=None, campaign=c, at=later, seen=1)
    started = []
    monkeypatch.setattr(tasks.send_campaign, "apply_async", lambda args, retry: started.append(args))
    tasks.launch_due()
    assert started == []
    with shop_context(shop_fr):
        Campaign.objects.filter(pk=c.pk).update(scheduled_at=later - dt.timedelta(hours=3))
    tasks.launch_due()
    assert started == [[c.pk, shop_fr.pk]]
    with shop_context(shop_fr):
        c.refresh_from_db()
    assert c.status == "sending"


def test_a_campaign_is_not_edited_once_it_is_sending(shop_fr, launched):
    verified(shop_fr, email="ana@example.fr")
    c = campaign(shop_fr)
    with shop_context(shop_fr):
        services.campaign_send(shop=shop_fr, by=None, campaign=c, seen=None)
        with pytest.raises(ValidationError, match="no longer be changed"):
            services.campaign_update(
                shop=shop_fr, campaign=c, name="Autre", channel=EMAIL, subject="S", body="B"
            )


def test_texts_need_the_shops_contact_for_help_replies(db, launched):
    from tests.conftest import make_shop

    quiet = make_shop(name="Sans contact", contact_phone="")
    texting(quiet, phone="06 11 11 11 11")
    c = campaign(quiet, channel=SMS)
    with shop_context(quiet), pytest.raises(ValidationError, match="contact"):
        services.campaign_send(shop=quiet, by=None, campaign=c, seen=None)


# --- other shops ---------------------------------------------------------------------------------------


def test_a_campaign_never_reaches_another_shops_customers(shop_fr, shop_us, launched, published):
    verified(shop_fr, email="ana@example.fr")
    verified(shop_us, email="ana@example.fr")  # the same person, a customer of both shops
    messages = send_all(shop_fr, campaign(shop_fr))
    assert [m.shop_id for m in messages] == [shop_fr.pk]
    with shop_context(shop_us):
        assert not OutboundMessage.objects.filter(kind="campaign").exists()


def test_another_shops_segment_is_not_an_audience(shop_fr, shop_us):
    from desk import segments

    with shop_context(shop_us):
        theirs = segments.segment_save(shop=shop_us, by=None, name="All", params=QueryDict(""))
    with pytest.raises(ValidationError) as caught:
        campaign(shop_fr, segment_id=theirs.pk)
    assert "audience" in caught.value.message_dict


def test_another_shops_campaign_is_not_found(shop_fr, shop_us):
    theirs = campaign(shop_us)
    with shop_context(shop_fr), pytest.raises(Campaign.DoesNotExist):
        services.campaign_get(shop=shop_fr, pk=theirs.pk)


def test_sending_texts_out_of_hours_says_when_they_will_go(shop_fr, settings, monkeypatch):
    from messaging import windows

    settings.SMS_SEND_WINDOWS = True
    c = campaign(shop_fr, channel=SMS)
    saturday_night = dt.datetime(2026, 12, 5, 21, 30, tzinfo=shop_fr.tzinfo)
    monkeypatch.setattr(windows, "now", lambda: saturday_night)
    from django.utils import translation

    with shop_context(shop_fr), translation.override("fr"):
        note = services.window_note(shop_fr, c)
    assert "07/12/2026 08:00" in note  # Monday morning: no texts on Sundays in France
    tuesday = dt.datetime(2026, 12, 8, 10, 0, tzinfo=shop_fr.tzinfo)
    monkeypatch.setattr(windows, "now", lambda: tuesday)
    assert services.window_note(shop_fr, c) == ""
    assert services.window_note(shop_fr, campaign(shop_fr)) == ""  # emails go at once


def test_the_outbox_itself_refuses_a_second_message_of_a_source_for_a_customer(shop_fr, published):
    ana = verified(shop_fr, email="ana@example.fr")
    body = marketing.Content(subject="S", text="T", label="L")
    with shop_context(shop_fr):
        audience = Customer.objects.filter(pk=ana.pk)
        first = marketing.marketing_messages_write(
            shop=shop_fr,
            channel=EMAIL,
            kind="campaign",
            source="campaign:x",
            audience=audience,
            content=body,
            by=None,
        )
        again = marketing.marketing_messages_write(
            shop=shop_fr,
            channel=EMAIL,
            kind="campaign",
            source="campaign:x",
            audience=audience,
            content=body,
            by=None,
        )
    assert len(first) == 1 and again == []


def test_merging_two_customers_who_both_got_a_campaign_keeps_both_messages(shop_fr, launched, published):
    from desk.merge import customers_merge

    ana = verified(shop_fr, first_name="Ana", last_name="Vidal", email="ana@example.fr")
    twin = verified(shop_fr, first_name="Ana", last_name="Vidal", email="ana.vidal@example.fr")
    c = campaign(shop_fr)
    send_all(shop_fr, c)
    with shop_context(shop_fr):
        customers_merge(shop=shop_fr, by=None, survivor=ana, other=twin, choices={})
        assert OutboundMessage.objects.filter(source=c.source_key, customer=ana).count() == 2
        assert services.campaign_results(shop=shop_fr, campaign=c)["total"] == 2
    # Sending again writes nothing new.
    sending.campaign_write(campaign_id=c.pk, shop_id=shop_fr.pk)
    with shop_context(shop_fr):
        assert OutboundMessage.objects.filter(source=c.source_key).count() == 2
