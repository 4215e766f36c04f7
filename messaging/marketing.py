"""Marketing to many customers at once: who may receive it on a channel, and why the others may not; and its
outbox rows, written set-based, each linked to the consent event it relies on.

A customer is **eligible** on a channel when all of these hold, decided in one statement over the audience:
- they have an address there;
- their status is marketing consent (its channel's `consenting`: confirmed here, or imported single opt-in);
- the ledger holds the event that gave it (`consent.CONSENT_ACTIONS`), which each message then links;
- the address is on no suppression list entry that blocks marketing (STOP, unsubscribe, complaint, bounce,
  erasure), compared by its hash as `suppression.address_hash` computes it (the same HMAC, in SQL).

The worker checks consent and suppression again as each message leaves (`consent.send_refusal`), so a STOP
that arrives while a campaign is sending still holds back the rest.

Selectors and one service; every function takes `shop`, and runs inside that shop's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Pet
from messaging import consent, outbox
from messaging.channels import channel_of
from messaging.consent import CONSENT_ACTIONS, suppression
from messaging.models import ConsentEvent, OutboundMessage, Suppression
from shopcrm.sql import ids_select


class Exclusion(TextChoices):
    NO_ADDRESS = "no_address", _("No address on this channel")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed or opted out")
    NO_CONSENT = "no_consent", _("No consent")
    PENDING = "pending", _("Consent asked, not confirmed yet")
    SUPPRESSED = "suppressed", _("Suppressed (STOP, bounce, complaint or erasure)")
    NO_PROOF = "no_proof", _("No record of the consent in the ledger")


ELIGIBLE = ""

# What a message may say about its recipient, as `{{ name }}` in the text (campaigns check the text).
FIELDS = ("first_name", "last_name", "pet_name", "shop_name")


def _pads() -> tuple[bytes, bytes]:
    """HMAC's inner and outer keys for `suppression.address_hash`, so SQL computes the same hash."""
    key = suppression.hash_key(settings.CONSENT_HASH_KEY, settings.SECRET_KEY).ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _hash_sql(channel: str) -> str:
    normal = channel_of(channel).normal_sql("c")
    message = f"convert_to(c.shop_id::text || ':{channel}:' || {normal}, 'UTF8')"
    return f"encode(sha256(%(outer)s::bytea || sha256(%(inner)s::bytea || {message})), 'hex')"


def _split_sql(channel: str, audience_sql: str) -> str:
    """One row per audience member of the shop: id, the reason they are left out ('' when eligible), and
    the consent event the message would rely on. Joins, not per-row subqueries, so a shop's 200,000
    customers cost a few scans."""
    entry = channel_of(channel)
    address, status = f"c.{entry.address_field}", f"c.{entry.status_field}"
    customers, events = Customer._meta.db_table, ConsentEvent._meta.db_table
    suppressions = Suppression._meta.db_table
    return f"""
        with proof as (
            select distinct on (e.customer_id) e.customer_id, e.id
              from {events} e
             where e.shop_id = %(shop)s and e.channel = %(channel)s and e.purpose = %(purpose)s
               and e.action = any(%(actions)s) and e.customer_id in ({audience_sql})
             order by e.customer_id, e.at desc, e.id desc
        ),
        blocked as (
            select distinct s.address_hash from {suppressions} s
             where s.shop_id = %(shop)s and s.channel = %(channel)s and s.reason = any(%(blocking)s)
        )
        select c.id,
               case
                 when {address} = '' then '{Exclusion.NO_ADDRESS}'
                 when {status} = any(%(withdrawn)s) then '{Exclusion.UNSUBSCRIBED}'
                 when {status} = any(%(bounced)s) then '{Exclusion.SUPPRESSED}'
                 when {status} = %(pending)s then '{Exclusion.PENDING}'
                 when not ({status} = any(%(consenting)s)) then '{Exclusion.NO_CONSENT}'
                 when b.address_hash is not null then '{Exclusion.SUPPRESSED}'
                 when p.id is null then '{Exclusion.NO_PROOF}'
                 else ''
               end as reason,
               p.id as consent_id
          from {customers} c
          left join proof p on p.customer_id = c.id
          left join blocked b on {address} <> '' and b.address_hash = {_hash_sql(channel)}
         where c.shop_id = %(shop)s and c.id in ({audience_sql})
    """  # noqa: S608 - table names and constants only; values are parameters


def _params(shop, channel: str, audience: QuerySet) -> tuple[str, dict]:
    sql, audience_params = ids_select(audience)
    # The audience's own placeholders are positional: turn them into named ones of this statement.
    named = {f"a{i}": value for i, value in enumerate(audience_params)}
    sql = sql.replace("%%", "\0") % tuple(f"%(a{i})s" for i in range(len(audience_params)))
    sql = sql.replace("\0", "%%")
    inner, outer = _pads()
    entry = channel_of(channel)
    params = {
        "shop": shop.pk,
        "channel": channel,
        "purpose": consent.MARKETING,
        "actions": list(CONSENT_ACTIONS),
        "blocking": list(suppression.BLOCKING[consent.MARKETING]),
        "withdrawn": list(entry.withdrawn),
        # A bouncing address is the mailbox's verdict, not the person's: counted with the suppressed.
        "bounced": list(entry.unreachable),
        "pending": entry.status_pending,
        "consenting": list(entry.consenting),
        "inner": inner,
        "outer": outer,
        **named,
    }
    return sql, params


def _audience_of(shop, audience: QuerySet) -> QuerySet:
    if audience.model is not Customer:
        raise TypeError("an audience is a queryset of customers")
    return audience.filter(shop=shop)


def audience_split(*, shop, channel: str, audience: QuerySet) -> dict[str, int]:
    """How many of `audience` (customers of `shop`) may receive marketing on `channel` (key ''), and how
    many are left out for each `Exclusion`. Every key is present."""
    sql, params = _params(shop, channel, _audience_of(shop, audience))
    with connection.cursor() as cursor:
        cursor.execute(
            f"select reason, count(*) from ({_split_sql(channel, sql)}) split group by reason",  # noqa: S608
            params,
        )
        found = dict(cursor.fetchall())
    return {ELIGIBLE: found.get(ELIGIBLE, 0), **{reason: found.get(reason, 0) for reason in Exclusion.values}}


@dataclass(frozen=True)
class SplitRow:
    customer_id: int
    number: str
    first_name: str
    last_name: str
    reason: str


def audience_rows(*, shop, channel: str, audience: QuerySet, batch: int = 2000):
    """Every audience member with the reason they are left out ('' when eligible), by customer number,
    streamed in batches (for the downloadable list)."""
    sql, params = _params(shop, channel, _audience_of(shop, audience))
    statement = f"""
        select c.id, c.number, c.first_name, c.last_name, split.reason
          from ({_split_sql(channel, sql)}) split join {Customer._meta.db_table} c on c.id = split.id
         order by c.id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        while rows := cursor.fetchmany(batch):
            for row in rows:
                yield SplitRow(*row)


def _personal(template: str, *, html: bool) -> str:
    """SQL that puts each recipient's fields into `template` (a parameter); values escaped for HTML."""

    def value(sql: str) -> str:
        if not html:
            return sql
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
            sql = f"replace({sql}, '{char.replace(chr(39), chr(39) * 2)}', '{entity}')"
        return sql

    sql = f"%({template})s"
    for field, column in (
        ("first_name", "c.first_name"),
        ("last_name", "c.last_name"),
        ("pet_name", "coalesce(pet.name, '')"),
    ):
        sql = f"replace({sql}, '{{{{ {field} }}}}', {value(column)})"
    return sql


@dataclass(frozen=True)
class Content:
    """What every recipient gets, `{{ field }}` marks put in per recipient (shop_name already in)."""

    subject: str
    text: str
    html: str = ""
    label: str = ""


@transaction.atomic(savepoint=False)
def marketing_messages_write(
    *,
    shop,
    channel: str,
    kind: str,
    source: str,
    audience: QuerySet,
    content: Content,
    by,
    pet_month: int | None = None,
) -> list[tuple[int, int]]:
    """Write one QUEUED outbox row for every eligible member of `audience` (customers of `shop`), in one
    statement, each linked to the consent it relies on and marked with `source`; published to the workers
    after commit. Returns (message id, customer id) pairs. A customer who already has a message of this
    source gets none (the unique (shop, source, written_for) constraint; the caller's audience should
    leave them out, so that this is only the last guard). `pet_month`: the pet named is one born then."""
    if not source:
        raise ValueError("a message written for many needs its source")
    if kind not in (OutboundMessage.Kind.CAMPAIGN, OutboundMessage.Kind.PET_BIRTHDAY):
        raise ValueError(kind)
    sql, params = _params(shop, channel, _audience_of(shop, audience))
    now = timezone.now()
    entry = channel_of(channel)
    headers = entry.headers_for(shop)
    params.update(
        {
            "kind": kind,
            "sender": outbox.sender_for(shop, channel),
            "subject": content.subject,
            "text": content.text,
            "html": content.html,
            "headers": json.dumps(headers),
            "label": content.label[:120],
            "by": getattr(by, "pk", None),
            "now": now,
            "queued": OutboundMessage.Status.QUEUED,
            "pet_month": pet_month or 0,
            "source": source[:60],
        }
    )
    recipient = f"c.{entry.address_field}"
    html = _personal("html", html=True) if content.html else "''"
    pets = Pet._meta.db_table
    statement = f"""
        insert into {OutboundMessage._meta.db_table}
            (shop_id, customer_id, channel, kind, recipient, sender, subject, body_text, body_html, headers,
             status, attempts, last_error, provider_message_id, by_id, created_at, updated_at, label,
             consent_id, source, written_for)
        select %(shop)s, c.id, %(channel)s, %(kind)s, {recipient}, %(sender)s,
               {_personal("subject", html=False)},
               {_personal("text", html=False)}, {html}, %(headers)s::jsonb, %(queued)s, 0, '', '', %(by)s,
               %(now)s, %(now)s, %(label)s, split.consent_id, %(source)s, c.id
          from ({_split_sql(channel, sql)}) split
          join {Customer._meta.db_table} c on c.id = split.id
          left join lateral (
              select p.name from {pets} p where p.owner_id = c.id
               order by (p.birth_month = %(pet_month)s) desc nulls last, p.id limit 1
          ) pet on true
         where split.reason = ''
         order by c.id
        on conflict (shop_id, source, written_for) where source <> '' do nothing
        returning id, customer_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        written = [(message_id, customer_id) for message_id, customer_id in cursor.fetchall()]
    shop_id = shop.pk
    pairs = [(message_id, shop_id) for message_id, _customer in written]
    if pairs:
        transaction.on_commit(lambda: outbox.message_publish(pairs, bulk=True))
    return written


def consent_hash_check(shop, channel: str, customer: Customer) -> bool:
    """Whether SQL hashes the customer's address exactly as `suppression.address_hash` (used by tests and the
    benchmark's sanity check)."""
    inner, outer = _pads()
    with connection.cursor() as cursor:
        cursor.execute(
            f"select {_hash_sql(channel)} from {Customer._meta.db_table} c where c.id = %(id)s",  # noqa: S608
            {"inner": inner, "outer": outer, "id": customer.pk},
        )
        (found,) = cursor.fetchone()
    address = channel_of(channel).address(customer)
    return found == suppression.address_hash(shop.pk, channel, address)


def already_written(*, shop, source: str, after: int = 0, upto: int | None = None) -> QuerySet:
    """Messages of `source` written for customers with ids in (after, upto], as a subquery to leave those
    customers out (`Exists(...)` with `written_for=OuterRef("pk")`)."""
    written = OutboundMessage.objects.filter(shop=shop, source=source, written_for__gt=after)
    return written if upto is None else written.filter(written_for__lte=upto)
