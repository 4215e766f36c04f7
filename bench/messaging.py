"""Create-customer benchmark: the till's save with both messages queued, through gunicorn on loopback, with
a real Celery worker; once with an instant provider and once with a provider that takes 2 s per message.

Reports the request p50/p95/p99 and the time from save to hand-over to the provider (p50/p95/p99).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

from django.utils import timezone

from bench.http import celery_worker_command, free_port, signed_in_session
from bench.lookup import pct
from messaging.models import OutboundMessage
from shopcrm.models import Role, Shop
from shopcrm.services import shop_create, staff_create
from shopcrm.tenancy import shop_context

SHOP_SLUG = "bench-messaging"
EMAIL = "bench-till@bench.example"
PASSWORD = "bench-messaging-password"  # noqa: S105 (a bench-only account)
REQUESTS = 120


def _shop() -> Shop:
    from bench.dataset import reset

    reset(SHOP_SLUG)  # a clean shop each run: the same phones are created again
    shop = shop_create(
        name="Bench messaging",
        slug=SHOP_SLUG,
        country="FR",
        language="fr",
        timezone="Europe/Paris",
        # Texts must say how to reach the shop (HELP): without a contact the till refuses the opt-in box.
        contact_phone="01 23 45 67 89",
    )
    staff_create(shop=shop, email=EMAIL, password=PASSWORD, role=Role.CASHIER)
    return shop


def _start(cmd: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _round(shop: Shop, provider_delay: float, run: int) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopcrm.settings.bench",
        "EMAIL_BACKEND": "bench.slow_backends.EmailBackend",
        "SMS_BACKEND": "bench.slow_backends.SmsBackend",
        "BENCH_PROVIDER_DELAY": str(provider_delay),
        "CELERY_QUEUE": f"bench-{os.getpid()}-{run}",
        # Texts wait for the shop's legal hours; at night every opt-in text would be held, not measured.
        "SMS_SEND_WINDOWS": "false",
    }
    port = free_port()
    web = _start(
        [sys.executable, "-m", "gunicorn", "shopcrm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env,
    )
    worker = _start(celery_worker_command(env["CELERY_QUEUE"]), env)
    base = f"http://127.0.0.1:{port}"
    latencies = []
    started_at = timezone.now()
    try:
        session = signed_in_session(base, EMAIL, PASSWORD)
        headers = {"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{base}/customers/new/"}
        count = REQUESTS if provider_delay == 0 else REQUESTS // 2
        for i in range(count + 10):
            data = {
                "type": "individual",
                "first_name": "Bench",
                "last_name": f"Client {run}-{i}",
                "phone": f"06{run:02d}{i:06d}",
                "email": f"bench.{run}.{i}@example.com",
                "send_sms_opt_in": "on",
                "send_welcome_email": "on",
            }
            t0 = time.perf_counter()
            response = session.post(
                f"{base}/customers/new/", data=data, headers=headers, timeout=30, allow_redirects=False
            )
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 302:
                errors = re.findall(r'class="field__error"[^>]*>(.*?)</div>', response.text, re.S)
                raise RuntimeError(f"create answered {response.status_code}: {' '.join(errors)[:300]}")
            if i >= 10:  # the first requests warm the workers
                latencies.append(elapsed)
        handover, unsent = [], None
        # hand-over: each message's `sent_at` is stamped when the provider returned; subtract its delay.
        # With a slow provider one worker needs count x 2 x delay to drain: only the requests are measured.
        deadline = time.monotonic() + 60
        with shop_context(shop) if provider_delay == 0 else _nothing():
            qs = OutboundMessage.objects.filter(shop=shop, created_at__gte=started_at)
            if provider_delay:
                qs = OutboundMessage.objects.none()
            while time.monotonic() < deadline and qs.exclude(status="sent").exists():
                time.sleep(0.5)
            handover = [(m.sent_at - m.created_at).total_seconds() * 1000 for m in qs.filter(status="sent")]
            unsent = qs.exclude(status="sent").count()
    finally:
        for proc in (web, worker):
            proc.send_signal(signal.SIGTERM)
        for proc in (web, worker):
            proc.wait(30)
    return {"delay": provider_delay, "requests": latencies, "handover": handover, "unsent": unsent}


@contextmanager
def _nothing():
    yield


def run(log=print) -> list[dict]:
    shop = _shop()
    results = []
    for run_no, delay in enumerate((0.0, 2.0)):
        log(f"  provider delay {delay:.0f} s…")
        results.append(_round(shop, delay, run_no))
    return results


def report(results: list[dict], machine: str) -> str:
    lines = [
        "# Create-customer and messaging benchmark",
        "",
        f"- Machine: {machine}",
        f"- {REQUESTS} creates per round through gunicorn (2 sync workers) on loopback, both boxes ticked",
        "  (welcome email + SMS opt-in queued in the same transaction, published after commit); one Celery",
        "  worker (concurrency 1) on Redis sends them through backends that wait the given provider delay.",
        "- Hand-over: from the customer's save to the provider call, per message.",
        "",
        "| provider delay | request p50 | p95 | p99 | hand-over p50 | p95 | p99 | messages not sent |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        req, hand = r["requests"], r["handover"]
        handed = (
            f"{pct(hand, 50):.0f} ms | {pct(hand, 95):.0f} ms | {pct(hand, 99):.0f} ms | {r['unsent']}"
            if hand
            else "— | — | — | —"
        )
        lines.append(
            f"| {r['delay']:.0f} s | {pct(req, 50):.1f} ms | {pct(req, 95):.1f} ms | {pct(req, 99):.1f} ms | "
            f"{handed} |"
        )
    lines += [
        "",
        "With a 2 s provider one worker sends one message every 2 s, so hand-over grows with the queue: that",
        "row shows the request staying fast while the provider is slow, not a hand-over target.",
        "",
    ]
    return "\n".join(lines)
