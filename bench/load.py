"""The till under load: 50 cashiers at once, for two minutes at each of two paces, through gunicorn with the
production settings.

Each till signs in as its own cashier and serves customers one after another, as a shop does: it types a
name or a phone into the search box one character at a time (one request per keystroke, as if the browser
sent every one), lets the deferred count load when the cards are full and the typing stops, opens the
checkout screen of the customer it was looking for, and now and then adds a new customer instead. One
addition in four is a double press: the same form posted twice at once. A till waits for each answer before
its next keystroke, so at most one search per till is in flight (the client is bounded by the number of
tills).

The server is the Dockerfile's: `gunicorn shopcrm.wsgi --workers 3` with `shopcrm.settings.production`,
collected static files, sessions in Redis, on loopback. Requests say `X-Forwarded-Proto: https`, as the TLS
proxy in front of it does, so secure cookies, HSTS and the CSRF referer check all apply.

Afterwards, in the database: every customer the run added is there exactly once (none lost, none doubled),
with one "created" entry in its history and at most one welcome email. Then the run's customers are removed.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from django.db.models import Count

from bench.dataset import BIG_SHOP_SLUG
from bench.http import free_port, purge_queues
from bench.lookup import pct
from checkout.views import TILL_RESULTS as CARDS
from customers.models import Customer, CustomerChange
from messaging.models import OutboundMessage
from shopcrm.models import Role, Shop
from shopcrm.selectors import shop_by_slug
from shopcrm.services import staff_create
from shopcrm.tenancy import account_find, cross_shop, shop_context

TILLS = 50
DURATION_SECONDS = 120
WORKERS = 3  # the Dockerfile's gunicorn
PASSWORD = "bench-load-password"  # noqa: S105 (bench-only accounts)
# A run's new customers: mobile numbers the dataset never uses (+33 6 00… to +33 6 47…), and emails under
# this domain, which also mark them for removal.
NEW_DOMAIN = "load.bench.example"
# Typing speed of a cashier (seconds between keystrokes): fast, and each keystroke is a request (the till's
# box waits 200 ms for the next letter, so a browser sends fewer).
KEYSTROKE_GAP = (0.08, 0.30)
# The time spent with each customer, in seconds, for the two paces run one after the other:
PACES = {
    # about the load of the measurement made before (≈ 9,700 requests in two minutes from 50 tills);
    "reference": (3.0, 6.0),
    # every till about 60 % busier: a customer every four seconds or so at each of 50 tills.
    "stress": (1.0, 3.0),
}
CREATE_SHARE = 0.12
DOUBLE_PRESS_SHARE = 0.25
TARGET_SEARCH_P95_MS = 100

CARD_LINK = re.compile(r'href="(/checkout/[^"/]+/)"')


def new_phone(run: int, number: int) -> str:
    """A mobile the dataset does not use, as a cashier types it: 07 9r nn nn nn."""
    digits = f"{number % 10**6:06d}"
    return f"07 9{run % 10} {digits[:2]} {digits[2:4]} {digits[4:]}"


def till_email(i: int) -> str:
    return f"load-till-{i:02d}@bench.example"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    # email → answers to the create request(s) for it
    creates: dict[str, list[int]] = field(default_factory=dict)
    welcome: set[str] = field(default_factory=set)
    # query form → [checkouts, of which the searched customer was among the cards]
    found: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # CPU seconds used during the measured two minutes, by whom (see `_cpu_seconds`)
    cpu: dict[str, float] = field(default_factory=dict)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.error_examples) < 10:
            self.error_examples.append(f"{kind}: {what}")


class Till:
    """One cashier's browser: its own cookies (session, CSRF), the headers htmx sends."""

    def __init__(self, http, base: str, stats: Stats):
        self.http = http
        self.base = base
        self.stats = stats
        self.cookies: dict[str, str] = {}

    def _headers(self, referer: str, htmx: bool = False) -> dict:
        headers = {
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{self.base.split('://', 1)[1]}{referer}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        if htmx:
            headers["HX-Request"] = "true"
        return headers

    async def request(self, kind: str, method: str, path: str, *, referer: str, expect=(200,), **kwargs):
        """One request, timed under `kind`; returns (status, body), or (None, "") when it failed."""
        t0 = time.perf_counter()
        try:
            async with self.http.request(
                method,
                self.base + path,
                headers=self._headers(referer, kwargs.pop("htmx", False)),
                allow_redirects=False,
                **kwargs,
            ) as response:
                body = await response.text()
                for name, morsel in SimpleCookie(
                    "\n".join(response.headers.getall("Set-Cookie", []))
                ).items():
                    self.cookies[name] = morsel.value
        except Exception as exc:  # a refused connection or a timeout is an error of the run, not of the bench
            self.stats.error(kind, f"{type(exc).__name__} {exc}")
            return None, ""
        self.stats.latencies[kind].append((time.perf_counter() - t0) * 1000)
        if response.status not in expect:
            self.stats.error(kind, f"HTTP {response.status} for {method} {path}")
        return response.status, body

    async def sign_in(self, email: str) -> None:
        await self.request("sign-in page", "GET", "/accounts/login/", referer="/accounts/login/")
        status, _ = await self.request(
            "sign in",
            "POST",
            "/accounts/login/",
            referer="/accounts/login/",
            expect=(302,),
            data={
                "username": email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
        )
        if status != 302:
            raise RuntimeError(f"load run: {email} could not sign in ({status})")

    async def search_as_typed(self, query: str, rng: random.Random) -> str:
        """Type `query` one character at a time; returns the last answer."""
        body = ""
        for n in range(1, len(query) + 1):
            if not query[:n].strip():
                continue
            _, body = await self.request(
                "keystroke search",
                "POST",
                "/checkout/",
                referer="/checkout/",
                htmx=True,
                data={"q": query[:n]},
            )
            await asyncio.sleep(rng.uniform(*KEYSTROKE_GAP))
        if 'id="results-count"' in body:
            await self.request(
                "deferred count",
                "POST",
                "/checkout/count/",
                referer="/checkout/",
                htmx=True,
                data={"q": query},
            )
        return body

    async def serve(self, person: dict, rng: random.Random) -> None:
        """Find `person` and open their checkout screen."""
        digits = re.sub(r"\D", "", person["phone_typed"])
        full_name = "first and last name " + (
            f"(≤ {CARDS} share it)" if person["namesakes"] <= CARDS else f"(more than {CARDS} share it)"
        )
        forms = {
            full_name: f"{person['first_name']} {person['last_name']}",
            "last name": person["last_name"],
            "whole phone": person["phone_typed"],
            "last 4 digits": digits[-4:] if len(digits) >= 4 else "",
        }
        form = rng.choice([name for name, query in forms.items() if query.strip()])
        body = await self.search_as_typed(forms[form], rng)
        links = CARD_LINK.findall(body)
        wanted = f"/checkout/{person['number']}/"
        found = self.stats.found[form]
        found[0] += 1
        found[1] += wanted in links
        if links:
            await self.request(
                "checkout screen", "GET", wanted if wanted in links else links[0], referer="/checkout/"
            )

    async def add_customer(self, number: int, run: int, rng: random.Random) -> None:
        """Type a new name into the till, go on to "Add customer", fill in the contact and save."""
        first, last = rng.choice(FIRST_NAMES), f"{rng.choice(LAST_NAMES)}-{number}"
        await self.search_as_typed(f"{first} {last}", rng)
        await self.request(
            "add-customer form",
            "POST",
            "/customers/new/",
            referer="/checkout/",
            data={"prefill": "1", "q": f"{first} {last}"},
        )
        email = f"new.{run}.{number}@{NEW_DOMAIN}"
        data = {
            "type": "individual",
            "first_name": first,
            "last_name": last,
            "phone": new_phone(run, number),
            "email": email,
        }
        if rng.random() < 0.5:
            data["send_welcome_email"] = "on"
            self.stats.welcome.add(email)
        presses = 2 if rng.random() < DOUBLE_PRESS_SHARE else 1
        # A single press must save; of a double press, the one that comes second may be told the customer
        # exists already (200 with the form), as long as one of the two saved.
        expect = (302,) if presses == 1 else (200, 302)
        answers = await asyncio.gather(
            *(
                self.request(
                    "add customer",
                    "POST",
                    "/customers/new/",
                    referer="/customers/new/",
                    expect=expect,
                    data=data,
                )
                for _ in range(presses)
            )
        )
        statuses = [status for status, _ in answers]
        self.stats.creates[email] = statuses
        if 302 not in statuses:
            self.stats.error("add customer", f"neither press saved {email} ({statuses})")


FIRST_NAMES = [
    "Camille",
    "Léa",
    "Hugo",
    "Jean-Pierre",
    "Marie-Claire",
    "Yann",
    "Chloé",
    "Noé",
    "Inès",
    "Théo",
]
LAST_NAMES = ["Le Gall", "de la Fontaine", "Lacroix-Dubois", "Martin", "Van Der Berg", "Nguyen", "Rousseau"]


def _people(shop: Shop, count: int, rng: random.Random) -> list[dict]:
    """Customers of the shop for the tills to look for (sampled at random), with a phone as a cashier
    types it (national format, spaces every two digits)."""
    import phonenumbers

    with shop_context(shop):
        ids = list(Customer.objects.filter(shop=shop).values_list("pk", flat=True)[:50_000])
        chosen = rng.sample(ids, min(count, len(ids)))
        rows = list(
            Customer.objects.filter(shop=shop, pk__in=chosen).values(
                "number", "first_name", "last_name", "phone"
            )
        )
        namesakes = {
            (row["first_name"], row["last_name"]): row["n"]
            for row in Customer.objects.filter(shop=shop, last_name__in={row["last_name"] for row in rows})
            .values("first_name", "last_name")
            .annotate(n=Count("pk"))
        }
        people = []
        for row in rows:
            typed = ""
            if row["phone"]:
                typed = phonenumbers.format_number(
                    phonenumbers.parse(str(row["phone"])), phonenumbers.PhoneNumberFormat.NATIONAL
                )
            people.append(
                {**row, "phone_typed": typed, "namesakes": namesakes[(row["first_name"], row["last_name"])]}
            )
    return people


def _tills(shop: Shop) -> None:
    for i in range(TILLS):
        if account_find(till_email(i)) is None:
            staff_create(shop=shop, email=till_email(i), password=PASSWORD, role=Role.CASHIER)


def _server_env(queue: str) -> dict:
    from django.conf import settings

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopcrm.settings.production",
        # The database's tenancy functions were keyed from the bench's secret when it was migrated.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CELERY_QUEUE": queue,
        "CACHE_KEY_PREFIX": f"bench-load-{os.getpid()}",
    }


def _cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: the gunicorn workers, PostgreSQL's processes, this client, and the machine
    (busy, and stolen by the host where the kernel reports it)."""
    import psutil

    def used(proc) -> float:
        try:
            times = proc.cpu_times()
        except psutil.Error:  # a process that ended meanwhile
            return 0.0
        # With the children it has waited for: PostgreSQL's backends come and go with the connections.
        return times.user + times.system + times.children_user + times.children_system

    server = psutil.Process(server_pid)
    database = [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")]
    machine = psutil.cpu_times()
    return {
        "server": sum(used(p) for p in [server, *server.children(recursive=True)]),
        "database": sum(used(p) for p in database),
        "client": used(psutil.Process()),
        "busy": machine.user
        + machine.system
        + machine.nice
        + getattr(machine, "softirq", 0.0)
        + getattr(machine, "irq", 0.0),
        "steal": getattr(machine, "steal", 0.0),
    }


async def _drive(
    base: str, people: list[dict], stats: Stats, run: int, server_pid: int, pause: tuple[float, float]
) -> float:
    import aiohttp

    numbers = iter(range(10**6))
    connector = aiohttp.TCPConnector(
        limit=0, force_close=True
    )  # gunicorn's sync workers close each connection
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=30)
    ) as http:
        tills = [Till(http, base, stats) for _ in range(TILLS)]
        await asyncio.gather(*(t.sign_in(till_email(i)) for i, t in enumerate(tills)))
        # Sign-in, and each worker's first pages, are not part of the two minutes.
        await asyncio.gather(*(t.search_as_typed("ma", random.Random(i)) for i, t in enumerate(tills)))
        stats.latencies.clear()
        stats.errors.clear()
        cpu_before = _cpu_seconds(server_pid)
        started = time.monotonic()
        stop_at = started + DURATION_SECONDS

        async def shift(i: int, till: Till) -> None:
            rng = random.Random(1000 + i)
            await asyncio.sleep(rng.uniform(0, pause[1]))  # tills do not all start on the same beat
            while time.monotonic() < stop_at:
                if rng.random() < CREATE_SHARE:
                    await till.add_customer(next(numbers), run, rng)
                else:
                    await till.serve(rng.choice(people), rng)
                await asyncio.sleep(rng.uniform(*pause))

        await asyncio.gather(*(shift(i, t) for i, t in enumerate(tills)))
        elapsed = time.monotonic() - started
        cpu_after = _cpu_seconds(server_pid)
        stats.cpu = {who: cpu_after[who] - cpu_before[who] for who in cpu_after}
        return elapsed


def _remove_new(shop: Shop, ids: list[int] | None = None) -> None:
    """The run's new customers (or, without `ids`, any a stopped run left behind) go, with their messages."""
    with cross_shop("bench: removing the load run's new customers"):
        customers = Customer.objects.filter(shop=shop, email__endswith="@" + NEW_DOMAIN)
        if ids is not None:
            customers = customers.filter(pk__in=ids)
        OutboundMessage.objects.filter(shop=shop, customer__in=customers).delete()
        customers.delete()


def _check_customers(shop: Shop, stats: Stats) -> dict:
    """What the run's additions left in the database, then remove them."""
    with shop_context(shop):
        rows = list(
            Customer.objects.filter(shop=shop, email__endswith="@" + NEW_DOMAIN).values_list("pk", "email")
        )
        by_email = Counter(email for _, email in rows)
        ids = [pk for pk, _ in rows]
        created_entries = Counter(
            CustomerChange.objects.filter(
                shop=shop, customer_id__in=ids, action=CustomerChange.Action.CREATED
            ).values_list("customer_id", flat=True)
        )
        welcomes = Counter(
            OutboundMessage.objects.filter(
                shop=shop, customer_id__in=ids, kind=OutboundMessage.Kind.WELCOME
            ).values_list("customer_id", flat=True)
        )
    saved = {email for email, answers in stats.creates.items() if 302 in answers}
    result = {
        "answers": Counter(tuple(sorted(a)) for a in stats.creates.values() if len(a) == 2),
        "attempts": len(stats.creates),
        "double_presses": sum(len(a) == 2 for a in stats.creates.values()),
        "saved": len(saved),
        "rows": len(rows),
        "lost": sorted(saved - set(by_email)),
        "doubled": sorted(email for email, n in by_email.items() if n > 1),
        "unexpected": sorted(set(by_email) - set(stats.creates)),
        "history_wrong": sum(created_entries.get(pk, 0) != 1 for pk in ids),
        "welcome_doubled": sum(n > 1 for n in welcomes.values()),
        "welcome_missing": sum(
            1 for pk, email in rows if email in stats.welcome and welcomes.get(pk, 0) != 1
        ),
    }
    _remove_new(shop, ids)
    return result


def run(log=print) -> dict:
    shop = shop_by_slug(BIG_SHOP_SLUG)
    rng = random.Random(7)
    _tills(shop)
    _remove_new(shop)
    people = _people(shop, 2000, rng)
    queue = f"bench-load-{os.getpid()}"
    env = _server_env(queue)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], env=env, check=True
    )
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "shopcrm.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(WORKERS), "--access-logfile", "-", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    runs = []
    try:
        _wait_for(port)
        for i, (pace, pause) in enumerate(PACES.items()):
            log(f"  {pace} pace: {TILLS} tills, {DURATION_SECONDS} s, gunicorn --workers {WORKERS}…")
            stats = Stats()
            # Each pace's new customers get their own phone numbers (the run digit) and emails.
            run_digit = (int(time.time()) + i) % 10
            base = f"http://127.0.0.1:{port}"
            elapsed = asyncio.run(_drive(base, people, stats, run_digit, web.pid, pause))
            runs.append({"pace": pace, "pause": pause, "stats": stats, "elapsed": elapsed})
            runs[-1]["customers"] = _check_customers(shop, stats)
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(30)
        purge_queues(queue, f"{queue}-bulk")
    return {"runs": runs}


def _wait_for(port: int) -> None:
    import socket

    for _ in range(300):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("load run: gunicorn did not start")


def _cpu_lines(cpu: dict[str, float], requests: int, elapsed: float) -> list[str]:
    if not cpu or not requests:
        return []
    cores = os.cpu_count() or 1

    def per_request(who: str) -> str:
        return f"{cpu[who] * 1000 / requests:.1f} ms"

    lines = [
        f"CPU per request: gunicorn {per_request('server')}, PostgreSQL {per_request('database')}, this"
        f" client {per_request('client')}. The machine's {cores} cores were"
        f" {cpu['busy'] / (elapsed * cores):.0%} busy",
    ]
    if cpu["steal"] > 0.01 * elapsed:
        lines[0] += f", and the host took {cpu['steal'] / (elapsed * cores):.0%} of their time (steal)"
    lines[0] += ": past about 80 %, requests wait for a core and the search's tail grows with it."
    return [*lines, ""]


def report(results: dict, machine: str) -> str:
    runs = results["runs"]
    lines = [
        "# Till load run",
        "",
        f"- Machine: {machine}",
        f"- {TILLS} tills signed in as {TILLS} cashiers of the 200,000-customer shop, {DURATION_SECONDS} s"
        " for each pace. The client (one asyncio process, aiohttp) and the server share the machine's cores.",
        f"- Server: `gunicorn shopcrm.wsgi --workers {WORKERS}` (sync), `shopcrm.settings.production`,"
        " collected static files, sessions in Redis; loopback, requests marked as forwarded from HTTPS.",
        f"- Each till: keystrokes {KEYSTROKE_GAP[0]:.2f}–{KEYSTROKE_GAP[1]:.2f} s apart, one search request"
        " each (a browser sends fewer: the box waits 200 ms for the next letter); the count once the"
        " cards are full and the typing stops; the checkout screen; then time with the customer:"
        + "; ".join(f" {lo:.0f}–{hi:.0f} s at the {pace} pace" for pace, (lo, hi) in PACES.items())
        + f". {CREATE_SHARE:.0%} of customers are new ones added from the till; one addition in"
        f" {round(1 / DOUBLE_PRESS_SHARE)} is pressed twice at once.",
        "- The reference pace is about the load of the measurement made before this run existed"
        " (9,669 requests in two minutes, through the development server); the stress pace about 60 %"
        " more.",
        "",
        "## Summary",
        "",
        "| pace | requests | errors | keystroke search p50 / p95 / p99 | lost / doubled | cores busy |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    cores = os.cpu_count() or 1
    for r in runs:
        stats, customers = r["stats"], r["customers"]
        total = sum(len(v) for v in stats.latencies.values())
        search = stats.latencies["keystroke search"]
        busy = stats.cpu["busy"] / (r["elapsed"] * cores) if stats.cpu else 0.0
        lines.append(
            f"| {r['pace']} | {total:,} ({total / r['elapsed']:.0f}/s) | {sum(stats.errors.values())}"
            f" | {pct(search, 50):.1f} / {pct(search, 95):.1f} / {pct(search, 99):.1f} ms"
            f" | {len(customers['lost'])} / {len(customers['doubled'])} | {busy:.0%} |"
        )
    lines += [
        "",
        f"Targets: 0 errors, keystroke search p95 ≤ {TARGET_SEARCH_P95_MS} ms, no lost or doubled customer.",
        "",
    ]
    for r in runs:
        lines += _pace_report(r)
    return "\n".join(lines)


def _pace_report(r: dict) -> list[str]:
    stats: Stats = r["stats"]
    customers = r["customers"]
    total = sum(len(v) for v in stats.latencies.values())
    errors = sum(stats.errors.values())
    search = stats.latencies["keystroke search"]
    p95 = pct(search, 95)
    lo, hi = r["pause"]
    lines = [
        f"## {r['pace'].capitalize()} pace ({lo:.0f}–{hi:.0f} s with each customer)",
        "",
        "| measure | result | target |",
        "| --- | ---: | ---: |",
        f"| requests | {total:,} in {r['elapsed']:.0f} s ({total / r['elapsed']:.0f}/s) | |",
        f"| errors (5xx, refused, timeouts, unexpected answers) | {errors} | 0 |",
        f"| keystroke search p95 | {p95:.1f} ms | ≤ {TARGET_SEARCH_P95_MS} ms |",
        f"| customers added | {customers['saved']} of {customers['attempts']} attempts"
        f" ({customers['double_presses']} pressed twice) | |",
        f"| lost (saved, not in the database) | {len(customers['lost'])} | 0 |",
        f"| doubled (the same customer twice) | {len(customers['doubled'])} | 0 |",
        f"| rows no till asked for | {len(customers['unexpected'])} | 0 |",
        f"| history without exactly one “created” entry | {customers['history_wrong']} | 0 |",
        f"| welcome emails doubled / missing | {customers['welcome_doubled']}"
        f" / {customers['welcome_missing']} | 0 / 0 |",
        "",
        *_cpu_lines(stats.cpu, total, r["elapsed"]),
        "A double press: "
        + "; ".join(
            f"{n} answered {' and '.join(str(a) for a in answers)}"
            for answers, n in sorted(customers["answers"].items())
        )
        + " (302: saved; 200: the form again, saying the customer exists).",
        "",
        "### Searched customer among the cards, by what the cashier typed",
        "",
        f"A name or four digits can belong to many customers, and the till shows {CARDS} cards; a whole"
        " phone names one. A full name shared by more customers than there are cards is counted apart: the"
        " cashier then types on (a phone, a postcode) — the customer not being among the first cards is"
        " expected there.",
        "",
        "| typed | searches | customer among the cards |",
        "| --- | ---: | ---: |",
        *(
            f"| {form} | {n} | {hit / n:.0%} |"
            for form, (n, hit) in sorted(stats.found.items(), key=lambda kv: -kv[1][0])
            if n
        ),
        "",
        "### By request (ms)",
        "",
        "| request | count | p50 | p95 | p99 | max | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, values in sorted(stats.latencies.items(), key=lambda kv: -len(kv[1])):
        lines.append(
            f"| {kind} | {len(values):,} | {pct(values, 50):.1f} | {pct(values, 95):.1f}"
            f" | {pct(values, 99):.1f} | {max(values):.1f} | {stats.errors.get(kind, 0)} |"
        )
    if stats.error_examples:
        lines += ["", "Errors seen:", ""] + [f"- {e}" for e in stats.error_examples]
    lines.append("")
    return lines
