"""What every channel's webhooks share: a provider event is processed once (its id recorded in its shop),
and a message is found by the id its provider gave it."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from messaging.models import OutboundMessage, WebhookEvent
from shopcrm.tenancy import shop_context


def first_time(shop, provider: str, event_id: str) -> bool:
    """Record that this provider event was processed (in `shop`); False if it already was. Events without
    an id cannot be told apart and are processed."""
    if not event_id:
        return True
    try:
        with shop_context(shop), transaction.atomic():
            WebhookEvent.objects.create(shop=shop, provider=provider, event_id=event_id[:200])
    except IntegrityError:
        return False
    return True


def message_by_provider_id(provider_id: str):
    # The index holds only messages a provider took (the condition repeated so that it serves).
    return (
        OutboundMessage.objects.filter(provider_message_id=provider_id)
        .exclude(provider_message_id="")
        .first()
    )
