"""Markdown reports for bench/results/."""

from __future__ import annotations

from bench.lookup import EXACT, KINDS, PER_KIND, pct
from shopcrm.tenancy import cross_shop


def _row(label, values):
    return f"| {label} | {pct(values, 50):.2f} | {pct(values, 95):.2f} | {pct(values, 99):.2f} |"


def lookup_report(samples, shop, *, machine: str, load: dict | None) -> str:
    with cross_shop("bench report: dataset size") as platform, platform.cursor() as cursor:
        cursor.execute("select count(*), count(distinct shop_id) from customers_customer")
        total, shops = cursor.fetchone()
    lines = [
        "# Till lookup benchmark",
        "",
        f"- Machine: {machine}",
        f"- Dataset: {total:,} customers in {shops} shops; queried shop “{shop.name}” holds 200,000.",
    ]
    if load:
        lines.append(f"- Dataset load (COPY + INSERT … SELECT + indexes): {load['seconds']:.0f} s")
    lines += [
        f"- Queries: {len(samples)} (at most {PER_KIND} per kind), fixed seed; times in ms.",
        "- (a) selector: `customers.search.customer_search` in-process, the till's 12 cards materialised;",
        "  (b) HTTP: POST /checkout/ (htmx fragment) through gunicorn (2 sync workers) on loopback,",
        "  signed in; (c) SQL: sum of EXPLAIN ANALYZE execution times of the statements the selector ran;",
        "  (d) peer: Django-admin-style `search_fields` icontains over 6 columns + the changelist",
        "  COUNT(*) + a page of 100.",
        "",
        "## Whole mix",
        "",
        "| measure | p50 | p95 | p99 |",
        "| --- | ---: | ---: | ---: |",
        _row("(a) selector", [s.selector_ms for s in samples]),
        _row("(b) HTTP", [s.http_ms for s in samples]),
        _row("(b0) HTTP floor: signed-in no-op view", [s.extra.get("floor_ms", 0.0) for s in samples]),
        _row("(c) raw SQL", [s.sql_ms for s in samples]),
        _row("(d) icontains peer", [s.peer_ms for s in samples]),
        "",
    ]
    sel95 = pct([s.selector_ms for s in samples], 95)
    sql95 = pct([s.sql_ms for s in samples], 95)
    http95 = pct([s.http_ms for s in samples], 95)
    peer95 = pct([s.peer_ms for s in samples], 95)
    floor95 = pct([s.extra.get("floor_ms", 0.0) for s in samples], 95)
    lines += [
        f"Selector p95 / SQL p95 = {sel95 / sql95 if sql95 else 0:.1f}×; "
        f"icontains p95 / selector p95 = {peer95 / sel95 if sel95 else 0:.0f}×; HTTP p95 = {http95:.1f} ms "
        f"= {http95 / floor95 if floor95 else 0:.2f}× the no-op floor's p95 ({floor95:.1f} ms).",
        "",
        "## By kind (p50 / p95 / p99)",
        "",
        "Recall: the share of queries whose customer (the one the query was made from) is among the 12",
        "cards. Kinds marked * name one customer, so recall must be 100 %; for the others (a prefix, a",
        "pet's name, a surname word) many customers match and the cards show the best-ranked 12.",
        "",
        "| kind | (a) selector | (b) HTTP | (c) SQL | (d) icontains | median hits | recall |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in KINDS:
        ks = [s for s in samples if s.kind == kind]
        if not ks:
            continue

        def trio(values):
            return f"{pct(values, 50):.2f} / {pct(values, 95):.2f} / {pct(values, 99):.2f}"

        hits = sorted(s.hits for s in ks)[len(ks) // 2]
        recall = 100 * sum(s.found for s in ks) / len(ks)
        lines.append(
            f"| {kind}{' *' if kind in EXACT else ''} | {trio([s.selector_ms for s in ks])} | "
            f"{trio([s.http_ms for s in ks])} | {trio([s.sql_ms for s in ks])} | "
            f"{trio([s.peer_ms for s in ks])} | {hits} | {recall:.0f} % |"
        )
    lines += [
        "",
        "Examples of queries per kind: "
        + "; ".join(
            f"{k}: `{next(s.query for s in samples if s.kind == k)}`"
            for k in KINDS
            if any(s.kind == k for s in samples)
        ),
        "",
    ]
    return "\n".join(lines)
