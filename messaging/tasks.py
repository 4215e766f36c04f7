"""Celery tasks for the outbox: an interface only, the logic is in messaging.outbox."""

from celery import shared_task

from messaging import outbox


@shared_task(name="messaging.send_message", acks_late=True, ignore_result=True)
def send_message(message_id: int, shop_id: int) -> str:
    """Deliver one outbox row; idempotent (only a QUEUED row is sent, under a row lock). Retries of transient
    errors are published this way by the outbox itself, with countdowns under the visibility timeout."""
    return outbox.message_send(message_id=message_id, shop_id=shop_id)


@shared_task(name="messaging.send_messages", acks_late=True, ignore_result=True)
def send_messages(shop_id: int, message_ids: list[int], bulk: bool = False) -> None:
    """Deliver outbox rows of one shop, locked and checked together, sent in turn. Delivered again after a
    worker died, it sends only the rows still QUEUED. A `bulk` batch (a campaign's) sends a slice of about a
    second and hands the rest on as a new task at the back of its queue."""
    if bulk:
        outbox.messages_send_slice(message_ids=message_ids, shop_id=shop_id)
    else:
        outbox.messages_send(message_ids=message_ids, shop_id=shop_id)


@shared_task(name="messaging.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Beat, every minute: publish again messages left QUEUED (broker down, process died after commit)."""
    return outbox.messages_sweep()
