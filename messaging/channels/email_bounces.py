"""Bounces told apart. A hard bounce (the address does not exist, the domain refuses it) suppresses the
address at once; a soft one (mailbox full, server busy) is kept on the message with its diagnostic and
counted: SOFT_BOUNCE_LIMIT in a row to one address within SOFT_BOUNCE_PERIOD, with no delivery in between,
and the address is suppressed too. ESPs report both as "bounced"; the SMTP reply code (4xx temporary, 5xx
permanent) or the ESP's own bounce type tells them apart."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from django.utils import timezone

from messaging.models import Channel, OutboundMessage

SOFT_BOUNCE_LIMIT = 3
SOFT_BOUNCE_PERIOD = timedelta(days=30)
# How ESPs name a temporary failure in their raw event (Postmark "SoftBounce"/"Transient", Brevo
# "soft_bounce", SES "Transient", SparkPost "soft"…).
_SOFT = re.compile(r"soft[ _-]?bounce|\btransient\b|\"soft\"|mailbox full|over quota", re.IGNORECASE)
_SMTP_CODE = re.compile(r"^\s*(?:\d{3}[ -])?([245])\.\d{1,3}\.\d{1,3}|^\s*([245])\d\d\b")


def is_soft(event) -> bool:
    code = _SMTP_CODE.match(event.mta_response or "")
    if code:
        return (code.group(1) or code.group(2)) == "4"
    raw = json.dumps(event.esp_event, default=str) if event.esp_event is not None else ""
    return bool(_SOFT.search(raw) or _SOFT.search(event.description or ""))


def diagnostic(event) -> str:
    """What the receiving server or the ESP said, for staff to read."""
    return " ".join(str(event.mta_response or event.description or "").split())[:400]


def soft_bounces_in_a_row(*, shop, address: str) -> int:
    """Soft bounces to `address` since its last delivery, within the period. Runs in `shop`."""
    since = timezone.now() - SOFT_BOUNCE_PERIOD
    to_address = OutboundMessage.objects.filter(
        shop=shop, channel=Channel.EMAIL, recipient__iexact=address, updated_at__gte=since
    )
    delivered = (
        to_address.filter(status=OutboundMessage.Status.DELIVERED)
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    soft = to_address.filter(status=OutboundMessage.Status.DEFERRED)
    last = delivered.first()
    if last is not None:
        soft = soft.filter(updated_at__gt=last["updated_at"])
    return soft.count()


def payload_id(event) -> str:
    """An id for an event the ESP gave none (Brevo, some others): the hash of its payload, so a webhook
    delivered twice is still processed once."""
    raw = json.dumps(event.esp_event, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
