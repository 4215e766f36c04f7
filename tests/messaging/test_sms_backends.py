import io
import json

import pytest
from twilio.base.exceptions import TwilioRestException

from messaging.sms import SmsError, SmsMessage, get_backend, send_sms
from messaging.sms.backends import locmem

MESSAGE = SmsMessage(to="+33612345678", body="Bonjour ! Répondez OUI.", sender="LILAS")


def test_the_configured_backend_in_tests_is_locmem():
    locmem.outbox.clear()
    result = send_sms(MESSAGE)
    assert locmem.outbox == [MESSAGE]
    assert result.provider_id.startswith("local-")


def test_console_backend_prints_the_message():
    stream = io.StringIO()
    get_backend("messaging.sms.backends.console.SmsBackend", stream=stream).send(MESSAGE)
    assert "+33612345678" in stream.getvalue() and "Répondez OUI" in stream.getvalue()


def test_file_backend_appends_json_lines(tmp_path):
    backend = get_backend("messaging.sms.backends.file.SmsBackend", path=tmp_path)
    backend.send(MESSAGE)
    backend.send(MESSAGE)
    (log,) = tmp_path.iterdir()
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["body"] for r in records] == [MESSAGE.body] * 2


class FakeMessages:
    def __init__(self, error=None):
        self.error, self.calls = error, []

    def create(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return type("Sent", (), {"sid": "SM123"})()


class FakeClient:
    def __init__(self, error=None):
        self.messages = FakeMessages(error)


def test_twilio_backend_sends_through_the_sdk_client():
    client = FakeClient()
    result = get_backend("messaging.sms.backends.twilio.SmsBackend", client=client).send(MESSAGE)
    assert result.provider_id == "SM123"
    assert client.messages.calls[0]["to"] == "+33612345678"


@pytest.mark.parametrize(("status", "transient"), [(500, True), (503, True), (429, True), (400, False)])
def test_twilio_errors_say_whether_a_retry_may_help(status, transient):
    error = TwilioRestException(status=status, uri="/Messages", msg="boom", code=21211)
    backend = get_backend("messaging.sms.backends.twilio.SmsBackend", client=FakeClient(error))
    with pytest.raises(SmsError) as info:
        backend.send(MESSAGE)
    assert info.value.transient is transient


def test_every_twilio_send_asks_for_delivery_receipts_at_our_status_webhook(settings):
    settings.SITE_URL = "https://crm.example"
    client = FakeClient()
    get_backend("messaging.sms.backends.twilio.SmsBackend", client=client).send(MESSAGE)
    assert client.messages.calls[0]["status_callback"] == "https://crm.example/webhooks/twilio/status/"
