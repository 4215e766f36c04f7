"""SMS sending behind small backends chosen by the `SMS_BACKEND` setting (like Django's EMAIL_BACKEND)."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    sender: str = ""


@dataclass(frozen=True)
class SmsResult:
    provider_id: str


class SmsError(Exception):
    """A send failed. `transient` says whether trying again later may succeed."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


def get_backend(backend_path: str | None = None, **kwargs):
    return import_string(backend_path or settings.SMS_BACKEND)(**kwargs)


def send_sms(message: SmsMessage, *, backend=None) -> SmsResult:
    return (backend or get_backend()).send(message)
