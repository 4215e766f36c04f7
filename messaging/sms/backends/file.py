import json
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from messaging.sms import SmsMessage, SmsResult
from messaging.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    """Appends each SMS as one JSON line to a file per day under `SMS_FILE_PATH` (scripts, staging)."""

    def send(self, message: SmsMessage) -> SmsResult:
        directory = Path(self.options.get("path") or settings.SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        provider_id = self.local_id()
        now = datetime.now(UTC)
        record = {
            "id": provider_id,
            "at": now.isoformat(),
            "to": message.to,
            "from": message.sender,
            "body": message.body,
        }
        with (directory / f"sms-{now:%Y%m%d}.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return SmsResult(provider_id=provider_id)
