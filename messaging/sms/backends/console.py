import sys

from messaging.sms import SmsMessage, SmsResult
from messaging.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    """Prints each SMS to standard output (development)."""

    def send(self, message: SmsMessage) -> SmsResult:
        provider_id = self.local_id()
        stream = self.options.get("stream", sys.stdout)
        stream.write(f"SMS {provider_id} to {message.to} from {message.sender or '-'}:\n{message.body}\n\n")
        stream.flush()
        return SmsResult(provider_id=provider_id)
