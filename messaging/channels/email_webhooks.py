"""The email channel's webhooks: anymail's tracking events (delivered, bounced, complained, unsubscribed).

The ESP knows a message id, not a shop, so finding the message is cross-shop by nature (logged); every
change is then made inside the owning shop's context.
"""

from __future__ import annotations

from anymail.signals import tracking
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from customers.models import Customer
from messaging import consent
from messaging.channels import email_bounces as bounces
from messaging.channels.webhook_events import first_time, message_by_provider_id
from messaging.models import ConsentEvent, OutboundMessage
from shopcrm.tenancy import cross_shop, shop_context


@receiver(tracking)
def anymail_tracking(sender, event, esp_name, **kwargs):
    """ESP events (anymail's tracking webhooks, basic-auth WEBHOOK_SECRET), processed once per event id
    (or, for ESPs that give none, per payload)."""
    if not event.message_id:
        return
    with cross_shop("anymail tracking: find the message by provider id"):
        message = message_by_provider_id(event.message_id)
    if message is None:
        return
    with shop_context(message.shop_id), transaction.atomic():
        if not first_time(message.shop, esp_name[:20], event.event_id or bounces.payload_id(event)):
            return
        customer = Customer.objects.filter(pk=message.customer_id).first()
        kind = event.event_type
        if kind == "delivered":
            OutboundMessage.objects.filter(pk=message.pk, status__in=["sent", "deferred"]).update(
                status="delivered", updated_at=timezone.now()
            )
        elif kind in ("bounced", "rejected"):
            _bounced(message, customer, event, esp_name)
        elif kind == "complained":
            consent.email_bounced(
                shop=message.shop,
                customer=customer,
                address=message.recipient,
                complaint=True,
                detail=f"{esp_name} complaint",
            )
        elif kind == "unsubscribed" and customer is not None:
            consent.email_unsubscribe(
                shop=message.shop,
                customer=customer,
                source=ConsentEvent.Source.WEBHOOK,
                detail=f"{esp_name} unsubscribe",
            )


def _bounced(message: OutboundMessage, customer, event, esp_name: str) -> None:
    """Hard: the address is suppressed now. Soft: the message keeps the diagnostic and the address is
    suppressed only after SOFT_BOUNCE_LIMIT soft bounces in a row (`messaging.channels.email_bounces`)."""
    said = bounces.diagnostic(event)
    if event.event_type == "bounced" and bounces.is_soft(event):
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=OutboundMessage.Status.DEFERRED,
            last_error=f"soft bounce: {said}"[:500],
            updated_at=timezone.now(),
        )
        in_a_row = bounces.soft_bounces_in_a_row(shop=message.shop, address=message.recipient)
        if in_a_row < bounces.SOFT_BOUNCE_LIMIT:
            return
        detail, soft = f"{esp_name}: {in_a_row} soft bounces in a row: {said}", True
    else:
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=OutboundMessage.Status.BOUNCED,
            last_error=f"bounce: {said}"[:500],
            updated_at=timezone.now(),
        )
        detail, soft = f"{esp_name} {event.event_type}: {said}", False
    consent.email_bounced(
        shop=message.shop,
        customer=customer,
        address=message.recipient,
        complaint=False,
        soft=soft,
        detail=detail[:200],
    )
