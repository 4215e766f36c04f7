"""Till lookup benchmark against the largest bench shop (200,000 customers).

For a fixed mix of realistic queries it measures (a) the selector alone, (b) the full HTTP request through
gunicorn on loopback, (c) the SQL the selector ran, as EXPLAIN ANALYZE execution time, and (d) the peer: a
Django-admin-style `search_fields` icontains filter with the changelist's COUNT(*).
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field

import phonenumbers
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from checkout.views import TILL_RESULTS
from customers.models import Customer, Pet
from customers.normalise import name_key
from customers.search import customer_search
from shopcrm.models import Role, Shop
from shopcrm.selectors import shop_by_slug
from shopcrm.services import staff_create
from shopcrm.tenancy import shop_context

from .dataset import BIG_SHOP_SLUG
from .http import gunicorn, signed_in_session

BENCH_EMAIL = "bench@bench.example"
BENCH_PASSWORD = "bench-lookup-password"  # noqa: S105 (a bench-only account)
PER_KIND = 40
KINDS = [
    "name prefix (2–5 letters)",
    "misspelt name",
    "accentless name",
    "phone, national format",
    "phone, international format",
    "phone, digits only",
    "phone, last 4 digits",
    "email prefix",
    "internal ID",
    "phone start, national (4–9 digits)",
    "phone start, international (4–9 digits)",
    "inner surname word",
    "compound first name + last name",
    "second person's name",
    "pet name",
    "other email",
]
# Kinds whose query names one customer: the expected one must be among the cards every time.
EXACT = {
    "phone, national format",
    "phone, international format",
    "phone, digits only",
    "internal ID",
    "compound first name + last name",
    "second person's name",
    "other email",
}


@dataclass
class Sample:
    kind: str
    query: str
    selector_ms: float = 0.0
    sql_ms: float = 0.0
    http_ms: float = 0.0
    peer_ms: float = 0.0
    hits: int = 0
    expected: int | None = None  # the customer the query was made from
    found: bool = False  # …among the till's cards
    extra: dict = field(default_factory=dict)


def _misspell(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def build_queries(shop: Shop, rng: random.Random) -> list[Sample]:
    with shop_context(shop):
        ids = list(Customer.objects.filter(shop=shop).values_list("pk", flat=True)[::50])
        fields = ("pk", "first_name", "last_name", "phone", "email", "internal_id", "last_name_key")
        fields += ("first_name_key", "also_name", "also_name_key", "secondary_emails")
        rows = list(Customer.objects.filter(pk__in=rng.sample(ids, min(len(ids), 1500))).values(*fields))
        # Rarer shapes, sampled on their own so that each kind has enough queries.
        for condition in (
            {"last_name_key__contains": " "},
            {"first_name_key__contains": " "},
            {"also_name_key__gt": ""},
            {"secondary_emails__len__gt": 0},
        ):
            rows += list(Customer.objects.filter(shop=shop, **condition).values(*fields)[: 4 * PER_KIND])
        pets = list(Pet.objects.filter(shop=shop).values("owner_id", "name")[: 4 * PER_KIND])
    rng.shuffle(rows)
    region = shop.country
    samples: list[Sample] = []

    def add(kind, items):
        """`items`: queries, or (query, expected customer) pairs."""
        for item in items[:PER_KIND]:
            query, expected = item if isinstance(item, tuple) else (item, None)
            samples.append(Sample(kind, query, expected=expected))

    add(KINDS[0], [r["last_name_key"][: rng.randint(2, 5)] for r in rows if len(r["last_name_key"]) >= 5])
    add(
        KINDS[1],
        [_misspell(r["last_name_key"], rng) for r in rows if re.fullmatch(r"[a-z]{6,}", r["last_name_key"])],
    )
    accented = [
        r
        for r in rows
        if name_key(r["last_name"] + r["first_name"]) != (r["last_name"] + r["first_name"]).lower()
    ]
    add(KINDS[2], [(f"{name_key(r['first_name'])} {name_key(r['last_name'])}", r["pk"]) for r in accented])
    with_phone = [r for r in rows if r["phone"]]
    fmt = phonenumbers.PhoneNumberFormat

    def pn(r):
        return phonenumbers.parse(str(r["phone"]), region)

    add(KINDS[3], [(phonenumbers.format_number(pn(r), fmt.NATIONAL), r["pk"]) for r in with_phone])
    add(
        KINDS[4],
        [(phonenumbers.format_number(pn(r), fmt.INTERNATIONAL), r["pk"]) for r in with_phone[PER_KIND:]],
    )
    add(
        KINDS[5],
        [
            (re.sub(r"\D", "", phonenumbers.format_number(pn(r), fmt.NATIONAL)), r["pk"])
            for r in with_phone[2 * PER_KIND :]
        ],
    )
    add(KINDS[6], [(str(r["phone"])[-4:], r["pk"]) for r in with_phone[3 * PER_KIND :]])
    add(KINDS[7], [(r["email"][: rng.randint(4, 8)], r["pk"]) for r in rows if r["email"]])
    add(KINDS[8], [(r["internal_id"], r["pk"]) for r in rows if r["internal_id"]])
    add(KINDS[9], [(_typed_start(pn(r), fmt.NATIONAL, rng), r["pk"]) for r in with_phone[4 * PER_KIND :]])
    add(
        KINDS[10],
        [(_typed_start(pn(r), fmt.INTERNATIONAL, rng), r["pk"]) for r in with_phone[5 * PER_KIND :]],
    )
    add(
        KINDS[11],
        [(rng.choice(r["last_name_key"].split(" ")[1:]), r["pk"]) for r in rows if " " in r["last_name_key"]],
    )
    # A whole name names one customer only where nobody else has it (several Jean-Pierre Bernard are all
    # rightly found, and may fill the cards).
    with shop_context(shop):
        unique = [
            r
            for r in rows
            if " " in r["first_name_key"]
            and Customer.objects.filter(
                shop=shop, first_name_key=r["first_name_key"], last_name_key=r["last_name_key"]
            ).count()
            == 1
        ]
    add(KINDS[12], [(f"{r['first_name_key']} {r['last_name_key']}", r["pk"]) for r in unique])
    # A second person with a first and last name of their own names one person ("Marie" + a common surname
    # does not, nor a compound first name alone, "Jean-Pierre").
    add(KINDS[13], [(r["also_name_key"], r["pk"]) for r in rows if " " in r["also_name"]])
    add(KINDS[14], [(p["name"], p["owner_id"]) for p in pets])
    add(KINDS[15], [(r["secondary_emails"][0], r["pk"]) for r in rows if r["secondary_emails"]])
    return samples


def _typed_start(number, form, rng: random.Random) -> str:
    """The number as the cashier has typed it so far: its first 4 to 9 digits, in `form`."""
    shown = phonenumbers.format_number(number, form)
    wanted, seen = rng.randint(4, 9), 0
    for i, ch in enumerate(shown):
        seen += ch.isdigit()
        if seen == wanted:
            return shown[: i + 1]
    return shown


def _explain_ms(sql: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("explain (analyze, format json) " + sql)
        plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else plan
    return float(plan["Execution Time"])


def measure_selector_and_sql(shop: Shop, samples: list[Sample]) -> None:
    for s in samples[:50]:  # warm caches and the connection
        with shop_context(shop):
            customer_search(shop=shop, query=s.query, limit=TILL_RESULTS)
    for s in samples:
        with shop_context(shop):
            t0 = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                results = customer_search(shop=shop, query=s.query, limit=TILL_RESULTS)
            s.selector_ms = (time.perf_counter() - t0) * 1000
            s.hits = len(results)
            s.found = s.expected in {c.pk for c in results}
            queries = [q["sql"] for q in captured.captured_queries if "customers_customer" in q["sql"]]
            s.sql_ms = sum(_explain_ms(sql) for sql in queries)
            s.extra["statements"] = len(queries)


def admin_icontains(shop: Shop, query: str) -> None:
    """What ModelAdmin.search_fields does: every term icontains over every field, then the changelist
    counts the matches and fetches a page."""
    qs = Customer.objects.filter(shop=shop)
    for term in query.split():
        cond = Q()
        for f in ("first_name", "last_name", "email", "phone", "internal_id", "company_name"):
            cond |= Q(**{f"{f}__icontains": term})
        qs = qs.filter(cond)
    qs.count()
    list(qs.order_by("-pk")[:100])


def measure_peer(shop: Shop, samples: list[Sample]) -> None:
    for s in samples[:5]:
        with shop_context(shop):
            admin_icontains(shop, s.query)
    for s in samples:
        with shop_context(shop):
            t0 = time.perf_counter()
            admin_icontains(shop, s.query)
            s.peer_ms = (time.perf_counter() - t0) * 1000


def measure_http(shop: Shop, samples: list[Sample]) -> None:
    staff_create(shop=shop, email=BENCH_EMAIL, password=BENCH_PASSWORD, role=Role.CASHIER)
    with gunicorn() as base:
        session = signed_in_session(base, BENCH_EMAIL, BENCH_PASSWORD)
        headers = {
            "HX-Request": "true",
            "X-CSRFToken": session.cookies["csrftoken"],
            "Referer": f"{base}/checkout/",
        }
        for s in samples[:30]:
            session.post(f"{base}/checkout/", data={"q": s.query}, headers=headers, timeout=10)
            session.post(f"{base}/bench/noop/", data={"q": s.query}, headers=headers, timeout=10)
        for s in samples:
            t0 = time.perf_counter()
            response = session.post(f"{base}/checkout/", data={"q": s.query}, headers=headers, timeout=10)
            s.http_ms = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code} for a bench query")
            # The floor, interleaved: the same request to a signed-in view that does nothing.
            t0 = time.perf_counter()
            response = session.post(f"{base}/bench/noop/", data={"q": s.query}, headers=headers, timeout=10)
            s.extra["floor_ms"] = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code} for the no-op floor")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def run(log=print) -> tuple[list[Sample], Shop]:
    shop = shop_by_slug(BIG_SHOP_SLUG)
    rng = random.Random(42)
    samples = build_queries(shop, rng)
    log(f"  {len(samples)} queries; selector + EXPLAIN ANALYZE…")
    measure_selector_and_sql(shop, samples)
    log("  HTTP through gunicorn…")
    measure_http(shop, samples)
    log("  admin-style icontains peer…")
    measure_peer(shop, samples)
    return samples, shop
