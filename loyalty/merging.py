"""Loyalty's part in merging two customers (and undoing it), and in erasing one.

A merge moves the other customer's cards, sales, lines and ledger rows to the survivor. Where both have an
open card of the same program (a customer can hold one), the other's punches and points move onto the
survivor's card by a pair of ledger adjustments and its card is void. Everything moved is recorded in the
merge's snapshot, so that undoing it gives back exactly that, adjustments reversed by adjustments.

Erasing a customer keeps the ledger without the person (its customer becomes NULL, by the foreign key);
what was asked at a redemption (an email, a postal address) is blanked here, the reimbursement record stays.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from customers.models import Customer
from customers.signals import customers_merged, merge_undone
from loyalty.models import Card, LedgerEntry, Sale, SaleLine

MOVED = (Card, Sale, SaleLine, LedgerEntry)
KEY = "loyalty"


def _adjust(shop, customer, card: Card, *, punches: int, points: int, reason: str) -> LedgerEntry:
    return LedgerEntry.objects.create(
        shop=shop,
        customer=customer,
        program_id=card.program_id,
        card=card,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        source=LedgerEntry.Source.ADJUSTMENT,
        punches=punches,
        points=points,
        reason=reason,
    )


@receiver(customers_merged)
def cards_merge(sender, *, shop, survivor, other, snapshot, **kwargs) -> None:
    record = {"moved": {}, "combined": []}
    kept_open = {
        card.program_id: card
        for card in Card.objects.select_related("program", "version").filter(
            shop=shop, customer=survivor, status=Card.Status.OPEN
        )
    }
    for card in Card.objects.filter(shop=shop, customer=other, status=Card.Status.OPEN):
        into = kept_open.get(card.program_id)
        if into is None:
            continue
        # Both hold an open card of this program: the other's is emptied onto the survivor's.
        punches, points, amount, earned = card.punches, card.points, card.amount, card.earned
        out = _adjust(shop, other, card, punches=-punches, points=-points, reason="merged into another card")
        back = _adjust(shop, other, into, punches=punches, points=points, reason="merged from another card")
        card.punches, card.points, card.amount, card.status = 0, 0, Decimal("0"), Card.Status.VOID
        card.earned = 0
        card.save(update_fields=["punches", "points", "earned", "amount", "status"])
        before = into.status
        into.punches += punches
        into.points += points
        into.amount += amount
        into.earned += earned
        if into.program.uses_cards and into.punches >= into.needed:
            into.status = Card.Status.COMPLETE
        into.save(update_fields=["punches", "points", "earned", "amount", "status"])
        record["combined"].append(
            {
                "voided": card.pk,
                "into": into.pk,
                "punches": punches,
                "points": points,
                "amount": str(amount),
                "earned": earned,
                "into_status": before,
                "entries": [out.pk, back.pk],
            }
        )
    for model in MOVED:
        ids = list(model.objects.filter(shop=shop, customer=other).values_list("pk", flat=True))
        model.objects.filter(shop=shop, pk__in=ids).update(customer=survivor)
        record["moved"][model._meta.label] = ids
    snapshot[KEY] = record


@receiver(merge_undone)
def cards_unmerge(sender, *, shop, survivor, other, snapshot, **kwargs) -> None:
    record = snapshot.get(KEY)
    if not record:
        return
    for model in MOVED:
        ids = record["moved"].get(model._meta.label, [])
        model.objects.filter(shop=shop, pk__in=ids, customer=survivor).update(customer=other)
    # Rows the adjustments wrote belong to the other customer again, with their cards.
    for combined in record["combined"]:
        voided = Card.objects.get(shop=shop, pk=combined["voided"])
        into = Card.objects.select_related("program", "version").get(shop=shop, pk=combined["into"])
        punches, points = combined["punches"], combined["points"]
        LedgerEntry.objects.filter(shop=shop, pk__in=combined["entries"]).update(customer=other)
        _adjust(shop, survivor, into, punches=-punches, points=-points, reason="merge undone")
        _adjust(shop, other, voided, punches=punches, points=points, reason="merge undone")
        into.punches -= punches
        into.points -= points
        into.amount -= Decimal(combined["amount"])
        into.earned -= combined.get("earned", 0)
        if into.status == Card.Status.COMPLETE and into.punches < into.needed:
            into.status = combined["into_status"]
        into.save(update_fields=["punches", "points", "earned", "amount", "status"])
        voided.punches, voided.points, voided.amount = punches, points, Decimal(combined["amount"])
        voided.earned, voided.status = combined.get("earned", 0), Card.Status.OPEN
        voided.save(update_fields=["punches", "points", "earned", "amount", "status"])


@receiver(pre_delete, sender=Customer)
def redemptions_keep_without_the_person(sender, instance, **kwargs) -> None:
    LedgerEntry.objects.filter(shop_id=instance.shop_id, customer=instance).exclude(
        captured_email="", captured_address=""
    ).update(captured_email="", captured_address="")
