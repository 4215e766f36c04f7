"""Exports of the client list, exact and audited.

CSV comes straight out of PostgreSQL: one `COPY (SELECT …) TO STDOUT` whose rows are already formatted
(labels in the admin's language, dates in the shop's time zone, tags and pets flattened) and streamed to the
browser block by block, so memory stays flat whatever the size. XLSX is written by openpyxl in write-only
mode into a temporary file (two sheets: customers and pets), by a worker when it is large.

Spreadsheet formula injection (ASVS 1.2.10): in CSV, a text cell that begins with = + - @ tab or carriage
return gets a leading apostrophe, so Excel shows it as text. Phone numbers are exempt: the E.164 column
is validated `+` and digits, which no spreadsheet runs, and the national format never starts with one of
those characters. In XLSX every text cell is written as a string cell, never as a formula, so nothing
needs altering there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Civility, CustomerType, Export, Species
from customers.services import export_record
from desk.listing import SORTS, CustomerFilter, customer_count, customer_filter_queryset
from messaging.consent import EmailStatus, SmsStatus
from shopcrm.spreadsheet import (
    UTF8_BOM,
    csv_delimiter,
    csv_line,
    xlsx_cells,
)
from shopcrm.sql import ids_select

# Above this many seconds of work, an export is built by a worker with a progress bar instead of in the
# request. Rates measured by `make bench` on a 2-core machine, rounded down.
INLINE_SECONDS = 3
ROWS_PER_SECOND = {"csv": 100_000, "xlsx": 2_000}


def _safe(expression: str) -> str:
    """The SQL expression, with a leading apostrophe when it starts like a spreadsheet formula."""
    return (
        f"(case when left({expression}, 1) in ('=', '+', '-', '@', chr(9), chr(13)) "
        f"then '''' || {expression} else {expression} end)"
    )


@dataclass(frozen=True)
class Column:
    header: str
    sql: str
    text: bool = True  # free text typed by people: neutralised in CSV


def _labels(choices) -> str:
    return json.dumps({value: str(label) for value, label in choices})


def export_columns(shop) -> tuple[list[Column], list]:
    """The exported columns for `shop` (headers in the active language) and the SQL parameters they use."""
    params: list = []

    def param(value) -> str:
        params.append(value)
        return "%s"

    def label(column: str, choices) -> str:
        return f"coalesce({param(_labels(choices))}::jsonb ->> {column}, {column})"

    tz = shop.timezone
    columns = [Column(_("Customer number"), "c.number", text=False)]
    if shop.internal_id_enabled:
        columns.append(Column(_("Internal customer ID"), "c.internal_id"))
    columns += [
        Column(_("Customer type"), label("c.type", CustomerType.choices), text=False),
        Column(_("Civility"), label("c.civility", Civility.choices), text=False),
        Column(_("First name"), "c.first_name"),
        Column(_("Last name"), "c.last_name"),
        Column(_("Company name"), "c.company_name"),
        Column(_("SIRET / VAT number"), "c.company_registration"),
        Column(_("Mobile phone (international)"), "c.phone", text=False),
        Column(_("Mobile phone (national)"), "c.phone_national", text=False),
        Column(_("Email"), "c.email"),
        Column(_("Other emails"), "array_to_string(c.secondary_emails, ', ')"),
        Column(_("Also on this account"), "c.also_name"),
        Column(_("Address"), "c.address_line1"),
        Column(_("Address (line 2)"), "c.address_line2"),
        Column(_("Postal code"), "c.postal_code"),
        Column(_("City"), "c.city"),
        Column(_("Email status"), label("c.email_status", EmailStatus.choices), text=False),
        Column(_("SMS status"), label("c.sms_status", SmsStatus.choices), text=False),
        # Aggregated once per export in a joined subquery (see _select): a correlated subquery per
        # customer cost more than all the other columns together.
        Column(_("Tags"), "coalesce(tg.names, '')"),
    ]
    if shop.pets_enabled:
        columns.append(Column(_("Pets"), "coalesce(pt.names, '')"))
    columns += [
        Column(_("Notes"), "c.notes"),
        Column(
            _("Created"),
            f"to_char(c.created_at at time zone {param(tz)}, 'YYYY-MM-DD HH24:MI')",
            text=False,
        ),
        Column(
            _("Last visit"),
            f"coalesce(to_char(c.last_visit_at at time zone {param(tz)}, 'YYYY-MM-DD HH24:MI'), '')",
            text=False,
        ),
        Column(
            _("First visit"),
            f"coalesce(to_char(c.first_visit_at at time zone {param(tz)}, 'YYYY-MM-DD HH24:MI'), '')",
            text=False,
        ),
        Column(_("Number of visits"), "c.visit_count::text", text=False),
        Column(_("Total spent"), "coalesce(c.total_spent::text, '')", text=False),
        Column(_("Birthday"), "coalesce(to_char(c.birthday, 'YYYY-MM-DD'), '')", text=False),
    ]
    return columns, params


# Tags and pets of the exported customers, one aggregated row per customer, joined to the customers.
TAGS_JOIN = """
    left join (select ct.customer_id, string_agg(t.name, ', ' order by t.name) as names
                 from customers_customertag ct join customers_tag t on t.id = ct.tag_id
                where ct.shop_id = %s{ids} group by ct.customer_id) tg
           on tg.customer_id = c.id
"""
PETS_JOIN = """
    left join (select p.owner_id,
                      string_agg(p.name || ' (' || coalesce(%s::jsonb ->> p.species, p.species)
                                 || case when p.birth_year is null then ''
                                         else ', ' || case when p.birth_month is null then ''
                                                           else lpad(p.birth_month::text, 2, '0') || '/' end
                                              || p.birth_year end
                                 || ')', '; ' order by p.id) as names
                 from customers_pet p
                where p.shop_id = %s{ids} group by p.owner_id) pt
           on pt.owner_id = c.id
"""


def _select(shop, filters: CustomerFilter, sort: str, *, neutralise: bool) -> tuple[str, list]:
    """The export's SELECT: formatted columns of the filtered customers in the list's order.

    Neutralised text columns reference plain columns only, so repeating them in the CASE costs no
    parameters and no extra evaluation of anything expensive.
    """
    columns, params = export_columns(shop)
    # Without filters every customer of the shop is exported: no id list to build and join against.
    ids_sql, ids_params = _ids(shop, filters) if filters != CustomerFilter() else ("", ())
    order = []
    for key in SORTS.get(sort) or SORTS["name"]:
        direction = "desc" if key.descending else "asc"
        order.append(f"c.{key.field} {direction}" + (" nulls last" if key.nullable else ""))
    select = ", ".join(_safe(col.sql) if neutralise and col.text else col.sql for col in columns)
    joins = TAGS_JOIN.replace("{ids}", f" and ct.customer_id in ({ids_sql})" if ids_sql else "")
    join_params = [shop.pk, *ids_params]
    if shop.pets_enabled:
        joins += PETS_JOIN.replace("{ids}", f" and p.owner_id in ({ids_sql})" if ids_sql else "")
        join_params += [_labels(Species.choices), shop.pk, *ids_params]
    where = f" and c.id in ({ids_sql})" if ids_sql else ""
    sql = (
        f"select {select} from customers_customer c {joins} "  # noqa: S608 (our own SQL and placeholders)
        f"where c.shop_id = %s{where} order by {', '.join(order)}"
    )
    return sql, [*params, *join_params, shop.pk, *ids_params]


def _ids(shop, filters: CustomerFilter) -> tuple[str, tuple]:
    """SQL (and parameters) selecting the ids of the filtered customers."""
    return ids_select(customer_filter_queryset(shop=shop, filters=filters), "id")


def export_csv(shop, filters: CustomerFilter, sort: str, counter: dict | None = None) -> Iterator[bytes]:
    """The CSV file, as blocks of bytes: BOM, header line, then PostgreSQL's own CSV rows.

    Must be iterated inside `shop_context(shop)`. When done, `counter["rows"]` holds the number of rows.
    """
    columns, _params = export_columns(shop)
    delimiter = csv_delimiter(shop)
    yield UTF8_BOM + csv_line([c.header for c in columns], delimiter).encode()
    sql, params = _select(shop, filters, sort, neutralise=True)
    copy_sql = f"copy ({sql}) to stdout with (format csv, delimiter '{delimiter}', encoding 'UTF8')"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(copy_sql, params) as copy:
            for block in copy:
                yield bytes(block)
        if counter is not None:
            counter["rows"] = raw.rowcount


def export_xlsx(shop, filters: CustomerFilter, sort: str, target, progress=None) -> int:
    """Write the XLSX workbook (sheets "Customers" and, with pets, "Pets") to `target` (a path or a binary
    file). Must run inside `shop_context(shop)`. Calls `progress(rows_done)` now and then; returns the
    number of customers written."""
    from openpyxl import Workbook

    columns, _params = export_columns(shop)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Customers"))
    sheet.append([c.header for c in columns])
    sheet.freeze_panes = "A2"
    sql, params = _select(shop, filters, sort, neutralise=False)
    rows = 0
    for values in _rows(sql, params):
        sheet.append(xlsx_cells(sheet, values))
        rows += 1
        if progress is not None and rows % 5000 == 0:
            progress(rows)
    if shop.pets_enabled:
        _pets_sheet(workbook, shop, filters)
    workbook.save(target)
    return rows


def _rows(sql: str, params: list) -> Iterator[tuple]:
    """Rows of `sql` through a server-side cursor: a few thousand in memory at a time."""
    with connection.cursor() as cursor:
        # A cursor is planned for its first rows (cursor_tuple_fraction 0.1), which turned the joined tag
        # aggregate into a nested loop run once per customer; an export reads every row.
        cursor.execute("set local cursor_tuple_fraction = 1.0")
        named = cursor.cursor.connection.cursor(name="export_rows")
        named.itersize = 2000
        try:
            named.execute(sql, params)
            yield from named
        finally:
            named.close()


def _pets_sheet(workbook, shop, filters: CustomerFilter) -> None:
    sheet = workbook.create_sheet(_("Pets"))
    sheet.append(
        [_("Customer number"), _("Last name"), _("First name"), _("Pet's name"), _("Species"), _("Breed")]
        + [_("Birth month"), _("Birth year")]
    )
    ids_sql, ids_params = _ids(shop, filters)
    sql = (
        "select c.number, c.last_name, c.first_name, p.name, "  # noqa: S608 (our own SQL and placeholders)
        "coalesce(%s::jsonb ->> p.species, p.species), p.breed, p.birth_month, p.birth_year "
        "from customers_pet p join customers_customer c on c.id = p.owner_id "
        f"where p.shop_id = %s and c.id in ({ids_sql}) order by c.last_name_key, c.first_name_key, p.id"
    )
    for values in _rows(sql, [_labels(Species.choices), shop.pk, *ids_params]):
        sheet.append(xlsx_cells(sheet, values))


def export_filename(shop, fmt: str) -> str:
    return f"customers-{shop.slug}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def export_runs_inline(fmt: str, rows: int) -> bool:
    """Whether an export of `rows` customers is quick enough to build during the request."""
    return rows / ROWS_PER_SECOND[fmt] <= INLINE_SECONDS


def export_start(*, shop, by, fmt: str, query: str, filters: CustomerFilter) -> tuple[Export, bool]:
    """Record an export of the filtered customers (the audit comes first) and say whether it is quick
    enough to build during the request; a larger one is queued for a worker once the request commits.
    Returns (record, inline)."""
    from desk.tasks import build_export
    from shopcrm.tasks import publish_on_commit

    rows = customer_count(shop=shop, filters=filters)
    record = export_record(shop=shop, by=by, fmt=fmt, filters=query, expected_rows=rows)
    inline = export_runs_inline(fmt, rows)
    if not inline:
        publish_on_commit(build_export, record.pk, shop.pk)
    return record, inline
