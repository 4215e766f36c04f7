"""`make bench`: load the benchmark dataset (once) into its own database and write reports to bench/results/.

The dataset goes to `<database>_bench` beside the configured one (DATABASE_URL or the embedded server), so a
developer's demo data is never touched. `python -m bench --only lookup` runs one benchmark.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

RESULTS = Path(__file__).resolve().parent / "results"


ROLE_VARIABLES = {
    "DATABASE_URL": "APP_ROLE",
    "DATABASE_OWNER_URL": "OWNER_ROLE",
    "DATABASE_PLATFORM_URL": "PLATFORM_ROLE",
}


def _bench_database_urls() -> dict[str, str]:
    """The three roles' URLs (app, owner, platform), each pointed at `<database>_bench`."""
    from shopcrm.dev import embedded

    urls = {}
    for variable, role in ROLE_VARIABLES.items():
        url = os.environ.get(variable) or os.environ.get("DATABASE_URL")
        url = url or embedded.database_url(getattr(embedded, role))
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if not name.endswith("_bench"):
            name += "_bench"
        urls[variable] = urlunsplit(parts._replace(path="/" + name))
    return urls


def _ensure_database(owner_url: str) -> None:
    """Create the bench database as the owner role (which owns its tables, as in production)."""
    import psycopg

    parts = urlsplit(owner_url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/" + name.removesuffix("_bench")))
    admin = admin.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'create database "{name}"')


def machine() -> str:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("show server_version")
        pg = cursor.fetchone()[0]
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {pg}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--only",
        choices=[
            "lookup",
            "tenancy",
            "messaging",
            "desk",
            "uploads",
            "campaigns",
            "load",
            "faults",
            "priority",
            "loyalty",
        ],
        default=None,
    )
    parser.add_argument("--reload", action="store_true", help="drop and reload the dataset")
    parser.add_argument(
        "--small", action="store_true", help="priority: a 3,000-recipient campaign, without the dataset"
    )
    args = parser.parse_args(argv)

    urls = _bench_database_urls()
    _ensure_database(urls["DATABASE_OWNER_URL"])
    os.environ.update(urls)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopcrm.settings.bench"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench import dataset, report

    if args.reload:
        dataset.reset()
    if args.only in ("faults", "uploads") or (args.only == "priority" and args.small):  # no dataset needed
        load = None
    elif not dataset.dataset_loaded():
        print("Loading the benchmark dataset (1,000,000 customers, 500 shops)…", flush=True)
        load = dataset.load(log=lambda m: print(m, flush=True))
    else:
        load = None
        print("Benchmark dataset already loaded.", flush=True)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    log = lambda m: print(m, flush=True)  # noqa: E731
    if args.only in (None, "lookup"):
        from bench import lookup

        print("Lookup benchmark…", flush=True)
        samples, shop = lookup.run(log=log)
        _write(
            RESULTS / f"lookup-{stamp}.md", report.lookup_report(samples, shop, machine=machine(), load=load)
        )
    if args.only in (None, "loyalty"):
        from bench import loyalty

        print("Loyalty at the till benchmark…", flush=True)
        results = loyalty.run(log=log)
        _write(RESULTS / f"loyalty-{stamp}.md", loyalty.report(results, machine()))
    if args.only in (None, "tenancy"):
        from bench import tenancy

        print("Tenant boundary benchmark (sealed against first form)…", flush=True)
        results = tenancy.run(log=log)
        _write(RESULTS / f"tenancy-{stamp}.md", tenancy.report(results, machine()))
    if args.only in (None, "messaging"):
        from bench import messaging

        print("Create-customer / messaging benchmark…", flush=True)
        results = messaging.run(log=log)
        _write(RESULTS / f"messaging-{stamp}.md", messaging.report(results, machine()))
    if args.only in (None, "uploads"):
        from bench import uploads

        print("Upload guard benchmark (xlsx zip bomb)…", flush=True)
        results = uploads.run(log=log)
        _write(RESULTS / f"uploads-{stamp}.md", uploads.report(results, machine()))
    if args.only in (None, "desk"):
        from bench import desk

        print("Admin desk benchmark (export, import, client list)…", flush=True)
        results = desk.run(log=log)
        _write(RESULTS / f"desk-{stamp}.md", desk.report(results, machine()))
    if args.only in (None, "campaigns"):
        from bench import campaigns

        print("Campaign benchmark (audience split, outbox rows, sending, the till meanwhile)…", flush=True)
        results = campaigns.run(log=log)
        _write(RESULTS / f"campaigns-{stamp}.md", campaigns.report(results, machine()))
    if args.only in (None, "faults"):
        from bench import faults

        print("Outbox faults (a worker killed, PostgreSQL restarted, mid-campaign)…", flush=True)
        results = faults.run(log=log)
        _write(RESULTS / f"faults-{stamp}.md", faults.report(results, machine()))
    if args.only in (None, "priority"):
        from bench import priority

        print("Priority (opt-in texts while a campaign sends)…", flush=True)
        results = priority.run(log=log, small=args.small)
        _write(RESULTS / f"priority-{stamp}.md", priority.report(results, machine()))
    if args.only in (None, "load"):
        from bench import load as till_load

        print("Till load run (50 tills, two minutes per pace, production settings)…", flush=True)
        results = till_load.run(log=log)
        _write(RESULTS / f"load-{stamp}.md", till_load.report(results, machine()))
    return 0


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    print(text)
    print(f"Report written to bench/results/{path.name}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
