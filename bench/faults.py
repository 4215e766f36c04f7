"""Outbox faults: a 2,000-recipient campaign sent by a real worker, once with the worker killed (SIGKILL,
the whole process group) in the middle, once with PostgreSQL restarted in the middle. Afterwards the
provider's record and the outbox are compared: lost (never went and not waiting), doubled (went twice) and
"may have gone" (unknown), each message accounted for.

The sweeper runs in this process with its delays shortened (a stuck send is looked at after 5 s instead of
5 minutes), as if the minutes had passed."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from unittest import mock

from bench.http import celery_worker_command, purge_queues
from campaigns import sending, services
from messaging import consent, outbox
from messaging.models import OutboundMessage
from shopcrm.selectors import shop_by_slug
from shopcrm.services import shop_create
from shopcrm.sql import connections_drop
from shopcrm.tenancy import shop_context

SHOP_SLUG = "bench-faults"
SIZE = 2000
DELAY = "0.004"  # seconds per message at the provider: the campaign takes ~10 s to go


def _shop():
    from bench.dataset import reset

    if shop_by_slug(SHOP_SLUG) is not None:
        reset(SHOP_SLUG)
    shop = shop_create(
        name="Bench faults", slug=SHOP_SLUG, country="FR", language="fr", timezone="Europe/Paris",
        contact_email="shop@faults.example",
    )  # fmt: skip
    from customers.services import customer_create

    with shop_context(shop):
        for i in range(SIZE):
            customer = customer_create(
                shop=shop, by=None, first_name=f"C{i}", last_name="Faults", email=f"c{i}@faults.example"
            )
            consent.email_verify(shop=shop, customer=customer)
    return shop


def _restart_postgres() -> str:
    """Restart the database the bench uses (the embedded one; the machine's own when run as root)."""
    from shopcrm.dev import embedded

    if embedded.postgres_is_running():
        embedded.postgres_stop()
        time.sleep(2)
        embedded.postgres_start()
        return "embedded PostgreSQL: pg_ctl stop -m fast, 2 s, start"
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        raise RuntimeError("no PostgreSQL this benchmark can restart")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "stop", "-m", "fast"])
    time.sleep(2)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=True)
    return f"the machine's PostgreSQL {versions[-1]}: stop -m fast, 2 s, start"


def _statuses(shop, campaign) -> Counter:
    for _ in range(60):
        try:
            with shop_context(shop):
                return Counter(
                    OutboundMessage.objects.filter(source=campaign.source_key).values_list(
                        "status", flat=True
                    )
                )
        except Exception:  # the database is coming back
            connections_drop()
            time.sleep(1)
    raise RuntimeError("the database did not come back")


def _one(fault: str, log) -> dict:
    shop = _shop()
    record = Path(tempfile.mkstemp(prefix="bench-faults-", suffix=".txt")[1])
    queue = f"bench-faults-{os.getpid()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopcrm.settings.bench",
        "EMAIL_BACKEND": "bench.slow_backends.RecordingEmailBackend",
        "BENCH_PROVIDER_RECORD": str(record),
        "BENCH_PROVIDER_DELAY": DELAY,
        "CELERY_QUEUE": queue,
        "SEND_RATE_EMAIL_SHOP": "0",
        "SEND_RATE_EMAIL": "0",
    }
    from django.test.utils import override_settings

    def start_worker():
        return subprocess.Popen(
            celery_worker_command(queue, f"{queue}-bulk"), env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    worker = start_worker()
    with override_settings(CELERY_BULK_QUEUE=f"{queue}-bulk"):
        with shop_context(shop):
            campaign = services.campaign_create(
                shop=shop, by=None, name=f"faults {fault}", channel="email", subject="Sale", body="Hello"
            )
            with mock.patch.object(services, "_launch_on_commit"):
                services.campaign_send(shop=shop, by=None, campaign=campaign, seen=None)
        # The campaign's job, in this process: its messages are written and published on the bulk queue,
        # which the worker reads.
        sending.campaign_write(campaign_id=campaign.pk, shop_id=shop.pk)
        t0 = time.monotonic()
        while len(record.read_text().splitlines()) < SIZE // 3 and time.monotonic() - t0 < 120:
            time.sleep(0.05)
        went_before = len(record.read_text().splitlines())
        if fault == "sigkill":
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(30)
            how = "SIGKILL to the worker's process group (main process and its child)"
            worker = start_worker()
        else:
            how = _restart_postgres()
            connections_drop()
        log(f"    {fault}: {how}, after {went_before} had gone")
        faster = {
            "SENDING_STUCK_AFTER": timedelta(seconds=5), "SWEEP_AFTER": timedelta(seconds=5),
            "BULK_SWEEP_AFTER": timedelta(seconds=5),
        }  # fmt: skip
        deadline = time.monotonic() + 300
        with mock.patch.multiple(outbox, **faster):
            while time.monotonic() < deadline:
                counts = _statuses(shop, campaign)
                if sum(counts.values()) == SIZE and not counts["queued"] and not counts["sending"]:
                    break
                time.sleep(3)
                try:
                    outbox.messages_sweep()
                except Exception:
                    connections_drop()
        elapsed = time.monotonic() - t0
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(60)
    purge_queues(queue, f"{queue}-bulk")
    went = Counter(record.read_text().splitlines())
    record.unlink()
    with shop_context(shop):
        rows = list(
            OutboundMessage.objects.filter(source=campaign.source_key).values_list("recipient", "status")
        )
    final = Counter(status for _r, status in rows)
    unknown = [r for r, s in rows if s == "unknown"]
    lost = [r for r, s in rows if s not in ("sent", "unknown") and went[r] == 0]
    return {
        "fault": fault,
        "how": how,
        "went_before": went_before,
        "messages": len(rows),
        "statuses": dict(final),
        "lost": len(lost),
        "doubled": sum(1 for n in went.values() if n > 1),
        "unknown": len(unknown),
        "unknown_that_went": sum(1 for r in unknown if went[r]),
        "seconds": elapsed,
    }


def run(log=print) -> list[dict]:
    results = []
    for fault in ("sigkill", "postgres"):
        log(f"  a {SIZE:,}-recipient campaign, {fault}…")
        results.append(_one(fault, log))
    return results


def report(results: list[dict], machine: str) -> str:
    lines = [
        "# Outbox faults",
        "",
        f"Machine: {machine}",
        "",
        f"A {SIZE:,}-recipient email campaign sent by one Celery worker (concurrency 1) through a provider"
        f" that records every message it takes and answers after {DELAY} s; the fault comes once a third"
        " has gone.",
        "",
        "| fault | how | gone before | messages | lost | doubled | may have gone (of which went) "
        "| final statuses | s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in results:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
        lines.append(
            f"| {r['fault']} | {r['how']} | {r['went_before']} | {r['messages']} | {r['lost']} "
            f"| {r['doubled']} | {r['unknown']} ({r['unknown_that_went']}) | {statuses} "
            f"| {r['seconds']:.0f} |"
        )
    return "\n".join(lines) + "\n"
