"""What the sealed tenant boundary costs, against the first form (a plain `app.shop_id` setting), measured
back to back on the same data, the same connection and the same query mix:

- entering a shop: one `shopcrm_tenant_enter(…)` statement (proof checked, seal written) against one
  `set_config('app.shop_id', …), set_config('app.user_id', …)` statement, each in its own transaction — the
  middleware runs exactly one of these per request;
- the till's search (the lookup benchmark's 360-query mix): under the sealed policies, then with the policies
  of the customer tables put back, for the measure only, to the first form (the owner swaps them and swaps
  them back, in `finally`).
"""

from __future__ import annotations

import random
import time

from django.db import connection, connections, transaction

from bench.lookup import TILL_RESULTS, build_queries, pct
from customers.search import customer_search
from shopcrm import tenancy
from shopcrm.models import Shop
from shopcrm.rls import POLICY, TENANT_SHOP
from shopcrm.selectors import shop_by_slug

from .dataset import BIG_SHOP_SLUG

ENTERS = 3000
TABLES = [
    "customers_customer",
    "customers_namekey",
    "customers_customertag",
    "customers_tag",
    "customers_pet",
]
FIRST_FORM = "shop_id = nullif(current_setting('app.shop_id', true), '')::bigint"


def _time_enter(shop: Shop, sealed: bool) -> list[float]:
    timings = []
    with connection.cursor() as cursor:
        for _ in range(ENTERS):
            with transaction.atomic():
                t0 = time.perf_counter()
                if sealed:
                    cursor.execute(tenancy.ENTER_SQL, tenancy._enter_args(connection, shop.pk, 1))
                else:
                    cursor.execute(
                        "select set_config('app.shop_id', %s, true), set_config('app.user_id', %s, true)",
                        [str(shop.pk), "1"],
                    )
                timings.append((time.perf_counter() - t0) * 1000)
    return timings


def _policies(form: str) -> None:
    with connections["owner"].cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"alter policy {POLICY} on {table} using ({form}) with check ({form})")


def _time_search(shop: Shop, queries: list[str], first_form: bool) -> list[float]:
    timings = []
    for rounds in range(2):  # the first round warms caches and is not kept
        for query in queries:
            with shop_entered(shop, first_form):
                t0 = time.perf_counter()
                customer_search(shop=shop, query=query, limit=TILL_RESULTS)
                elapsed = (time.perf_counter() - t0) * 1000
            if rounds:
                timings.append(elapsed)
    return timings


class shop_entered:
    """The sealed shop_context, plus the first form's setting when its policies are in place."""

    def __init__(self, shop: Shop, first_form: bool):
        self.context = tenancy.shop_context(shop)
        self.shop, self.first_form = shop, first_form

    def __enter__(self):
        self.context.__enter__()
        if self.first_form:
            with connection.cursor() as cursor:
                cursor.execute("select set_config('app.shop_id', %s, true)", [str(self.shop.pk)])

    def __exit__(self, *exc):
        return self.context.__exit__(*exc)


def run(log=print) -> dict:
    shop = shop_by_slug(BIG_SHOP_SLUG)
    queries = [s.query for s in build_queries(shop, random.Random(42))]
    results = {}
    log("  entering a shop: sealed, then first form…")
    results["enter_sealed"] = _time_enter(shop, sealed=True)
    results["enter_first"] = _time_enter(shop, sealed=False)
    log("  the till's search under the sealed policies…")
    results["search_sealed"] = _time_search(shop, queries, first_form=False)
    log("  the till's search under the first form's policies…")
    _policies(FIRST_FORM)
    try:
        results["search_first"] = _time_search(shop, queries, first_form=True)
    finally:
        _policies(TENANT_SHOP)
    log("  …and sealed again (the order does not favour either)")
    results["search_sealed_again"] = _time_search(shop, queries, first_form=False)
    return results


def report(results: dict, machine: str) -> str:
    def row(name, values):
        return f"| {name} | {pct(values, 50):.3f} | {pct(values, 95):.3f} | {pct(values, 99):.3f} |"

    sealed = results["search_sealed"] + results["search_sealed_again"]
    first = results["search_first"]
    enter_cost = pct(results["enter_sealed"], 50) - pct(results["enter_first"], 50)
    search_cost = pct(sealed, 95) - pct(first, 95)
    return "\n".join(
        [
            "# Tenant boundary benchmark: the sealed form against the first form",
            "",
            f"- Machine: {machine}",
            f"- Entering: {ENTERS} transactions each; search: the lookup mix ({len(first)} queries) on the "
            "200,000-customer shop, in-process, one warm-up round not kept; times in ms.",
            "",
            "| measure | p50 | p95 | p99 |",
            "| --- | ---: | ---: | ---: |",
            row("enter: `shopcrm_tenant_enter` (sealed)", results["enter_sealed"]),
            row("enter: `set_config` × 2 (first form)", results["enter_first"]),
            row("till search, sealed policies", sealed),
            row("till search, first-form policies", first),
            "",
            f"Per request: entering costs {enter_cost:+.3f} ms at p50; the search {search_cost:+.3f} ms "
            "at p95.",
            "",
        ]
    )
