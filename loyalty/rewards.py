"""Rewards given: a completed card's (once: the one-redemption-per-card constraint), or points spent on
the program's catalogue; and what a card's rule lets the customer take."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from loyalty.codes import code_normal
from loyalty.models import Card, LedgerEntry, Product, Program, ProgramVersion
from loyalty.sales import Ledger, customer_locked

Reward = ProgramVersion.Reward
Kind = Program.Kind
Source = LedgerEntry.Source


@dataclass(frozen=True)
class RewardItem:
    code: str
    name: str  # '' for a code the catalogue does not know
    price: Decimal | None


MAX_ITEMS = 50


def reward_items(card: Card) -> list[RewardItem]:
    """What the customer may take for a completed card under its rule: the same products as punched, any
    qualifying product, or one worth no more than the cheapest punched (when prices are known); nothing to
    choose for an amount or a percentage off, or cash back. A qualifying code the catalogue does not know
    is offered by its code. Dearest first."""
    rule = card.version
    if rule.reward in (Reward.AMOUNT_OFF, Reward.PERCENT_OFF, Reward.CASH_BACK):
        return []
    if rule.reward == Reward.SAME_PRODUCT:
        codes = list(
            dict.fromkeys(
                LedgerEntry.objects.filter(
                    shop=card.shop_id, customer=card.customer_id, card=card, kind=LedgerEntry.Kind.PUNCH
                )
                .order_by("pk")
                .values_list("item_code", flat=True)
            )
        )
        where = Q(code__in=codes)
    else:
        codes = list(rule.codes)
        where = Q(code__in=codes) | Q(brand__in=rule.brands) if rule.brands else Q(code__in=codes)
    known = {p.code: p for p in Product.objects.filter(shop=card.shop_id).filter(where)[: MAX_ITEMS * 2]}
    items = [RewardItem(code=p.code, name=p.name, price=p.price) for p in known.values()]
    items += [RewardItem(code=code, name="", price=None) for code in codes if code and code not in known]
    if rule.reward == Reward.LESSER_OR_EQUAL and card.lowest_price is not None:
        items = [item for item in items if item.price is not None and item.price <= card.lowest_price]
    items.sort(key=lambda item: (item.price is None, -(item.price or 0), item.name or item.code))
    return items[:MAX_ITEMS]


def customer_address(customer: Customer) -> str:
    """The postal address on file, on one line ('' when there is none)."""
    parts = [
        customer.address_line1,
        customer.address_line2,
        f"{customer.postal_code} {customer.city}".strip(),
    ]
    return ", ".join(part for part in parts if part)


def reward_value(card: Card, item: RewardItem | None) -> Decimal | None:
    rule = card.version
    if rule.reward == Reward.AMOUNT_OFF:
        return rule.reward_amount
    if rule.reward == Reward.CASH_BACK:
        return (card.amount * (rule.reward_percent or 0) / 100).quantize(Decimal("0.01"))
    if rule.reward == Reward.PERCENT_OFF:
        return None
    return item.price if item is not None else None


@transaction.atomic
def card_redeem(
    *,
    shop,
    by,
    customer,
    card_id: int,
    item_code: str = "",
    email: str = "",
    address: str = "",
    source: str = Source.TILL,
) -> LedgerEntry:
    """Give the reward of a completed card: the item the rule allows (when it gives an item), what the
    program needs recorded at redemption (an email, a postal address), once."""
    customer = customer_locked(shop, customer)
    card = (
        Card.objects.select_related("version", "program")
        .filter(shop=shop, customer=customer, pk=card_id)
        .first()
    )
    if card is None:
        raise ValidationError({"card": _("This card is not one of this customer's.")})
    if card.status == Card.Status.REDEEMED:
        raise ValidationError({"card": _("This reward was already given.")})
    if card.status != Card.Status.COMPLETE:
        raise ValidationError(
            {
                "card": _("This card is not complete yet: %(have)d of %(need)d.")
                % {"have": card.punches, "need": card.needed}
            }
        )
    rule = card.version
    errors = {}
    item = None
    allowed = reward_items(card)
    if rule.reward in (Reward.SAME_PRODUCT, Reward.ANY_QUALIFYING, Reward.LESSER_OR_EQUAL):
        code = code_normal(item_code)
        item = next((p for p in allowed if p.code == code), None)
        if not code:
            errors["item_code"] = _("Choose the free item.")
        elif item is None:
            errors["item_code"] = _("This item is not one the card's rule gives free.")
    email = str(email or "").strip()
    address = " ".join(str(address or "").split())
    if rule.required_at_redemption == ProgramVersion.Required.EMAIL:
        email = email or customer.email
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("The program needs the customer's email at redemption: enter a valid one.")
    if rule.required_at_redemption == ProgramVersion.Required.ADDRESS:
        address = address or customer_address(customer)
        if len(address) < 8:
            errors["address"] = _("The program needs the customer's postal address at redemption.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    ledger = Ledger(shop=shop, customer=customer, by=by, source=source, at=now)
    entry = ledger.entry(
        card.program,
        card,
        LedgerEntry.Kind.REDEMPTION,
        redeems=card,
        item_code=item.code if item else "",
        item_name=item.name if item else "",
        value=reward_value(card, item),
        captured_email=email if rule.required_at_redemption == ProgramVersion.Required.EMAIL else "",
        captured_address=address[:300]
        if rule.required_at_redemption == ProgramVersion.Required.ADDRESS
        else "",
    )
    card.status, card.redeemed_at = Card.Status.REDEEMED, now
    ledger.touched[card.pk] = card
    try:
        with transaction.atomic():
            ledger.save()
    except IntegrityError:
        raise ValidationError({"card": _("This reward was already given.")}) from None
    return entry


@transaction.atomic
def points_redeem(
    *, shop, by, customer, program_id: int, reward_points: int, source: str = Source.TILL
) -> LedgerEntry:
    """Spend points on a reward of the program's catalogue."""
    customer = customer_locked(shop, customer)
    program = (
        Program.objects.select_related("current").filter(shop=shop, pk=program_id, kind=Kind.POINTS).first()
    )
    if program is None:
        raise ValidationError({"reward": _("Choose a reward.")})
    reward = next((r for r in program.current.rewards if r["points"] == reward_points), None)
    if reward is None:
        raise ValidationError({"reward": _("Choose a reward of the catalogue.")})
    card = Card.objects.filter(shop=shop, customer=customer, program=program, status=Card.Status.OPEN).first()
    balance = card.points if card else 0
    if balance < reward["points"]:
        raise ValidationError(
            {
                "reward": _("Not enough points: %(have)d of %(need)d.")
                % {"have": balance, "need": reward["points"]}
            }
        )
    now = timezone.now()
    ledger = Ledger(shop=shop, customer=customer, by=by, source=source, at=now)
    card.points -= reward["points"]
    ledger.touched[card.pk] = card
    entry = ledger.entry(
        program, card, LedgerEntry.Kind.REDEMPTION, points=-reward["points"], item_name=reward["name"]
    )
    ledger.save()
    return entry
