"""A person waiting for a message goes first: while a 200,000-recipient SMS campaign of the same shop sends
at the default send rates, a customer is added at the till with the SMS opt-in box ticked every 2 seconds;
each opt-in text's save → provider hand-over time is measured (its `sent_at` minus its `created_at`), with
the campaign's own pace meanwhile.

The worker is the compose file's (concurrency 2), the provider answers after 50 ms, and the legal send
windows are off for the measure (they would hold both kinds of text at night)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from unittest import mock

from django.test.utils import override_settings

from bench.campaigns import prepare_big, prepare_campaign_shop
from bench.http import celery_worker_command, purge_queues
from bench.lookup import pct
from campaigns import sending, services
from messaging.models import OutboundMessage
from shopcrm.tenancy import cross_shop, shop_context

ADDED = 30
EVERY = 2.0
BIG_CAP = 1_000_000

TILL = """
import json, os, time, django
django.setup()
from customers.services import customer_create
from shopcrm.selectors import shop_by_slug
from shopcrm.tenancy import shop_context
shop = shop_by_slug(os.environ["BENCH_SHOP"])
ids = []
for i in range(int(os.environ["BENCH_ADDED"])):
    started = time.monotonic()
    with shop_context(shop):
        customer = customer_create(
            shop=shop, by=None, first_name=f"P{i}", last_name="Priority", phone=f"+3375{i:07d}",
            send_sms_opt_in=True,
        )
    ids.append(customer.pk)
    time.sleep(max(0.0, float(os.environ["BENCH_EVERY"]) - (time.monotonic() - started)))
print(json.dumps(ids))
"""


def _campaign_sent(shop, campaign) -> int:
    with shop_context(shop):
        return OutboundMessage.objects.filter(source=campaign.source_key, status="sent").count()


SMALL = 3000


def _small_shop(log):
    """Without the dataset: a shop of SMALL customers who confirmed their texts. At a campaign's share of
    the default rate (4 texts a second) its campaign sends for over ten minutes, far longer than the
    measure; the bulk queue is never empty, which is all a larger campaign adds."""
    from bench.dataset import reset
    from customers.services import customer_create
    from messaging import consent
    from shopcrm.selectors import shop_by_slug
    from shopcrm.services import shop_create

    if shop_by_slug("bench-priority") is not None:
        reset("bench-priority")
    log(f"  a {SMALL:,}-customer shop whose customers confirmed their texts…")
    shop = shop_create(
        name="Bench priority", slug="bench-priority", country="FR", language="fr", timezone="Europe/Paris",
        contact_phone="01 23 45 67 89",
    )  # fmt: skip
    with shop_context(shop):
        for i in range(SMALL):
            customer = customer_create(
                shop=shop, by=None, first_name=f"C{i}", last_name="Campaign", phone=f"+3376{i:07d}"
            )
            consent.sms_confirm(shop=shop, customer=customer, source="sms_reply", detail="OUI")
    return shop


def run(log=print, small: bool = False) -> dict:
    target = _small_shop(log) if small else prepare_campaign_shop(prepare_big(log=log), log=log)
    queue = f"bench-priority-{os.getpid()}"
    bulk = f"{queue}-bulk"
    with cross_shop("bench: clearing the last run's messages") as platform, platform.cursor() as c:
        c.execute("delete from messaging_outboundmessage where shop_id = %s", [target.pk])
        c.execute("delete from campaigns_campaign where shop_id = %s", [target.pk])
        c.execute("delete from customers_customer where shop_id = %s and last_name = 'Priority'", [target.pk])
    log("  writing the SMS campaign…")
    # The platform raises the shop's SMS caps for a campaign this size (the default 20,000 a month would
    # refuse it), here and in the worker.
    caps = override_settings(SMS_DAILY_CAP_SHOP=BIG_CAP, SMS_MONTHLY_CAP_SHOP=BIG_CAP)
    caps.enable()
    with shop_context(target):
        campaign = services.campaign_create(
            shop=target, by=None, name="bench priority", channel="sms", subject="",
            body="Winter sale at {{ shop_name }}: 20% off this week.",
        )  # fmt: skip
        with mock.patch.object(services, "_launch_on_commit"):
            services.campaign_send(shop=target, by=None, campaign=campaign, seen=None)
    with override_settings(CELERY_BULK_QUEUE=bulk):
        sending.campaign_write(campaign_id=campaign.pk, shop_id=target.pk)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopcrm.settings.bench",
        "SMS_BACKEND": "bench.slow_backends.SmsBackend",
        "BENCH_PROVIDER_DELAY": "0.05",
        "CELERY_QUEUE": queue,
        "SMS_SEND_WINDOWS": "false",
        "BENCH_SHOP": target.slug,
        "BENCH_ADDED": str(ADDED),
        "BENCH_EVERY": str(EVERY),
        "SMS_DAILY_CAP_SHOP": str(BIG_CAP),
        "SMS_MONTHLY_CAP_SHOP": str(BIG_CAP),
    }
    env = {k: v for k, v in env.items() if not k.startswith("SEND_RATE_")}  # the default rates
    worker = subprocess.Popen(
        celery_worker_command(queue, bulk, concurrency=2), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(15)  # the campaign under way
        log(f"  {ADDED} customers added at the till, one every {EVERY:.0f} s, while it sends…")
        start_sent, t0 = _campaign_sent(target, campaign), time.monotonic()
        till = subprocess.run(
            [sys.executable, "-c", TILL], env=env, capture_output=True, text=True, check=True
        )
        ids = json.loads(till.stdout.strip().splitlines()[-1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with shop_context(target):
                texts = list(
                    OutboundMessage.objects.filter(customer_id__in=ids, kind="sms_opt_in").values_list(
                        "created_at", "sent_at", "status"
                    )
                )
            if len(texts) == len(ids) and all(sent for _c, sent, _s in texts):
                break
            time.sleep(1)
        window = time.monotonic() - t0
        campaign_pace = (_campaign_sent(target, campaign) - start_sent) / window
    finally:
        worker.terminate()
        worker.wait(60)
        with shop_context(target):
            services.campaign_cancel(shop=target, campaign=campaign)
        purge_queues(queue, bulk)
        caps.disable()
    latencies = [(sent - created).total_seconds() for created, sent, _s in texts if sent]
    return {
        "recipients": SMALL if small else 200_000,
        "added": len(ids),
        "sent": len(latencies),
        "statuses": sorted({s for _c, _sent, s in texts}),
        "p50": statistics.median(latencies) if latencies else None,
        "p95": pct(latencies, 95) if latencies else None,
        "max": max(latencies) if latencies else None,
        "campaign_pace": campaign_pace,
        "window": window,
    }


def report(results: dict, machine: str) -> str:
    r = results
    return "\n".join(
        [
            "# A person waiting for a message goes first",
            "",
            f"Machine: {machine}",
            "",
            f"A {r['recipients']:,}-recipient SMS campaign of the same shop sends at the default rates"
            " (5 texts a second per shop, 30 for the platform) through one worker (concurrency 2, as in"
            " the compose file);"
            f" meanwhile {r['added']} customers are added with the SMS opt-in box ticked, one every"
            f" {EVERY:.0f} s. Save → provider hand-over of each opt-in text (its `sent_at` − `created_at`);"
            " the provider answers after 50 ms.",
            "",
            "| opt-in texts | handed over | p50 (s) | p95 (s) | max (s) | campaign meanwhile (texts/s) |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {r['added']} | {r['sent']} | {r['p50']:.2f} | {r['p95']:.2f} | {r['max']:.2f} "
            f"| {r['campaign_pace']:.1f} |",
            "",
        ]
    )
