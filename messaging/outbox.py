"""The outbox: messages are rows written in the caller's transaction, published to Celery after commit,
and sent by a worker exactly once.

`message_send` is the whole delivery contract: lock the row, go on only if it is QUEUED, mark it SENDING and
commit, call the provider outside any lock, then record SENT (with the provider's id), or QUEUED again for a
retry of a transient error, or FAILED with the reason.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from messaging import channels, consent, throttle, windows
from messaging.channels import TransientSendError
from messaging.consent import suppression
from messaging.models import (
    INVITATION_LINK,
    PREFERENCES_LINK,
    STAFF_CODE,
    UNSUBSCRIBE_LINK,
    OutboundMessage,
)
from messaging.sms import bill
from shopcrm.sql import connections_drop
from shopcrm.tenancy import cross_shop, shop_context

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Every retry waits less than the broker's visibility timeout, so Redis never redelivers a waiting task.
RETRY_DELAYS = [10, 30, 90, 270, 810]
SWEEP_AFTER = timedelta(minutes=1)
BULK_SWEEP_AFTER = timedelta(minutes=15)
# Every provider call times out well before this (EMAIL_TIMEOUT, the SMS backends' HTTP timeout, anymail's
# requests timeout), so a message still SENDING after it was abandoned by a worker that died.
SENDING_STUCK_AFTER = timedelta(minutes=5)


ERASED = "[erased]"


# Messages of one shop travel in one task, a few at a time: the welcome email and the opt-in text of a new
# customer cost one publish and one task, and a sweep of many still spreads over the workers.
PUBLISH_BATCH = 10


# A campaign's messages go in bigger batches on their own queue, which the workers read in turn with the
# main one: a 200,000-recipient campaign does not hold back the welcome email of the customer at the till.
BULK_BATCH = 500


def message_publish(messages: list[tuple[int, int]], *, bulk: bool = False) -> None:
    """Hand (message id, shop id) pairs to the broker, one task per shop and batch (on the bulk queue for
    `bulk`). Never raises and never blocks long (the broker connection has short timeouts): a message the
    broker did not take stays QUEUED for the sweeper."""
    from messaging.tasks import send_messages

    by_shop: dict[int, list[int]] = {}
    for message_id, shop_id in messages:
        by_shop.setdefault(shop_id, []).append(message_id)
    size = BULK_BATCH if bulk else PUBLISH_BATCH
    route = {"queue": settings.CELERY_BULK_QUEUE, "kwargs": {"bulk": True}} if bulk else {}
    for shop_id, ids in by_shop.items():
        for start in range(0, len(ids), size):
            try:
                send_messages.apply_async(args=[shop_id, ids[start : start + size]], retry=False, **route)
            except Exception:  # broker down or slow: the sweeper will publish them
                logger.warning("could not publish messages %s; the sweeper will", ids[start:])
                return


def message_publish_on_commit(messages: list[tuple[int, int]]) -> None:
    if messages:
        transaction.on_commit(lambda: message_publish(messages))


def message_send(*, message_id: int, shop_id: int) -> str:
    """Deliver one outbox row (see `messages_send`). Returns the resulting status."""
    return messages_send(message_ids=[message_id], shop_id=shop_id)[message_id]


# A batch hands messages to the provider this many at a time, each group marked before (handover_at) and
# after (SENT): a worker that dies leaves at most this many messages whose fate is unknown.
HANDOVER_CHUNK = 10


def messages_send(*, message_ids: list[int], shop_id: int, bulk: bool = False) -> dict[int, str]:
    """Deliver outbox rows of one shop. Idempotent: a second delivery of the same task, or a concurrent one,
    finds the rows no longer QUEUED (or locked) and does nothing with them. Returns each id's status.

    One transaction locks the rows that are QUEUED, checks each one's consent and suppression now (a STOP,
    an unsubscribe or an address change that came after it was queued holds it back), defers texts that
    wait for the shop's send window, and marks the rest SENDING. Then, outside any transaction, each goes
    to its provider in turn (within the send rates), and what went is marked SENT a few at a time.
    """
    results: dict[int, str] = {}
    with shop_context(shop_id):
        messages = list(
            OutboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("shop", "customer")
            .filter(shop_id=shop_id, pk__in=message_ids)
            .order_by("pk")
        )
        found = {m.pk: m for m in messages}
        for pk in message_ids:
            results[pk] = found[pk].status if pk in found else "locked"
        queued = [m for m in messages if m.status == OutboundMessage.Status.QUEUED]
        to_send = _claim(queued, results)
        contents = {m.pk: content_to_send(m) for m in to_send}
    if not to_send:
        return results
    # A connection per channel for the batch where the channel shares one (SMTP: one session).
    connections = {code: channels.channel_of(code).connection_open() for code in {m.channel for m in to_send}}
    try:
        for start in range(0, len(to_send), HANDOVER_CHUNK):
            chunk = to_send[start : start + HANDOVER_CHUNK]
            # Durable before any of them goes: a crash from here on leaves these few "may have gone", and
            # every message after them "never left" (back to the queue).
            _database_retried(_mark_handover, shop_id, chunk)
            done = _hand_over(shop_id, chunk, contents, results, connections, bulk=bulk)
            _database_retried(_mark_sent, shop_id, done)
    finally:
        for code, opened in connections.items():
            channels.channel_of(code).connection_close(opened)
    return results


def _hand_over(
    shop_id: int, chunk: list, contents: dict, results: dict, connections: dict, *, bulk: bool
) -> list:
    done: list[tuple[OutboundMessage, str]] = []
    for message in chunk:
        throttle.throttle_wait(shop_id=shop_id, channel=message.channel, bulk=bulk)
        try:
            channel = channels.channel_of(message.channel)
            provider_id = channel.deliver(
                message, *contents[message.pk], connection=connections[message.channel]
            )
        except TransientSendError as exc:
            results[message.pk] = _database_retried(_after_failure, message, str(exc), transient=True)
            continue
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            results[message.pk] = _database_retried(_after_failure, message, error, transient=False)
            continue
        done.append((message, provider_id))
        results[message.pk] = OutboundMessage.Status.SENT
    return done


# How long the worker keeps trying to record what it did while PostgreSQL restarts: what the providers took
# is known only in this process until it is written.
DATABASE_PATIENCE_SECONDS = 120
DATABASE_RETRY_PAUSE = 1.0


def _database_retried(write, *args, **kwargs):
    """Run a write; while the database is unreachable (a restart), reconnect and try again for up to
    DATABASE_PATIENCE_SECONDS, then give up (the sweeper then finds the rows as they were left)."""
    deadline = time.monotonic() + DATABASE_PATIENCE_SECONDS
    while True:
        try:
            return write(*args, **kwargs)
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            logger.warning("database unreachable while recording sends; trying again")
            connections_drop()
            time.sleep(DATABASE_RETRY_PAUSE)


def _mark_handover(shop_id: int, chunk: list) -> None:
    now = timezone.now()
    with shop_context(shop_id):
        OutboundMessage.objects.filter(
            shop_id=shop_id, pk__in=[m.pk for m in chunk], status=OutboundMessage.Status.SENDING
        ).update(handover_at=now, updated_at=now)


# A campaign's task sends about this long at its share of the shop's rate, then hands the rest of its batch
# on (at the back of the bulk queue): a worker is free again several times a second for a message someone
# is waiting for, which its queue order takes first. (Whole-second slices, shared by two busy worker
# processes, kept an opt-in text waiting 2-3 s.)
BULK_SLICE_SECONDS = 0.25


def messages_send_slice(*, message_ids: list[int], shop_id: int) -> dict[int, str]:
    """Bulk messages (a campaign's): a slice that takes about BULK_SLICE_SECONDS at its share of the rate,
    sent now; the rest published again as one bulk task, before this slice goes (so another worker may
    carry on meanwhile, within the same rate). Returns the slice's statuses."""
    slice_size = _slice_size(shop_id, message_ids)
    now, later = message_ids[:slice_size], message_ids[slice_size:]
    if later:
        message_publish([(pk, shop_id) for pk in later], bulk=True)
    return messages_send(message_ids=now, shop_id=shop_id, bulk=True)


def _slice_size(shop_id: int, message_ids: list[int]) -> int:
    with shop_context(shop_id):
        channel = (
            OutboundMessage.objects.filter(shop_id=shop_id, pk=message_ids[0])
            .values_list("channel", flat=True)
            .first()
            if message_ids
            else None
        )
    rates = [
        limit for _scope, limit in throttle.limits(shop_id=shop_id, channel=channel or "email") if limit > 0
    ]
    per_second = throttle.bulk_share(min(rates)) if rates else 100
    return max(1, int(per_second * BULK_SLICE_SECONDS))


def _claim(queued: list[OutboundMessage], results: dict[int, str]) -> list[OutboundMessage]:
    """Decide, under the rows' locks, what each queued message becomes now; write it; return those that go."""
    suppressed = suppression.suppression_reasons_of(
        queued[0].shop if queued else None,
        [(m.channel, m.recipient, consent.purpose_of(m)) for m in queued],
    )
    now = timezone.now()
    held: dict[str, list[int]] = {}
    waiting: dict[object, list[int]] = {}
    going = []
    for message, reason in zip(queued, suppressed, strict=True):
        refusal = consent.send_refusal(message, suppressed=reason, customer=message.customer)
        if refusal:
            held.setdefault(refusal[:500], []).append(message.pk)
            results[message.pk] = OutboundMessage.Status.SUPPRESSED
            continue
        opening = windows.next_opening(message.shop) if windows.waits_for_window(message) else None
        if opening is not None:
            # Outside the shop's send window: deferred, not dropped; the sweeper publishes it at `opening`.
            waiting.setdefault(opening, []).append(message.pk)
            results[message.pk] = "scheduled"
            continue
        going.append(message)
    going = _within_the_bill(going, held, waiting, results)
    for refusal, ids in held.items():
        OutboundMessage.objects.filter(pk__in=ids).update(
            status=OutboundMessage.Status.SUPPRESSED, last_error=refusal, updated_at=now
        )
    for opening, ids in waiting.items():
        OutboundMessage.objects.filter(pk__in=ids).update(not_before=opening, updated_at=now)
    if going:
        OutboundMessage.objects.filter(pk__in=[m.pk for m in going]).update(
            status=OutboundMessage.Status.SENDING, attempts=F("attempts") + 1, updated_at=now
        )
        for message in going:
            message.status, message.attempts = OutboundMessage.Status.SENDING, message.attempts + 1
    return going


def _within_the_bill(going: list, held: dict, waiting: dict, results: dict) -> list:
    """Texts to a destination the platform does not pay for are held (a premium number, a country the shop
    may not text); texts past the shop's daily or monthly cap wait until it resets (`messaging.sms.bill`)."""
    texts = [m for m in going if channels.channel_of(m.channel).capped()]
    if not texts:
        return going
    shop = texts[0].shop
    kept = []
    for message in texts:
        refusal = channels.channel_of(message.channel).bill_refusal(message.recipient, shop)
        if refusal:
            held.setdefault(f"not sent: {refusal}"[:500], []).append(message.pk)
            results[message.pk] = OutboundMessage.Status.SUPPRESSED
        else:
            kept.append(message)
    usage = bill.sms_usage(shop=shop)
    if usage.near:
        logger.warning("shop %s is near its SMS cap: %s", shop.pk, usage)
    left = [n for n in (usage.left_today(), usage.left_this_month()) if n is not None]
    allowed = min(left) if left else len(kept)
    over = kept[allowed:]
    if over:
        # As if the allowed ones had left: the cap they then reach says when the rest may go.
        after = dataclasses.replace(usage, today=usage.today + allowed, month=usage.month + allowed)
        reset = bill.cap_reset(shop=shop, usage=after)
        for message in over:
            waiting.setdefault(reset, []).append(message.pk)
            results[message.pk] = "scheduled"
        logger.warning("shop %s reached its SMS cap: %d texts wait until %s", shop.pk, len(over), reset)
    held_ids = {m.pk for m in texts} - {m.pk for m in kept[:allowed]}
    return [m for m in going if m.pk not in held_ids]


def _mark_sent(shop_id: int, done: list[tuple[OutboundMessage, str]]) -> None:
    """Record what the providers took, in one statement (only rows still SENDING)."""
    if not done:
        return
    now = timezone.now()
    with shop_context(shop_id), connection.cursor() as cursor:
        cursor.execute(
            f"""
            update {OutboundMessage._meta.db_table} o
               set status = %s, provider_message_id = v.provider_id, sent_at = %s, last_error = '',
                   updated_at = %s
              from (select unnest(%s::bigint[]) as id, unnest(%s::text[]) as provider_id) v
             where o.id = v.id and o.status = %s and o.shop_id = %s
            """,  # noqa: S608 - the table's name
            [
                OutboundMessage.Status.SENT,
                now,
                now,
                [m.pk for m, _id in done],
                [provider_id[:120] for _m, provider_id in done],
                OutboundMessage.Status.SENDING,
                shop_id,
            ],
        )
        # The erased person's address was kept only to send this.
        erased = [m.pk for m, _id in done if m.kind == OutboundMessage.Kind.ERASURE_DONE]
        if erased:
            OutboundMessage.objects.filter(shop_id=shop_id, pk__in=erased).update(recipient=ERASED)


def _after_failure(message: OutboundMessage, error: str, *, transient: bool) -> str:
    retry = transient and message.attempts < MAX_ATTEMPTS
    status = OutboundMessage.Status.QUEUED if retry else OutboundMessage.Status.FAILED
    gone = {}
    if not retry and message.kind == OutboundMessage.Kind.ERASURE_DONE:
        gone = {"recipient": ERASED}  # given up: nothing else needs the erased address
    with shop_context(message.shop_id):
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=status, last_error=error[:500], updated_at=timezone.now(), **gone
        )
    if retry:
        from messaging.tasks import send_message

        delay = RETRY_DELAYS[min(message.attempts - 1, len(RETRY_DELAYS) - 1)]
        try:
            send_message.apply_async(args=[message.pk, message.shop_id], countdown=delay, retry=False)
        except Exception:
            logger.warning("could not schedule the retry of message %s; the sweeper will", message.pk)
    logger.info("message %s attempt %s failed (%s): %s", message.pk, message.attempts, status, error[:80])
    return status


def text_to_send(message: OutboundMessage) -> str:
    """The text as it goes out: a staff invitation gets its link now (it is never stored), in the message's
    shop. Called inside that shop's transaction."""
    if STAFF_CODE in message.body_text and message.kind == OutboundMessage.Kind.STAFF_CODE:
        from messaging.staff_phone import code_put_in

        return code_put_in(message)
    if INVITATION_LINK not in message.body_text:
        return message.body_text
    from shopcrm.invitations import invitation_url

    membership = message.staff_membership
    url = invitation_url(membership) if membership else settings.SITE_URL + reverse("login")
    return message.body_text.replace(INVITATION_LINK, url)


def content_to_send(message: OutboundMessage) -> tuple[str, str, dict]:
    """Text, HTML and headers as they go out: the invitation link, and a marketing message's own
    unsubscribe and preferences links (signed for its customer) with the RFC 8058 one-click headers."""
    text, html, headers = text_to_send(message), message.body_html, dict(message.headers)
    links = (UNSUBSCRIBE_LINK, PREFERENCES_LINK)
    if message.customer is not None and any(mark in text or mark in html for mark in links):
        from messaging.render import link

        unsubscribe = link(message.customer, "unsubscribe", "messaging:unsubscribe")
        preferences = link(message.customer, "preferences", "messaging:preferences")
        for mark, url in ((UNSUBSCRIBE_LINK, unsubscribe), (PREFERENCES_LINK, preferences)):
            text, html = text.replace(mark, url), html.replace(mark, url)
        headers.update(channels.channel_of(message.channel).unsubscribe_headers(unsubscribe))
    return text, html, headers


def messages_sweep() -> int:
    """Publish again every message still QUEUED a minute after it was written or last tried (the broker was
    down, or a process died between commit and publish). A campaign's messages may wait in the bulk queue
    for long, behind the send rates: they are published again, on that queue, only after a quarter of an
    hour. Cross-shop by nature; returns how many."""
    now = timezone.now()
    with cross_shop("outbox sweeper: re-publish stale queued messages"):
        due = OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED).filter(
            Q(not_before__isnull=True) | Q(not_before__lte=windows.now())
        )
        ids = list(
            due.filter(source="", updated_at__lt=now - SWEEP_AFTER)
            .order_by("pk")
            .values_list("pk", "shop_id")[:1000]
        )
        bulk = list(
            due.exclude(source="")
            .filter(updated_at__lt=now - BULK_SWEEP_AFTER)
            .order_by("pk")
            .values_list("pk", "shop_id")[:1000]
        )
        # A row stuck in SENDING means its worker died. Not yet handed over: it never left, and goes back to
        # the queue. Handed over: the provider may have taken it, so it is not sent blindly again; it is
        # listed as "may have gone" for a person to look at.
        stuck = OutboundMessage.objects.filter(
            status=OutboundMessage.Status.SENDING, updated_at__lt=now - SENDING_STUCK_AFTER
        )
        back = list(stuck.filter(handover_at__isnull=True).values_list("pk", "shop_id", "source"))
        OutboundMessage.objects.filter(pk__in=[pk for pk, _shop, _source in back]).update(
            status=OutboundMessage.Status.QUEUED, updated_at=now
        )
        stuck.filter(handover_at__isnull=False).update(
            status=OutboundMessage.Status.UNKNOWN,
            last_error="the worker stopped while handing it to the provider: it may have gone",
            updated_at=now,
        )
    ids += [(pk, shop) for pk, shop, source in back if not source]
    bulk += [(pk, shop) for pk, shop, source in back if source]
    message_publish(ids)
    if bulk:
        message_publish(bulk, bulk=True)
    return len(ids) + len(bulk)


def sender_for(shop, channel: str) -> str:
    """Whom `shop`'s messages on `channel` come from (the channel decides)."""
    return channels.channel_of(channel).sender_for(shop)


def message_new(*, shop, customer, channel, kind, recipient, rendered, by) -> OutboundMessage:
    """One outbox row, not yet saved: the rendered content, the channel's sender and shop-wide headers."""
    now = timezone.now()
    entry = channels.channel_of(channel)
    headers = {**entry.headers_for(shop), **rendered.headers}
    return OutboundMessage(
        shop=shop,
        customer=customer,
        channel=channel,
        kind=kind,
        recipient=recipient,
        sender=entry.sender_for(shop),
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        headers=headers,
        by=by,
        created_at=now,
        updated_at=now,
    )
