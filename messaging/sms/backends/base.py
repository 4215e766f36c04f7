import uuid

from messaging.sms import SmsMessage, SmsResult


class BaseSmsBackend:
    def __init__(self, **kwargs):
        self.options = kwargs

    def send(self, message: SmsMessage) -> SmsResult:
        raise NotImplementedError

    @staticmethod
    def local_id() -> str:
        return f"local-{uuid.uuid4().hex}"
