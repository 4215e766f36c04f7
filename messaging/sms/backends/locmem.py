from messaging.sms import SmsMessage, SmsResult
from messaging.sms.backends.base import BaseSmsBackend

# Like django.core.mail.outbox: tests read what was "sent" here.
outbox: list[SmsMessage] = []


class SmsBackend(BaseSmsBackend):
    """Keeps messages in `messaging.sms.backends.locmem.outbox` (tests)."""

    def send(self, message: SmsMessage) -> SmsResult:
        outbox.append(message)
        return SmsResult(provider_id=self.local_id())
