"""The job that sends a campaign: its outbox rows, written set-based in chunks of the audience.

Each chunk is one transaction, under the campaign's row lock: it takes the next customers of the audience
(by id, after `cursor`) that have no message of this campaign yet, writes one outbox row for each eligible
one (messaging.marketing), then moves the cursor. Every row carries the campaign as its source, and the
outbox holds at most one message per source and customer (a unique constraint): a job delivered twice,
restarted half-way or run alongside another finds those customers done. A cancelled campaign stops at its
next chunk; messages already written are held back by the cancel itself.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from campaigns import content, services
from campaigns.models import Campaign
from messaging import marketing, render
from messaging.models import Channel, OutboundMessage
from shopcrm.tenancy import shop_context

logger = logging.getLogger(__name__)

CHUNK = 10_000


def message_content(shop, *, channel: str, subject: str, body: str, label: str) -> marketing.Content:
    """What every recipient gets, before their own fields and links are put in."""
    body = content.shop_name_put(shop, body)
    if channel == Channel.SMS:
        return marketing.Content(subject="", text=render.marketing_sms(shop, text=body).text, label=label)
    subject = content.shop_name_put(shop, subject)
    rendered = render.marketing_email(
        shop, subject=subject, text=content.email_text(body), html=content.email_html(body)
    )
    return marketing.Content(subject=subject, text=rendered.text, html=rendered.html, label=label)


def chunk_write(
    *, shop, unsent, source: str, cursor: int, chunk: int, channel: str, kind: str, body, by, pet_month=None
):
    """The next `chunk` customers after `cursor` that have no message of `source` yet: one outbox row for
    each eligible one. `unsent(after, upto)` gives those customers with ids in (after, upto]; both sides of
    its "no message yet" test keep to that range, so the test costs what the chunk costs. Returns (the ids
    taken, [(message id, customer id)]); no ids means the send is done. In the caller's transaction, which
    holds the send's row lock."""
    ids = list(unsent(cursor, None).order_by("pk").values_list("pk", flat=True)[:chunk])
    if not ids:
        return [], []
    written = marketing.marketing_messages_write(
        shop=shop,
        channel=channel,
        kind=kind,
        source=source,
        # The same customers as a range of the audience, not 10,000 parameters.
        audience=unsent(cursor, ids[-1]),
        content=body,
        by=by,
        pet_month=pet_month,
    )
    return ids, written


def durable_later() -> None:
    """This transaction's commit need not wait for the disk: if the server crashes in the next instant,
    the chunk is simply not there, and the job (idempotent) writes it again. Ten thousand rows' commit
    stops costing a third of a second."""
    with connection.cursor() as cursor:
        cursor.execute("set local synchronous_commit = off")


def campaign_write_chunk(*, campaign_id: int, shop_id: int, chunk: int = CHUNK) -> bool:
    """Write the next chunk of the campaign's messages. Returns True while more remain. Idempotent."""
    with shop_context(shop_id), transaction.atomic():
        durable_later()
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("shop", "segment")
            .filter(pk=campaign_id)
            .first()
        )
        if campaign is None or campaign.status != Campaign.Status.SENDING:
            return False
        shop = campaign.shop
        ids, written = chunk_write(
            shop=shop,
            unsent=lambda after, upto: services.audience_unsent(
                shop=shop, campaign=campaign, after=after, upto=upto
            ),
            source=campaign.source_key,
            cursor=campaign.cursor,
            chunk=chunk,
            channel=campaign.channel,
            kind=OutboundMessage.Kind.CAMPAIGN,
            body=message_content(
                shop,
                channel=campaign.channel,
                subject=campaign.subject,
                body=campaign.body,
                label=campaign.name,
            ),
            by=campaign.sent_by,
        )
        now = timezone.now()
        if not ids:
            campaign.status, campaign.finished_at, campaign.updated_at = Campaign.Status.SENT, now, now
            campaign.save(update_fields=["status", "finished_at", "updated_at"])
            return False
        campaign.cursor, campaign.written, campaign.updated_at = ids[-1], campaign.written + len(written), now
        campaign.save(update_fields=["cursor", "written", "updated_at"])
    return True


def campaign_write(*, campaign_id: int, shop_id: int) -> int:
    """Write every remaining chunk; returns how many chunks were written."""
    chunks = 0
    while campaign_write_chunk(campaign_id=campaign_id, shop_id=shop_id):
        chunks += 1
    return chunks
