"""Campaign benchmark.

- **Audience split**: eligible and excluded-by-reason counts for a whole shop, on the largest bench shop
  (200,000 customers) with consents spread as a shop that has used shopcrm for a while would have them:
  confirmed, imported, pending, unsubscribed, bounced, STOP, never asked, each with its ledger events and
  suppression rows.
- **Writing the outbox rows** of a 200,000-recipient campaign (`campaigns.sending.campaign_write`, which
  also publishes them), on a shop of 200,000 customers who all confirmed their email.
- **Sending**: one Celery worker (concurrency 1) with an instant provider and the send-rate counters on,
  messages per second over a steady window, and the worker's memory (RSS) sampled every second.
- **The till while it sends**: the lookup benchmark's 640-query mix through gunicorn, before the campaign
  and while the worker sends it.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from unittest import mock

from django.db import connections
from django.test.utils import override_settings

from bench.dataset import BIG_SHOP_SLUG, COLUMNS, reset
from bench.http import celery_worker_command, gunicorn, purge_queues, signed_in_session
from bench.lookup import build_queries, pct
from campaigns import sending, services
from campaigns.models import Campaign
from messaging import marketing
from messaging.models import OutboundMessage
from shopcrm.models import Role, Shop, StaffMembership
from shopcrm.selectors import shop_by_slug
from shopcrm.services import shop_create, staff_create
from shopcrm.tenancy import cross_shop, shop_context

SHOP_SLUG = "bench-campaign"
SIZE = 200_000
TILL_EMAIL = "bench-campaign-till@bench.example"
TILL_PASSWORD = "bench-campaign-password"  # noqa: S105 (a bench-only account)
ADMIN_EMAIL = "bench-campaign-admin@bench.example"
SEND_WINDOW = 30  # seconds of steady sending measured
MARKER = "bench consent spread"

# Of the customers with an email / a phone: how their consent stands (percent; the rest never asked).
EMAIL_SPREAD = [("verified", 45), ("subscribed", 15), ("pending", 20), ("unsubscribed", 5), ("bounced", 2)]
SMS_SPREAD = [("opted_in", 35), ("subscribed", 10), ("pending", 20), ("opted_out", 5)]


def _case(roll: str, spread, default: str) -> str:
    parts, upto = [], 0
    for status, share in spread:
        upto += share
        parts.append(f"when {roll} < {upto} then '{status}'")
    return "case " + " ".join(parts) + f" else '{default}' end"


def _events(cursor, shop_id: int, channel: str, statuses: dict[str, str]) -> None:
    """Ledger events for the statuses set: the request, then the confirmation or import, then the
    withdrawal, as the services would have written them (older first)."""
    status = "email_status" if channel == "email" else "sms_status"
    inner, outer = marketing._pads()
    for action, having, age in (
        ("requested", statuses["requested"], "400 days"),
        ("confirmed", statuses["confirmed"], "390 days"),
        ("imported", statuses["imported"], "380 days"),
        ("withdrawn", statuses["withdrawn"], "30 days"),
    ):
        cursor.execute(
            f"""
            insert into messaging_consentevent
                (shop_id, customer_id, channel, purpose, action, source, wording, wording_version, detail,
                 address_hash, user_agent, at)
            select c.shop_id, c.id, %(channel)s, 'marketing', %(action)s,
                   case %(action)s when 'imported' then 'import' when 'requested' then 'till'
                        else 'customer_link' end,
                   '', '', %(marker)s, {marketing._hash_sql(channel)}, '', now() - interval '{age}'
              from customers_customer c
             where c.shop_id = %(shop)s and c.{status} = any(%(having)s)
            """,
            {
                "channel": channel,
                "action": action,
                "marker": MARKER,
                "shop": shop_id,
                "having": having,
                "inner": inner,
                "outer": outer,
            },
        )


def _suppress(cursor, shop_id: int, channel: str, status: str, reason: str) -> None:
    inner, outer = marketing._pads()
    address = "lower(c.email)" if channel == "email" else "c.phone"
    field = "email_status" if channel == "email" else "sms_status"
    cursor.execute(
        f"""
        insert into messaging_suppression (shop_id, channel, address_hash, address, reason, at)
        select c.shop_id, %(channel)s, {marketing._hash_sql(channel)}, {address}, %(reason)s, now()
          from customers_customer c
         where c.shop_id = %(shop)s and c.{field} = %(status)s
        on conflict do nothing
        """,
        {
            "channel": channel,
            "reason": reason,
            "shop": shop_id,
            "status": status,
            "inner": inner,
            "outer": outer,
        },
    )


def _vacuum() -> None:
    with connections["owner"].cursor() as cursor:
        for table in ("customers_customer", "messaging_consentevent", "messaging_suppression"):
            cursor.execute(f"vacuum (analyze) {table}")


def prepare_big(log=print) -> Shop:
    """Spread consents over the largest shop, once (its customers keep their names and numbers)."""
    shop = shop_by_slug(BIG_SHOP_SLUG)
    with cross_shop("bench: spreading consents over the largest shop") as platform, platform.cursor() as c:
        c.execute(
            "select 1 from messaging_consentevent where shop_id = %s and detail = %s limit 1",
            [shop.pk, MARKER],
        )
        if c.fetchone():
            return shop
        log("  spreading consents over the largest shop…")
        email_roll, sms_roll = "((id * 2654435761) %% 100)", "((id * 40503 + 17) %% 100)"
        email_case = _case(email_roll, EMAIL_SPREAD, "none")
        sms_case = _case(sms_roll, SMS_SPREAD, "none")
        c.execute(
            f"""
            update customers_customer set
                email_status = case when email = '' then 'none' else {email_case} end,
                sms_status = case when phone = '' then 'none' else {sms_case} end
             where shop_id = %s
            """,
            [shop.pk],
        )
        _events(
            c,
            shop.pk,
            "email",
            {
                "requested": ["verified", "pending", "unsubscribed", "bounced"],
                "confirmed": ["verified", "unsubscribed", "bounced"],
                "imported": ["subscribed"],
                "withdrawn": ["unsubscribed"],
            },
        )
        _events(
            c,
            shop.pk,
            "sms",
            {
                "requested": ["opted_in", "pending", "opted_out"],
                "confirmed": ["opted_in", "opted_out"],
                "imported": ["subscribed"],
                "withdrawn": ["opted_out"],
            },
        )
        _suppress(c, shop.pk, "email", "unsubscribed", "unsubscribe")
        _suppress(c, shop.pk, "email", "bounced", "bounce")
        _suppress(c, shop.pk, "sms", "opted_out", "stop")
    _vacuum()
    return shop


def prepare_campaign_shop(big: Shop, log=print) -> Shop:
    """A shop of 200,000 customers who all confirmed their email (and their texts, where they gave a
    mobile), copied from the largest shop's people, once."""
    shop = shop_by_slug(SHOP_SLUG)
    if shop is not None:
        with cross_shop("bench: counting the campaign shop") as platform, platform.cursor() as c:
            c.execute("select count(*) from customers_customer where shop_id = %s", [shop.pk])
            if c.fetchone()[0] == SIZE:
                return shop
        reset(SHOP_SLUG)
    log(f"  a {SIZE:,}-customer shop that confirmed its emails…")
    shop = shop_create(
        name="Bench campaigns",
        slug=SHOP_SLUG,
        country=big.country,
        language=big.language,
        timezone=str(big.timezone),
        contact_phone="01 23 45 67 89",
        contact_email="shop@bench.example",
    )
    staff_create(shop=shop, email=ADMIN_EMAIL, password=TILL_PASSWORD, role=Role.ADMIN)
    overrides = {
        "shop_id": "%(shop)s",
        "number": "'K' || c.id",
        "email": "'c' || c.id || '@campaign.example'",
        "email_key": "'c' || c.id || '@campaign.example'",
        "email_domain": "'campaign.example'",
        "email_status": "'verified'",
        "sms_status": "case when c.phone = '' then 'none' else 'opted_in' end",
    }
    select = ", ".join(overrides.get(col, f"c.{col}") for col in COLUMNS)
    with cross_shop("bench: loading the campaign shop") as platform, platform.cursor() as c:
        c.execute(
            f"insert into customers_customer ({', '.join(COLUMNS)}) "
            f"select {select} from customers_customer c where c.shop_id = %(big)s "
            "order by c.id limit %(size)s",
            {"shop": shop.pk, "big": big.pk, "size": SIZE},
        )
        _events(
            c,
            shop.pk,
            "email",
            {"requested": ["verified"], "confirmed": ["verified"], "imported": [], "withdrawn": []},
        )
        _events(
            c,
            shop.pk,
            "sms",
            {"requested": ["opted_in"], "confirmed": ["opted_in"], "imported": [], "withdrawn": []},
        )
    _vacuum()
    return shop


def measure_split(shop: Shop, channel: str, repeats: int = 3) -> dict:
    campaign = Campaign(shop=shop, channel=channel, filters="")
    times, counts = [], {}
    for _ in range(repeats):
        with shop_context(shop):
            t0 = time.perf_counter()
            counts = services.audience_split(shop=shop, campaign=campaign)
            times.append(time.perf_counter() - t0)
    return {"shop": shop.slug, "channel": channel, "seconds": times, "counts": counts}


def _till_account(shop: Shop) -> None:
    if not StaffMembership.objects.filter(shop=shop, user__email=TILL_EMAIL).exists():
        staff_create(shop=shop, email=TILL_EMAIL, password=TILL_PASSWORD, role=Role.CASHIER)


def till_mix(base: str, samples) -> list[float]:
    session = signed_in_session(base, TILL_EMAIL, TILL_PASSWORD)
    headers = {
        "HX-Request": "true",
        "X-CSRFToken": session.cookies["csrftoken"],
        "Referer": f"{base}/checkout/",
    }
    for s in samples[:30]:
        session.post(f"{base}/checkout/", data={"q": s.query}, headers=headers, timeout=10)
    times = []
    for s in samples:
        t0 = time.perf_counter()
        response = session.post(f"{base}/checkout/", data={"q": s.query}, headers=headers, timeout=10)
        times.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code} for a till query")
    return times


def _rss_kib(pid: int) -> int:
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(p) for p in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _sent(shop: Shop, campaign: Campaign) -> int:
    with shop_context(shop):
        return OutboundMessage.objects.filter(shop=shop, source=campaign.source_key, status="sent").count()


def run(log=print) -> dict:
    big = prepare_big(log=log)
    target = prepare_campaign_shop(big, log=log)
    results: dict = {"split": []}
    log("  audience split…")
    for shop, channel in ((big, "email"), (big, "sms"), (target, "email")):
        results["split"].append(measure_split(shop, channel))

    queue = f"bench-campaign-{os.getpid()}"
    bulk = f"{queue}-bulk"
    log(f"  writing a {SIZE:,}-recipient campaign…")
    with cross_shop("bench: clearing the last run's campaign") as platform, platform.cursor() as c:
        c.execute("delete from messaging_outboundmessage where shop_id = %s", [target.pk])
        c.execute("delete from campaigns_campaign where shop_id = %s", [target.pk])
    with shop_context(target):
        campaign = services.campaign_create(
            shop=target,
            by=None,
            name="bench",
            channel="email",
            subject="Winter sale at {{ shop_name }}",
            body="Hello {{ first_name }},\n\n**20% off** everything this week.",
        )
        with mock.patch.object(services, "_launch_on_commit"):
            services.campaign_send(shop=target, by=None, campaign=campaign, seen=None)
    with override_settings(CELERY_BULK_QUEUE=bulk):
        t0 = time.perf_counter()
        chunks = sending.campaign_write(campaign_id=campaign.pk, shop_id=target.pk)
        results["write_seconds"] = time.perf_counter() - t0
    with shop_context(target):
        campaign.refresh_from_db()
    results["written"], results["chunks"] = campaign.written, chunks

    _till_account(big)
    samples = build_queries(big, random.Random(42))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopcrm.settings.bench",
        "EMAIL_BACKEND": "bench.slow_backends.EmailBackend",
        "BENCH_PROVIDER_DELAY": "0",
        "CELERY_QUEUE": queue,
    }
    with gunicorn() as base:
        log("  the till before the campaign sends…")
        results["till_before"] = till_mix(base, samples)
        # At full speed (the send-rate counters on, at 1,000/s): the worker's rate and memory, the till.
        with _worker(
            {**env, "SEND_RATE_EMAIL_SHOP": "1000", "SEND_RATE_EMAIL": "1000"}, queue, bulk
        ) as worker:
            _wait_sending(target, campaign, 500)
            log("  the till while the campaign sends at full speed…")
            results["till_full_speed"] = till_mix(base, samples)
            log(f"  {SEND_WINDOW} s of steady sending…")
            rss, start_sent, t0 = [], _sent(target, campaign), time.perf_counter()
            while time.perf_counter() - t0 < SEND_WINDOW:
                rss.append(_rss_kib(worker.pid))
                time.sleep(1)
            results["window_seconds"] = time.perf_counter() - t0
            results["sent_in_window"] = _sent(target, campaign) - start_sent
            results["rss_kib"] = rss
        # At the default send rates (what a shop's campaign goes at in production): the till.
        defaults = {k: v for k, v in env.items() if not k.startswith("SEND_RATE_")}
        with _worker(defaults, queue, bulk):
            _wait_sending(target, campaign, _sent(target, campaign) + 100)
            log("  the till while the campaign sends at the default rates…")
            start_sent, t0 = _sent(target, campaign), time.perf_counter()
            results["till_during"] = till_mix(base, samples)
            results["default_rate"] = (_sent(target, campaign) - start_sent) / (time.perf_counter() - t0)
    with shop_context(target):
        results["sent_total"] = _sent(target, campaign)
        services.campaign_cancel(shop=target, campaign=campaign)
    purge_queues(queue, bulk)
    return results


@contextlib.contextmanager
def _worker(env: dict, *queues: str):
    """One Celery worker (concurrency 1) on the bench's queues, for the block."""
    worker = subprocess.Popen(
        celery_worker_command(*queues),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)


def _wait_sending(shop: Shop, campaign: Campaign, count: int, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while _sent(shop, campaign) < count and time.monotonic() < deadline:
        time.sleep(0.5)


def report(results: dict, machine: str) -> str:
    lines = [
        "# Campaign benchmark",
        "",
        f"- Machine: {machine}",
        "- Audience split: eligible and excluded-by-reason counts of a whole shop (one statement); best and",
        "  worst of three runs. The largest shop's consents are spread as in a shop that has used shopcrm",
        "  for a while (email: 45 % confirmed, 15 % imported, 20 % pending, 5 % unsubscribed, 2 % bounced of",
        "  those with an address; texts: 35 % opted in, 10 % imported, 20 % pending, 5 % STOP), each with",
        "  its ledger events and suppression rows.",
        "",
        "| shop | channel | best | worst | eligible | excluded by reason |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for r in results["split"]:
        excluded = ", ".join(f"{k} {v:,}" for k, v in r["counts"].items() if k and v)
        lines.append(
            f"| {r['shop']} | {r['channel']} | {min(r['seconds']):.2f} s | {max(r['seconds']):.2f} s | "
            f"{r['counts'].get('', 0):,} | {excluded or '—'} |"
        )
    rate = results["written"] / results["write_seconds"] if results["write_seconds"] else 0
    sent_rate = results["sent_in_window"] / results["window_seconds"]
    rss = results["rss_kib"]
    before, during, full = results["till_before"], results["till_during"], results["till_full_speed"]
    p95_before, p95_during, p95_full = pct(before, 95), pct(during, 95), pct(full, 95)
    lines += [
        "",
        f"- **Writing the outbox rows**: {results['written']:,} messages in "
        f"{results['write_seconds']:.1f} s ({rate:,.0f} rows/s, {results['chunks']} chunks of "
        f"{sending.CHUNK:,}, publishing included).",
        f"- **Sending**: one worker (concurrency 1), instant provider, send-rate counters on (1,000/s):"
        f" {results['sent_in_window']:,} messages in {results['window_seconds']:.0f} s = **{sent_rate:,.0f}"
        f" messages/s**. Worker RSS over the window: {rss[0] / 1024:.0f} MiB at the start, "
        f"{max(rss) / 1024:.0f} MiB at most, {rss[-1] / 1024:.0f} MiB at the end.",
        f"- **The till while it sends** (640 queries, HTTP through gunicorn, p50 / p95 / p99): before "
        f"{pct(before, 50):.1f} / {p95_before:.1f} / {pct(before, 99):.1f} ms; while the campaign goes at "
        f"the default send rates ({results['default_rate']:,.0f} messages/s) {pct(during, 50):.1f} / "
        f"{p95_during:.1f} / {pct(during, 99):.1f} ms (**p95 {(p95_during / p95_before - 1) * 100:+.0f} %**);"
        f" while it goes at full speed {pct(full, 50):.1f} / {p95_full:.1f} / {pct(full, 99):.1f} ms "
        f"(p95 {(p95_full / p95_before - 1) * 100:+.0f} %; the worker and gunicorn share the two cores).",
        f"- {results['sent_total']:,} messages had gone when the benchmark cancelled the rest.",
        "",
    ]
    return "\n".join(lines)
