"""Loyalty's reads: the checkout screen's section (today's purchases, cards, rewards waiting, points), a
customer's summary for the till and their page, programs and the catalogue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from loyalty.models import Card, LedgerEntry, LoyaltySettings, Product, Program, SaleLine
from loyalty.rewards import reward_items, reward_value
from loyalty.sales import cards_loaded

Kind = Program.Kind


@dataclass
class TodayLine:
    line: SaleLine
    programs: list[str]  # the programs it punched or earned points in
    refunded: bool


@dataclass
class PointsState:
    program: Program
    balance: int
    rewards: list[dict]  # the catalogue, each with "reachable"
    nearest: dict | None  # the cheapest reward not yet reachable, with "missing"


@dataclass
class CustomerLoyalty:
    programs: bool  # the shop has a program running
    today: list[TodayLine] = field(default_factory=list)
    waiting: list[Card] = field(default_factory=list)  # rewards earned, with .items and .value set
    cards: list[Card] = field(default_factory=list)  # open cards with progress
    points: list[PointsState] = field(default_factory=list)


def programs_active(*, shop) -> list[Program]:
    return list(
        Program.objects.filter(shop=shop, paused_at__isnull=True, current__isnull=False)
        .select_related("current")
        .order_by("name")
    )


def customer_loyalty(*, shop, customer, today_only: bool = True, programs=None) -> CustomerLoyalty:
    """Everything the checkout screen shows of loyalty for `customer` (`programs`: the running ones, when
    the caller has just read them)."""
    active = sorted(programs, key=lambda p: p.name) if programs is not None else programs_active(shop=shop)
    state = CustomerLoyalty(programs=bool(active))
    cards = cards_loaded(
        shop,
        Card.objects.filter(
            shop=shop, customer=customer, status__in=[Card.Status.OPEN, Card.Status.COMPLETE]
        ).order_by("opened_at", "pk"),
        active,
    )
    for card in cards:
        if card.program.kind == Kind.POINTS:
            continue
        if card.status == Card.Status.COMPLETE:
            state.waiting.append(_reward_described(card))
        else:
            card.progress = [index < card.punches for index in range(card.needed)]
            state.cards.append(card)
    balances = {card.program_id: card.points for card in cards if card.program.kind == Kind.POINTS}
    for program in active:
        if program.kind == Kind.POINTS:
            state.points.append(points_state(program, balances.get(program.pk, 0)))
    since = timezone.localtime(timezone.now(), shop.tzinfo).replace(hour=0, minute=0, second=0, microsecond=0)
    state.today = today_lines(shop=shop, customer=customer, since=since if today_only else None)
    return state


def points_state(program: Program, balance: int) -> PointsState:
    rewards = [{**reward, "reachable": balance >= reward["points"]} for reward in program.current.rewards]
    nearest = next(
        ({**reward, "missing": reward["points"] - balance} for reward in rewards if not reward["reachable"]),
        None,
    )
    return PointsState(program=program, balance=balance, rewards=rewards, nearest=nearest)


def today_lines(*, shop, customer, since: dt.datetime | None, limit: int = 50) -> list[TodayLine]:
    """The customer's purchase lines since `since` (newest first), each with the programs it counted in
    and whether it was refunded (refund lines themselves are shown on the line they reverse). One query,
    through the customer's (shop, customer, at) indexes: under row-level security a plan starts from the
    shop."""
    earned = (
        LedgerEntry.objects.filter(
            shop=shop, customer=customer, line=OuterRef("pk"), kind__in=[LedgerEntry.Kind.PUNCH, "points"]
        )
        .order_by()
        .values("program__name")
        .distinct()
    )
    refunds = SaleLine.objects.filter(shop=shop, customer=customer, reverses=OuterRef("pk"))
    lines = SaleLine.objects.filter(shop=shop, customer=customer, reverses__isnull=True)
    if since is not None:
        lines = lines.filter(at__gte=since)
    lines = lines.annotate(refunded=Exists(refunds), programs=ArraySubquery(earned)).order_by("-at", "-pk")
    return [
        TodayLine(line=line, programs=sorted(line.programs), refunded=line.refunded) for line in lines[:limit]
    ]


def loyalty_summaries(*, shop, customer_ids: list[int]) -> dict[int, dict]:
    """For the till's result cards: per customer, their points (summed over points programs) and how many
    rewards wait. Two queries for the whole page of results."""
    summaries: dict[int, dict] = {}
    if not customer_ids:
        return summaries
    # No join (see `sales.cards_loaded`): the programs' kinds come from their own small query.
    kinds = dict(Program.objects.filter(shop=shop).values_list("pk", "kind"))
    if not kinds:
        return summaries  # a shop without loyalty pays one small query a search, not two
    rows = Card.objects.filter(
        shop=shop, customer_id__in=customer_ids, status__in=[Card.Status.OPEN, Card.Status.COMPLETE]
    ).values_list("customer_id", "status", "points", "program_id")
    for customer_id, status, points, program_id in rows:
        kind = kinds.get(program_id)
        summary = summaries.setdefault(customer_id, {"points": 0, "waiting": 0, "has_points": False})
        if kind == Kind.POINTS:
            summary["points"] += points
            summary["has_points"] = True
        elif status == Card.Status.COMPLETE:
            summary["waiting"] += 1
    return summaries


def program_list(*, shop) -> list[Program]:
    programs = list(
        Program.objects.filter(shop=shop)
        .select_related("current")
        .order_by(F("paused_at").asc(nulls_first=True), "name")  # running ones first
    )
    counts: dict[tuple[int, str], int] = {
        (program_id, status): n
        for program_id, status, n in Card.objects.filter(
            shop=shop, status__in=[Card.Status.OPEN, Card.Status.COMPLETE]
        )
        .values_list("program_id", "status")
        .annotate(n=Count("pk"))
    }
    for program in programs:
        program.open_cards = counts.get((program.pk, Card.Status.OPEN), 0)
        program.waiting = counts.get((program.pk, Card.Status.COMPLETE), 0)
    return programs


def program_get(*, shop, pk: int) -> Program:
    return Program.objects.select_related("current").get(shop=shop, pk=pk)


def product_list(*, shop, query: str = "") -> QuerySet[Product]:
    products = Product.objects.filter(shop=shop)
    query = " ".join(query.split())
    if query:
        products = products.filter(
            Q(code__icontains=query) | Q(name__icontains=query) | Q(brand__icontains=query)
        )
    return products.order_by("name", "pk")


def rewards_given(*, shop, customer, limit: int = 10) -> list[LedgerEntry]:
    """The customer's last redemptions (cards and points), newest first."""
    return list(
        LedgerEntry.objects.filter(shop=shop, customer=customer, kind=LedgerEntry.Kind.REDEMPTION)
        .select_related("program")
        .order_by("-at", "-pk")[:limit]
    )


def training_customer(*, shop):
    """The customer staff practise on, if the shop named one."""
    row = LoyaltySettings.objects.filter(shop=shop).select_related("training_customer").first()
    return row.training_customer if row else None


def _reward_described(card: Card) -> Card:
    card.items = reward_items(card)
    card.value = reward_value(card, None)
    return card


def reward_waiting(*, shop, customer, card_id: int) -> Card | None:
    """One of the customer's completed cards, with what its rule gives (None: not theirs, or not waiting)."""
    cards = cards_loaded(
        shop, Card.objects.filter(shop=shop, customer=customer, pk=card_id, status=Card.Status.COMPLETE)
    )
    return _reward_described(cards[0]) if cards else None
