"""Opening balances a shop brings from its previous software (an import's “Points balance” and “Purchases on
the loyalty card” columns), each written as an OPENING ledger row from the import: the points go to the
shop's points program, the purchases to its loyalty card (the first of its running frequent-buyer programs,
else its first card program), overflowing onto the next card as purchases do. A customer who already has an
opening balance on a program gets no second one, so importing the same file again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from customers.models import Customer
from loyalty.models import LedgerEntry, Program
from loyalty.sales import Ledger, SaleResult

MAX_POINTS = 10_000_000
MAX_PUNCHES = 1_000


@dataclass
class Openings:
    points: int = 0  # customers given an opening points balance
    punches: int = 0  # customers given opening card progress
    already: int = 0  # balances skipped: the customer had one already
    no_program: int = 0  # balances skipped: the shop runs no program of that kind


def opening_programs(shop) -> tuple[Program | None, Program | None]:
    """(the points program, the card program) opening balances go to."""
    running = list(
        Program.objects.filter(shop=shop, paused_at__isnull=True).select_related("current").order_by("pk")
    )
    points = next((p for p in running if p.kind == Program.Kind.POINTS), None)
    cards = [p for p in running if p.kind != Program.Kind.POINTS]
    card = next((p for p in cards if p.kind == Program.Kind.FREQUENT_BUYER), None) or next(iter(cards), None)
    return points, card


def openings_record(*, shop, by, balances: dict[int, dict], reason: str = "") -> Openings:
    """`balances`: customer id → {"points": n, "punches": n} (either may be missing). Runs in the caller's
    transaction (the import's)."""
    done = Openings()
    if not balances:
        return done
    points_program, card_program = opening_programs(shop)
    programs = [p for p in (points_program, card_program) if p is not None]
    had = set(
        LedgerEntry.objects.filter(
            shop=shop,
            customer_id__in=list(balances),
            kind=LedgerEntry.Kind.OPENING,
            program__in=programs,
        ).values_list("customer_id", "program_id")
    )
    customers = {c.pk: c for c in Customer.objects.filter(shop=shop, pk__in=list(balances))}
    now = timezone.now()
    for customer_id, wanted in balances.items():
        customer = customers.get(customer_id)
        if customer is None:
            continue
        ledger = Ledger(shop=shop, customer=customer, by=by, source=LedgerEntry.Source.IMPORT, at=now)
        for key, program in (("points", points_program), ("punches", card_program)):
            amount = wanted.get(key) or 0
            if amount <= 0:
                continue
            if program is None:
                done.no_program += 1
            elif (customer_id, program.pk) in had:
                done.already += 1
            elif key == "points":
                card = ledger.card_open(program)
                card.points += amount
                card.earned += amount
                ledger.touched[card.pk] = card
                ledger.entry(program, card, LedgerEntry.Kind.OPENING, points=amount, reason=reason[:200])
                done.points += 1
            else:
                ledger.punches_add(program, amount, SaleResult(sale=None, created=False), reason=reason)
                done.punches += 1
        ledger.save()
    return done
