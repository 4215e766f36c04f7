"""Writing an import in batches: set-based inserts of new customers (COPY into a temporary table, then
one statement), bulk updates of matched ones, with their history, tags, search terms and consent events."""

from __future__ import annotations

import json

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import (
    Customer,
    CustomerChange,
    CustomerTag,
    CustomerType,
    Tag,
)
from customers.services import (
    KEY_FIELDS,
    TERM_SOURCES,
    _set_keys,
    customer_number_new,
    insert_with_fresh_numbers,
    key_values,
    lookup_remember,
)
from customers.terms import search_terms
from desk.imports.matching import CHANNELS, HISTORY, UPDATABLE, FileConsents
from messaging.consent import EmailStatus, SmsStatus, wording
from messaging.models import Channel, ConsentEvent

_STAGED_CUSTOMER = ["number", *UPDATABLE, *KEY_FIELDS, "email_status", "sms_status", *HISTORY]
STAGING_COLUMNS = [*_STAGED_CUSTOMER, "tag_ids", "email_hash", "phone_hash", "terms"]
STAGING_TABLE = (
    "create temporary table import_staging ("
    + ", ".join(f"{name} text" for name in _STAGED_CUSTOMER)
    + ", tag_ids bigint[], email_hash text, phone_hash text, terms jsonb) on commit drop"
)
_CUSTOMER_COLUMNS = ", ".join(_STAGED_CUSTOMER)
# The staging table is text (COPY writes text); the history columns are cast back to their types.
_CASTS = {
    "first_visit_at": "nullif(first_visit_at, '')::timestamptz",
    "last_visit_at": "nullif(last_visit_at, '')::timestamptz",
    "visit_count": "coalesce(nullif(visit_count, '')::integer, 0)",
    "total_spent": "nullif(total_spent, '')::numeric",
    "birthday": "nullif(birthday, '')::date",
}
_SELECTED_COLUMNS = ", ".join(_CASTS.get(name, name) for name in _STAGED_CUSTOMER)
# Column names are ours; every value is a parameter.
CREATE_SQL = f"""
    with created as (
        insert into customers_customer (shop_id, {_CUSTOMER_COLUMNS}, secondary_emails,
                                        created_at, updated_at, created_by_id, updated_by_id)
        select %s, {_SELECTED_COLUMNS}, '{{}}', %s, %s, %s, %s from import_staging
        returning id, number, email_status, sms_status
    ), history as (
        insert into customers_customerchange (shop_id, customer_id, by_id, at, action, details)
        select %s, id, %s, %s, 'created', %s::jsonb from created
    ), names as (
        insert into customers_namekey (shop_id, key)
        select distinct %s, last_name_key from import_staging where last_name_key <> ''
        on conflict do nothing
    ), terms as (
        insert into customers_searchterm (shop_id, customer_id, kind, key, other)
        select %s, c.id, (t->>0)::smallint, t->>1, t->>2
          from created c join import_staging s on s.number = c.number
         cross join jsonb_array_elements(s.terms) t
    ), tags as (
        insert into customers_customertag (shop_id, customer_id, tag_id)
        select %s, c.id, unnest(s.tag_ids) from created c join import_staging s on s.number = c.number
        on conflict do nothing
    )
    insert into messaging_consentevent
        (shop_id, customer_id, channel, purpose, action, source, by_id, wording, wording_version, detail,
         user_agent, at, address_hash)
    select %s, c.id, ch.channel, 'marketing', 'imported', 'import', %s, %s, %s, %s, '', %s, ch.address_hash
      from created c
      join import_staging s on s.number = c.number
     cross join lateral (values ('email', c.email_status = 'subscribed', s.email_hash),
                                ('sms', c.sms_status = 'subscribed', s.phone_hash))
           as ch(channel, given, address_hash)
     where ch.given
"""  # noqa: S608
_DEFAULTS = {"type": CustomerType.INDIVIDUAL}


class Writer:
    """Writes an import in batches: set-based inserts of new customers, bulk updates of matched ones,
    with their history lines, tags and consent events."""

    def __init__(self, shop, by, source: str, consents: FileConsents):
        self.shop, self.by, self.source, self.consents = shop, by, source, consents
        self.staged = False
        self.tags = {t.name.casefold(): t for t in Tag.objects.filter(shop=shop)}
        self.now = timezone.now()
        self.created_numbers: dict[int, str] = {}  # the file's row number → the new customer's number

    def _tag(self, name: str) -> Tag:
        key = name.casefold()
        if key not in self.tags:
            self.tags[key] = Tag.objects.create(shop=self.shop, name=name)
        return self.tags[key]

    def create(self, rows: list[tuple[int, dict]]) -> None:
        """New customers of a batch, set-based: the rows are COPYed into a temporary table (row-level
        security refuses COPY into the real one), then one statement writes the customers and, from what
        that INSERT returns, their history lines, name keys, tags and consent events. An ORM bulk_create
        of the same rows cost ten times more, mostly in building the statement."""
        if not rows:
            return
        tag_ids = {name: self._tag(name).pk for _n, values in rows for name in values.get("tags", [])}
        records = [self._record(values, tag_ids) for _number, values in rows]

        if not self.staged:  # outside the savepoint below, which a retry rolls back
            with connection.cursor() as cursor:
                cursor.execute(STAGING_TABLE)
            self.staged = True

        def insert():
            with connection.cursor() as cursor:
                cursor.execute("truncate import_staging")
                with cursor.cursor.copy(
                    f"copy import_staging ({', '.join(STAGING_COLUMNS)}) from stdin"
                ) as copy:
                    for record in records:
                        copy.write_row(record)
                cursor.execute(CREATE_SQL, self._create_params())

        def renumber():
            for record in records:
                record[0] = customer_number_new()

        insert_with_fresh_numbers(insert, renumber)
        for (row, _values), record in zip(rows, records, strict=True):
            self.created_numbers[row] = record[0]

    def _record(self, values: dict, tag_ids: dict) -> list:
        phone = str(values.get("phone") or "")
        keys = key_values(
            first_name=values["first_name"],
            last_name=values["last_name"],
            company_name=values.get("company_name", ""),
            email=values.get("email") or "",
            phone=phone,
            internal_id=values.get("internal_id") or "",
            also_name=values.get("also_name") or "",
            city=values.get("city") or "",
        )
        consents = values["consents"]
        return [
            customer_number_new(),
            *(str(values.get(name) or _DEFAULTS.get(name, "")) for name in UPDATABLE),
            *(keys[name] for name in KEY_FIELDS),
            consents.get("email_status", ["", EmailStatus.NONE])[1],
            consents.get("sms_status", ["", SmsStatus.NONE])[1],
            *("" if values.get(name) is None else str(values[name]) for name in HISTORY),
            [tag_ids[t] for t in values.get("tags", [])],
            self.consents.address_hash(Channel.EMAIL, values.get("email")),
            self.consents.address_hash(Channel.SMS, phone),
            json.dumps(
                sorted(
                    search_terms(
                        first=keys["first_name_key"],
                        last=keys["last_name_key"],
                        company=keys["company_key"],
                        also=keys["also_name_key"],
                    )
                )
            ),
        ]

    def _create_params(self) -> list:
        by = self.by.pk if self.by else None
        history = json.dumps({_("Import"): ["", self.source]})
        said = wording.IMPORTED
        shop = self.shop.pk
        return [
            shop, self.now, self.now, by, by,  # customers
            shop, by, self.now, history,  # history
            shop,  # name keys
            shop,  # search terms
            shop,  # tags
            shop, by, said.text(self.shop), said.version, self.source[:200], self.now,  # consent events
        ]  # fmt: skip

    def update(self, changed: list[tuple[Customer, dict, dict]]) -> None:
        if not changed:
            return
        for customer, values, diff in changed:
            for name in (*UPDATABLE, *HISTORY):
                if name in diff:
                    setattr(customer, name, values[name])
            _set_keys(customer)
            customer.updated_at, customer.updated_by = self.now, self.by
        self._apply_consents(changed)
        Customer.objects.bulk_update(
            [c for c, _v, _d in changed],
            [*UPDATABLE, *HISTORY, *KEY_FIELDS, "email_status", "sms_status", "updated_at", "updated_by"],
        )
        history = [
            (c, {k: v for k, v in diff.items() if k not in ("email_status", "sms_status")})
            for c, _v, diff in changed
        ]
        self._history(CustomerChange.Action.UPDATED, history)
        self._related(changed)

    def _apply_consents(self, changed) -> None:
        for customer, _values, diff in changed:
            for name in ("email_status", "sms_status"):
                if name in diff:
                    setattr(customer, name, diff[name][1])

    def _history(self, action: str, rows: list[tuple[Customer, dict]]) -> None:
        CustomerChange.objects.bulk_create(
            [
                CustomerChange(
                    shop=self.shop,
                    customer=customer,
                    by=self.by,
                    action=action,
                    at=self.now,
                    details={**details, _("Import"): ["", self.source]},
                )
                for customer, details in rows
            ]
        )

    def _related(self, changed) -> None:
        """Search terms, name vocabulary, tags and consent events of a batch: one INSERT each."""
        lookup_remember(self.shop, *(c for c, _v, diff in changed if TERM_SOURCES & set(diff)))
        CustomerTag.objects.bulk_create(
            [
                CustomerTag(shop=self.shop, customer=c, tag=self._tag(t))
                for c, values, _d in changed
                for t in values.get("tags", [])
            ],
            ignore_conflicts=True,
        )
        said = wording.IMPORTED
        events = []
        for c, _v, diff in changed:
            for channel, status_field, address_field, _col, given, _none in CHANNELS:
                if status_field not in diff:
                    continue
                old, new = diff[status_field]
                # The file's consent, or the state a new address brought (see FileConsents).
                subscribed = new == given
                events.append(
                    ConsentEvent(
                        shop=self.shop,
                        customer=c,
                        channel=channel,
                        action=ConsentEvent.Action.IMPORTED
                        if subscribed
                        else ConsentEvent.Action.ADDRESS_CHANGED,
                        source=ConsentEvent.Source.IMPORT,
                        by=self.by,
                        wording=said.text(self.shop) if subscribed else "",
                        wording_version=said.version if subscribed else "",
                        detail=(self.source if subscribed else f"{old} → {new} ({self.source})")[:200],
                        address_hash=self.consents.address_hash(channel, getattr(c, address_field)),
                        at=self.now,
                    )
                )
        ConsentEvent.objects.bulk_create(events)
