import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.urls import reverse
from twilio.request_validator import RequestValidator

from customers.models import Customer
from customers.services import customer_create
from messaging import outbox
from messaging.models import ConsentEvent, OutboundMessage, Suppression, WebhookEvent
from shopcrm.tenancy import shop_context

# Webhooks find their shop on the platform connection, which sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "platform"])
TOKEN = "twilio-test-auth-token"


@pytest.fixture(autouse=True)
def _twilio(settings, monkeypatch):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = "https://crm.example"
    monkeypatch.setattr(outbox, "message_publish", lambda messages: None)


@pytest.fixture
def betty(shop_fr):
    with shop_context(shop_fr):
        return customer_create(
            shop=shop_fr,
            by=None,
            first_name="Betty",
            last_name="Smith",
            email="betty@example.com",
            phone="0612345678",
            send_welcome_email=True,
            send_sms_opt_in=True,
        )


def fresh(shop, customer):
    with shop_context(shop):
        return Customer.objects.get(pk=customer.pk)


def inbound(client, body, phone="+33612345678", forge=False, sid=None, to="+15005550006", service=None):
    """A reply as Twilio posts it, signed with the test auth token (or forged)."""
    url = reverse("messaging:twilio_inbound")
    params = {"From": phone, "Body": body, "To": to}
    if sid:
        params["MessageSid"] = sid
    if service:
        params["MessagingServiceSid"] = service
    signature = RequestValidator(TOKEN).compute_signature("https://crm.example" + url, params)
    if forge:
        signature = "x" + signature[1:]
    return client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.mark.parametrize("word", ["YES", "oui", "  Oui  "])
def test_a_yes_reply_confirms_the_pending_opt_in(client, shop_fr, betty, word):
    assert inbound(client, word).status_code == 200
    assert fresh(shop_fr, betty).sms_status == "opted_in"


@pytest.mark.parametrize("word", ["STOP", "arret", "StopAll", " unsubscribe ", "END", "quit", "CANCEL"])
def test_stop_words_opt_out_at_once(client, shop_fr, betty, word):
    inbound(client, word)
    assert fresh(shop_fr, betty).sms_status == "opted_out"
    with shop_context(shop_fr):
        assert ConsentEvent.objects.filter(customer=betty, action="withdrawn", source="sms_reply").exists()


def test_start_opts_back_in_after_stop(client, shop_fr, betty):
    inbound(client, "STOP")
    inbound(client, "START")
    assert fresh(shop_fr, betty).sms_status == "opted_in"


def test_help_answers_with_the_shop_name(client, shop_fr, betty):
    inbound(client, "AIDE")
    with shop_context(shop_fr):
        reply = OutboundMessage.objects.get(kind="sms_help")
    assert "Pressing Test" in reply.body_text


def test_a_forged_signature_is_403_and_changes_nothing(client, shop_fr, betty):
    assert inbound(client, "STOP", forge=True).status_code == 403
    assert fresh(shop_fr, betty).sms_status == "pending"
    assert (
        client.post(reverse("messaging:twilio_inbound"), {"From": "+33612345678", "Body": "STOP"}).status_code
        == 403
    )


def test_the_status_callback_marks_delivery(client, shop_fr, betty):
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(channel="sms").update(status="sent", provider_message_id="SM42")
    url = reverse("messaging:twilio_status")
    params = {"MessageSid": "SM42", "MessageStatus": "delivered"}
    signature = RequestValidator(TOKEN).compute_signature("https://crm.example" + url, params)
    assert client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
    with shop_context(shop_fr):
        assert OutboundMessage.objects.get(channel="sms").status == "delivered"


def test_a_receipt_naming_another_sender_than_the_messages_changes_nothing(client, shop_fr, betty):
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(channel="sms").update(
            status="sent", provider_message_id="SM42", sender="+33644000001"
        )
    url = reverse("messaging:twilio_status")
    for sender, expected in [("+33644000002", "sent"), ("+33644000001", "delivered")]:
        params = {"MessageSid": "SM42", "MessageStatus": "delivered", "From": sender}
        signature = RequestValidator(TOKEN).compute_signature("https://crm.example" + url, params)
        assert client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
        with shop_context(shop_fr):
            assert OutboundMessage.objects.get(channel="sms").status == expected


def _track(event_type, event_id="ev-1"):
    event = AnymailTrackingEvent(
        event_type=event_type, message_id="MAIL-1", event_id=event_id, recipient="betty@example.com"
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")


def test_a_hard_bounce_suppresses_the_address_once_per_event(shop_fr, betty):
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(channel="email").update(status="sent", provider_message_id="MAIL-1")
    _track("bounced")
    _track("bounced")  # the provider retried the webhook
    assert fresh(shop_fr, betty).email_status == "bounced"
    with shop_context(shop_fr):
        assert Suppression.objects.filter(address="betty@example.com").count() == 1
        assert ConsentEvent.objects.filter(customer=betty, action="bounced").count() == 1


def test_a_complaint_unsubscribes(shop_fr, betty):
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(channel="email").update(status="sent", provider_message_id="MAIL-1")
    _track("complained", "ev-2")
    assert fresh(shop_fr, betty).email_status == "unsubscribed"


def test_a_reply_twilio_delivers_twice_is_acted_on_once(client, shop_fr, betty):
    for _ in range(2):
        assert inbound(client, "AIDE", sid="SM0123456789abcdef").status_code == 200
    with shop_context(shop_fr):
        assert OutboundMessage.objects.filter(kind="sms_help").count() == 1
    # Another message (another sid) is another reply.
    inbound(client, "AIDE", sid="SMfedcba9876543210")
    with shop_context(shop_fr):
        assert OutboundMessage.objects.filter(kind="sms_help").count() == 2


def test_without_an_esp_and_its_secret_the_tracking_webhooks_do_not_exist(client, shop_fr, betty):
    response = client.post(
        "/anymail/postmark/tracking/",
        data='{"RecordType": "Bounce", "Type": "HardBounce", "Email": "betty@example.com"}',
        content_type="application/json",
    )
    assert response.status_code == 404
    assert fresh(shop_fr, betty).email_status != "bounced"


@pytest.fixture
def esp_urls(settings):
    """The URL conf as production builds it with an ESP backend and its webhook secret."""
    import importlib

    from django.urls import clear_url_caches

    import messaging.urls
    import shopcrm.urls

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "x", "WEBHOOK_SECRET": "hook:s3cret-value"}
    settings.ESP_WEBHOOKS = True
    clear_url_caches()
    importlib.reload(messaging.urls)  # the channels' webhooks are mounted there
    importlib.reload(shopcrm.urls)
    yield
    settings.ESP_WEBHOOKS = False
    clear_url_caches()
    importlib.reload(messaging.urls)
    importlib.reload(shopcrm.urls)


def test_a_tracking_event_without_the_secret_is_refused_and_changes_nothing(client, shop_fr, betty, esp_urls):
    import base64

    with shop_context(shop_fr):
        message = OutboundMessage.objects.get(customer=betty, channel="email")
        OutboundMessage.objects.filter(pk=message.pk).update(provider_message_id="pm-1", status="sent")
    payload = (
        '{"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "ID": 42, "MessageID": "pm-1", '
        '"Email": "betty@example.com", "BouncedAt": "2026-12-01T10:00:00Z"}'
    )
    url = "/anymail/postmark/tracking/"
    stranger = client.post(url, data=payload, content_type="application/json")
    assert stranger.status_code in (400, 401, 403)
    wrong = base64.b64encode(b"hook:guess").decode()
    assert client.post(
        url, data=payload, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {wrong}"
    ).status_code in (400, 401, 403)
    with shop_context(shop_fr):
        assert not Suppression.objects.exists()
    right = base64.b64encode(b"hook:s3cret-value").decode()
    response = client.post(
        url, data=payload, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {right}"
    )
    assert response.status_code == 200
    with shop_context(shop_fr):
        assert Suppression.objects.filter(address="betty@example.com").exists()


def test_production_refuses_to_start_with_an_esp_and_no_webhook_secret(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopcrm.settings.production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "crm.example",
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "ANYMAIL": "POSTMARK_SERVER_TOKEN=abc",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "WEBHOOK_SECRET" in result.stderr


def test_the_system_check_names_an_esp_without_its_secret(settings):
    from shopcrm.checks import esp_webhook_secret

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {}
    assert [e.id for e in esp_webhook_secret(None)] == ["shopcrm.E002"]
    settings.ANYMAIL = {"WEBHOOK_SECRET": "a:b"}
    assert esp_webhook_secret(None) == []


def test_an_email_sent_without_an_esp_gets_a_random_provider_id(shop_fr, betty):
    with shop_context(shop_fr):
        message = OutboundMessage.objects.get(customer=betty, channel="email")
    outbox.message_send(message_id=message.pk, shop_id=shop_fr.pk)
    with shop_context(shop_fr):
        provider_id = OutboundMessage.objects.get(pk=message.pk).provider_message_id
    assert provider_id.startswith("mail-") and provider_id != f"mail-{message.pk}" and len(provider_id) == 37


def _bounce(message, *, mta="", esp_event=None, event_id=None):
    return AnymailTrackingEvent(
        event_type="bounced",
        message_id=message.provider_message_id,
        event_id=event_id,
        recipient=message.recipient,
        mta_response=mta,
        esp_event=esp_event if esp_event is not None else {"recipient": message.recipient, "mta": mta},
    )


@pytest.fixture
def sent_email(shop_fr, betty):
    def _sent(provider_id):
        """Another email to Betty, sent (its own outbox row)."""
        with shop_context(shop_fr):
            return OutboundMessage.objects.create(
                shop=shop_fr,
                customer=betty,
                channel="email",
                kind="welcome",
                recipient="betty@example.com",
                body_text="Welcome",
                status="sent",
                provider_message_id=provider_id,
            )

    return _sent


def test_a_soft_bounce_keeps_its_diagnostic_and_suppresses_nothing(shop_fr, betty, sent_email):
    message = sent_email("esp-soft-1")
    tracking.send(sender=None, event=_bounce(message, mta="452 4.2.2 Mailbox full"), esp_name="Brevo")
    with shop_context(shop_fr):
        message.refresh_from_db()
        assert message.status == "deferred" and "Mailbox full" in message.last_error
        assert not Suppression.objects.exists()
    assert fresh(shop_fr, betty).email_status != "bounced"


def test_soft_bounces_in_a_row_suppress_the_address_but_a_delivery_between_resets_the_count(
    shop_fr, betty, sent_email
):
    for n in range(2):
        message = sent_email(f"esp-soft-{n}")
        tracking.send(
            sender=None, event=_bounce(message, mta=f"421 4.7.0 Try later {n}"), esp_name="Postmark"
        )
    # Delivered in between: the count starts again.
    message = sent_email("esp-ok")
    tracking.send(
        sender=None,
        event=AnymailTrackingEvent(event_type="delivered", message_id="esp-ok", event_id="d-1", esp_event={}),
        esp_name="Postmark",
    )
    for n in range(2, 4):
        message = sent_email(f"esp-soft-{n}")
        tracking.send(
            sender=None, event=_bounce(message, mta=f"421 4.7.0 Try later {n}"), esp_name="Postmark"
        )
    with shop_context(shop_fr):
        assert not Suppression.objects.exists()
    # Three in a row since the delivery: suppressed, and the ledger says why.
    message = sent_email("esp-soft-4")
    tracking.send(sender=None, event=_bounce(message, mta="421 4.7.0 Try later 4"), esp_name="Postmark")
    with shop_context(shop_fr):
        assert Suppression.objects.filter(address="betty@example.com").exists()
        event = ConsentEvent.objects.filter(customer=betty, action="bounced").latest("pk")
    assert "3 soft bounces in a row" in event.detail


def test_a_hard_bounce_keeps_its_diagnostic(shop_fr, betty, sent_email):
    message = sent_email("esp-hard-1")
    tracking.send(sender=None, event=_bounce(message, mta="550 5.1.1 User unknown"), esp_name="Postmark")
    with shop_context(shop_fr):
        message.refresh_from_db()
        assert message.status == "bounced" and "User unknown" in message.last_error
        event = ConsentEvent.objects.filter(customer=betty, action="bounced").latest("pk")
    assert "User unknown" in event.detail


def test_an_event_without_an_id_is_processed_once(shop_fr, betty, sent_email):
    message = sent_email("esp-noid")
    payload = {"event": "soft_bounce", "message-id": "esp-noid", "reason": "mailbox full", "ts": 1764590000}
    for _ in range(2):
        tracking.send(sender=None, event=_bounce(message, esp_event=payload), esp_name="Brevo")
    with shop_context(shop_fr):
        assert OutboundMessage.objects.get(pk=message.pk).status == "deferred"
        assert WebhookEvent.objects.filter(provider="Brevo").count() == 1


def test_an_esp_whose_webhook_needs_a_missing_package_is_named_by_a_check_and_not_mounted(
    settings, monkeypatch
):
    import importlib.util

    from messaging.channels.email import esp_tracking_urls
    from shopcrm.checks import esp_package

    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "boto3" else real(name, *a)
    )
    assert [e.id for e in esp_package(None)] == ["shopcrm.E003"]
    assert esp_tracking_urls() == []
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    assert [str(p.pattern) for p in esp_tracking_urls()] == ["postmark/tracking/"]


def test_a_yes_two_shops_wait_for_confirms_neither_and_asks_for_the_link(
    texting_abroad, client, shop_fr, shop_us, betty
):
    with shop_context(shop_us):
        other = customer_create(
            shop=shop_us,
            by=None,
            first_name="Betty",
            last_name="Smith",
            phone="+33612345678",
            send_sms_opt_in=True,
        )
    assert inbound(client, "OUI").status_code == 200
    assert fresh(shop_fr, betty).sms_status == "pending"
    assert fresh(shop_us, other).sms_status == "pending"
    replies = []
    for shop in (shop_fr, shop_us):
        with shop_context(shop):
            replies += list(
                OutboundMessage.objects.filter(kind="sms_help").values_list("body_text", flat=True)
            )
    assert len(replies) == 1 and ("link" in replies[0] or "lien" in replies[0])
    assert "Paws Test" not in replies[0] and "Pressing Test" not in replies[0]


def test_a_yes_only_one_shop_waits_for_is_credited_to_it_even_if_another_texted_later(
    client, shop_fr, shop_us, betty
):
    with shop_context(shop_us):
        other = customer_create(shop=shop_us, by=None, first_name="B", last_name="S", phone="+33612345678")
        OutboundMessage.objects.create(
            shop=shop_us,
            customer=other,
            channel="sms",
            kind="sms_help",
            recipient="+33612345678",
            body_text="x",
        )
    inbound(client, "YES")
    assert fresh(shop_fr, betty).sms_status == "opted_in"
    assert fresh(shop_us, other).sms_status != "opted_in"


def test_signed_fields_with_nul_bytes_are_read_without_them(client, shop_fr, betty):
    """PostgreSQL refuses NUL bytes: a reply or a receipt carrying one is read all the same (a STOP stops)."""
    assert (
        inbound(
            client, "ST\x00OP", phone="+3361234\x005678", sid="SM\x001", to="+1500\x005550006"
        ).status_code
        == 200
    )
    assert fresh(shop_fr, betty).sms_status == "opted_out"
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(channel="sms").update(status="sent", provider_message_id="SM42")
    url = reverse("messaging:twilio_status")
    params = {"MessageSid": "SM\x0042", "MessageStatus": "deliv\x00ered", "ErrorCode": "3\x000"}
    signature = RequestValidator(TOKEN).compute_signature("https://crm.example" + url, params)
    assert client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
    with shop_context(shop_fr):
        assert OutboundMessage.objects.filter(channel="sms", status="delivered").exists()
