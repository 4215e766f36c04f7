"""A provider that takes its time (tests that stop a worker in the middle of a batch): each text is written
as the file backend writes it, then the call lasts SLOW_SMS_SECONDS."""

import os
import time

from messaging.sms.backends.file import SmsBackend as FileBackend


class SmsBackend(FileBackend):
    def send(self, message):
        result = super().send(message)
        time.sleep(float(os.environ.get("SLOW_SMS_SECONDS", "0.05")))
        return result
