"""The channels messages travel by, in one registry.

Each channel (email, SMS) owns, behind the small interface of `base.MessageChannel`: which address of a
customer it reaches and how that address is compared; the status field that caches the customer's consent
there and which of its values consent, wait, or refuse; the message that asks for consent; whom its
messages come from; how one is handed to the provider and how the provider's errors are classified; what
the platform's bill allows; and its webhooks. The rest of messaging asks `channel_of(code)` instead of
testing the channel's name.
"""

from __future__ import annotations

from messaging.channels.base import MessageChannel, TransientSendError
from messaging.channels.email import EmailChannel
from messaging.channels.sms import SmsChannel

REGISTRY: dict[str, MessageChannel] = {c.code: c for c in (EmailChannel(), SmsChannel())}


def channel_of(code: str) -> MessageChannel:
    """The channel named `code` ("email", "sms"); KeyError for any other."""
    return REGISTRY[code]


def channels() -> list[MessageChannel]:
    return list(REGISTRY.values())


def webhook_urls() -> list:
    """Every channel's provider webhooks (URL patterns, named as the channels name them)."""
    return [pattern for channel in channels() for pattern in channel.webhook_urls()]


__all__ = ["REGISTRY", "MessageChannel", "TransientSendError", "channel_of", "channels", "webhook_urls"]
