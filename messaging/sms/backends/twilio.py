from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from messaging.sms import SmsError, SmsMessage, SmsResult
from messaging.sms.backends.base import BaseSmsBackend
from messaging.sms.senders import is_service

# Far below the outbox's SENDING_STUCK_AFTER: a hung request must not look like a dead worker.
TIMEOUT_SECONDS = 30


class SmsBackend(BaseSmsBackend):
    """Sends through Twilio's REST API with the twilio SDK."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.client = kwargs.get("client") or Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS),
        )

    def send(self, message: SmsMessage) -> SmsResult:
        # Delivery receipts come back to our status webhook (signed with the auth token, like inbound).
        callback = self.options.get("status_callback") or settings.SITE_URL + reverse(
            "messaging:twilio_status"
        )
        try:
            sender = message.sender or settings.TWILIO_FROM_NUMBER
            # A Messaging Service picks the number from its pool; anything else is the "From" itself.
            origin = {"messaging_service_sid": sender} if is_service(sender) else {"from_": sender}
            sent = self.client.messages.create(
                to=message.to, body=message.body, status_callback=callback, **origin
            )
        except TwilioRestException as exc:
            # 429 and 5xx may pass on a later try; other 4xx (bad number, blocked) will not.
            transient = exc.status == 429 or exc.status >= 500
            raise SmsError(f"twilio {exc.status} {exc.code}", transient=transient) from exc
        except (TwilioException, OSError) as exc:
            raise SmsError(f"twilio: {type(exc).__name__}", transient=True) from exc
        return SmsResult(provider_id=sent.sid)
