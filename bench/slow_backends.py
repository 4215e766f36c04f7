"""Stand-in providers for the messaging benchmark: they accept every message after BENCH_PROVIDER_DELAY s."""

import os
import time
import uuid

from django.core.mail.backends.base import BaseEmailBackend

from messaging.sms import SmsResult
from messaging.sms.backends.base import BaseSmsBackend


def _wait() -> None:
    time.sleep(float(os.environ.get("BENCH_PROVIDER_DELAY", "0")))


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for _ in email_messages:
            _wait()
        return len(email_messages)


class SmsBackend(BaseSmsBackend):
    def send(self, message):
        _wait()
        return SmsResult(provider_id=f"bench-{uuid.uuid4().hex}")


class RecordingEmailBackend(BaseEmailBackend):
    """Appends each recipient to BENCH_PROVIDER_RECORD (one line, flushed at once) before it answers: what
    the provider "took", whatever happens to the worker afterwards (the fault benchmark counts doubles)."""

    def send_messages(self, email_messages):
        path = os.environ["BENCH_PROVIDER_RECORD"]
        for message in email_messages:
            with open(path, "a", encoding="utf-8") as record:
                record.write(",".join(message.to) + "\n")
            _wait()
        return len(email_messages)
