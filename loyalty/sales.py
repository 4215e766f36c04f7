"""Sales and what they earn: `sale_record` (the till, the POS API and imports all record a sale through it),
the ledger's entries and the cards' caches, and `line_reverse` for a refund or a mistaken scan.

Every act on a customer's cards runs in one transaction that first locks the customer's row: two tills, or
a till and a POS retry, on the same customer take turns, so a punch is never lost or doubled. The ledger is
appended to, never edited; a card's `punches` / `points` are its sums, kept in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerTag
from customers.services import customer_tags_set
from loyalty.amounts import amount_parse, quantity_parse
from loyalty.codes import code_normal
from loyalty.models import Card, LedgerEntry, Product, Program, ProgramVersion, Sale, SaleLine

MAX_LINES = 200

Kind = Program.Kind
Source = LedgerEntry.Source


# --- sales --------------------------------------------------------------------------------------------


@dataclass
class LineIn:
    code: str
    quantity: int = 1
    unit_price: Decimal | None = None
    amount: Decimal | None = None


@dataclass
class SaleResult:
    sale: Sale
    created: bool
    lines: list[SaleLine] = field(default_factory=list)
    completed: list[Card] = field(default_factory=list)  # cards this sale completed
    points: int = 0
    programs: list = field(default_factory=list)  # the programs running, as the sale found them
    points_by_card: dict = field(default_factory=dict)
    tiers: list = field(default_factory=list)  # tags of the lifetime tiers this sale reached


def _lines_checked(lines: list[LineIn]) -> list[LineIn]:
    if not lines:
        raise ValidationError({"lines": _("A sale needs at least one line.")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("At most %(n)d lines in a sale.") % {"n": MAX_LINES}})
    checked = []
    for line in lines:
        code = code_normal(line.code)
        if not code:
            raise ValidationError({"code": _("Scan or type a product code.")})
        checked.append(
            LineIn(
                code=code,
                quantity=quantity_parse(line.quantity),
                unit_price=amount_parse(line.unit_price, field_name="unit_price"),
                amount=amount_parse(line.amount, field_name="amount"),
            )
        )
    return checked


def customer_locked(shop, customer) -> Customer:
    return Customer.objects.select_for_update(of=("self",)).get(shop=shop, pk=customer.pk)


def _programs_active(shop) -> list[Program]:
    return list(
        Program.objects.filter(shop=shop, paused_at__isnull=True, current__isnull=False)
        .select_related("current")
        .order_by("pk")
    )


def cards_loaded(shop, cards, programs=()) -> list[Card]:
    """`cards` (a queryset without joins) read, with their programs and rule versions attached from
    `programs` or, for the others, one small query each. A join would let the planner start from the
    programs and walk the shop-wide (shop, status, program) index — 200,000 points accounts for one
    customer's cards."""
    cards = list(cards)
    known = {program.pk: program for program in programs}
    missing = {card.program_id for card in cards} - known.keys()
    if missing:
        known.update(
            {p.pk: p for p in Program.objects.filter(shop=shop, pk__in=missing).select_related("current")}
        )
    versions = {p.current_id: p.current for p in known.values() if p.current_id}
    missing = {card.version_id for card in cards} - versions.keys()
    if missing:
        versions.update({v.pk: v for v in ProgramVersion.objects.filter(shop=shop, pk__in=missing)})
    for card in cards:
        card.program, card.version = known[card.program_id], versions[card.version_id]
    return cards


def _cards_open(shop, customer, programs) -> dict[int, Card]:
    cards = Card.objects.filter(shop=shop, customer=customer, status=Card.Status.OPEN)
    return {card.program_id: card for card in cards_loaded(shop, cards, programs)}


def sale_record(
    *, shop, customer, by, lines: list[LineIn], source: str = Sale.Source.TILL, external_id: str = "", at=None
) -> SaleResult:
    """Record a sale of `customer` and everything it earns: punches on each program's card it qualifies for
    (overflow starting the next card), points, the customer's visit and total spent. A sale whose
    `external_id` this shop already has is that sale again (created=False): a POS that delivers twice
    counts once. Bad input raises ValidationError next to the field before anything is written."""
    lines = _lines_checked(lines)
    external_id = str(external_id or "").strip()[:100]
    if external_id:
        existing = Sale.objects.filter(shop=shop, external_id=external_id).first()
        if existing is not None:
            return SaleResult(sale=existing, created=False, lines=list(existing.lines.all()))
    if not external_id:
        # Nothing here can clash once the input is checked (the customer's row is locked first): no
        # savepoint, two round trips fewer at every scan.
        with transaction.atomic(savepoint=False):
            return _sale_write(shop, customer, by, lines, source, external_id, at or timezone.now())
    try:
        with transaction.atomic():
            return _sale_write(shop, customer, by, lines, source, external_id, at or timezone.now())
    except IntegrityError:
        # The same external id delivered twice at once: the other delivery recorded it.
        existing = Sale.objects.filter(shop=shop, external_id=external_id).first() if external_id else None
        if existing is None:
            raise
        return SaleResult(sale=existing, created=False, lines=list(existing.lines.all()))


def _sale_write(shop, customer, by, lines: list[LineIn], source, external_id, at) -> SaleResult:
    products = {p.code: p for p in Product.objects.filter(shop=shop, code__in={line.code for line in lines})}
    rows = []
    for line in lines:
        product = products.get(line.code)
        unit = line.unit_price if line.unit_price is not None else (product.price if product else None)
        amount = (
            line.amount
            if line.amount is not None
            else (unit * line.quantity if unit is not None else Decimal("0"))
        )
        if unit is None and line.amount is not None and line.quantity:
            unit = (line.amount / line.quantity).quantize(Decimal("0.01"))
        rows.append(
            SaleLine(
                shop=shop,
                customer=customer,
                code=line.code,
                product=product,
                name=product.name if product else "",
                brand=product.brand if product else "",
                quantity=line.quantity,
                unit_price=unit,
                amount=amount,
                at=at,
            )
        )
    total = sum((row.amount for row in rows), Decimal("0"))
    _customer_visit_locked(shop, customer, at, total)
    sale = Sale.objects.create(
        shop=shop, customer=customer, external_id=external_id, source=source, by=by, at=at, total=total
    )
    for row in rows:
        row.sale = sale
    rows = SaleLine.objects.bulk_create(rows)
    result = SaleResult(sale=sale, created=True, lines=rows)
    ledger = Ledger(shop=shop, customer=customer, by=by, source=_source_of(source), at=at)
    for row in rows:
        ledger.line_earn(row, result)
    ledger.save()
    ledger.tiers_reached(result)
    result.programs = ledger.programs
    return result


def _source_of(sale_source: str) -> str:
    return {Sale.Source.TILL: Source.TILL, Sale.Source.API: Source.API, Sale.Source.IMPORT: Source.IMPORT}[
        sale_source
    ]


def _customer_visit_locked(shop, customer: Customer, at, spent: Decimal) -> None:
    """Lock the customer's row and count the sale, in one statement: a visit (once a day, in the shop's
    time) and what they spent. Two tills on one customer take turns from here to the commit."""
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            update {table} c
               set total_spent = coalesce(c.total_spent, 0) + %(spent)s,
                   visit_count = c.visit_count + case
                       when c.last_visit_at is null
                         or (c.last_visit_at at time zone %(zone)s)::date <> %(day)s then 1 else 0 end,
                   last_visit_at = greatest(c.last_visit_at, %(at)s),
                   first_visit_at = least(coalesce(c.first_visit_at, %(at)s), %(at)s)
             where c.shop_id = %(shop)s and c.id = %(id)s
            returning c.id
            """,  # noqa: S608 - the table's name
            {
                "spent": spent,
                "zone": str(shop.tzinfo),
                "day": timezone.localtime(at, shop.tzinfo).date(),
                "at": at,
                "shop": shop.pk,
                "id": customer.pk,
            },
        )
        if cursor.fetchone() is None:
            raise Customer.DoesNotExist


class Ledger:
    """The entries and card changes of one act on one customer (whose row is locked), written together."""

    def __init__(self, *, shop, customer, by, source, at):
        self.shop, self.customer, self.by, self.source, self.at = shop, customer, by, source, at
        self.programs = _programs_active(shop)
        self.open = _cards_open(shop, customer, self.programs)
        self.entries: list[LedgerEntry] = []
        self.touched: dict[int, Card] = {}

    def entry(self, program, card, kind, **values) -> LedgerEntry:
        entry = LedgerEntry(
            shop=self.shop,
            customer=self.customer,
            program=program,
            card=card,
            kind=kind,
            source=self.source,
            by=self.by,
            at=self.at,
            **values,
        )
        self.entries.append(entry)
        return entry

    def card_open(self, program: Program) -> Card:
        card = self.open.get(program.pk)
        expiry = card.version.punch_expiry_days if card is not None else None
        if expiry and card.punches > 0 and card.opened_at < self.at - dt.timedelta(days=expiry):
            # Its first punch is older than the program allows: the card lapses, the punch starts another.
            self._expire(program, card)
            card = None
        if card is None:
            self.closed_save()  # a card just completed or lapsed leaves the "one open card" slot first
            card = Card.objects.create(
                shop=self.shop,
                customer=self.customer,
                program=program,
                version=program.current,
                opened_at=self.at,
            )
            card.version = program.current
            self.open[program.pk] = card
        return card

    def _expire(self, program, card: Card) -> None:
        self.entry(program, card, LedgerEntry.Kind.ADJUSTMENT, punches=-card.punches, reason="expired")
        card.punches, card.status = 0, Card.Status.EXPIRED
        self.touched[card.pk] = card
        del self.open[program.pk]

    def line_earn(self, line: SaleLine, result: SaleResult) -> None:
        for program in self.programs:
            if program.kind == Kind.POINTS:
                self._points(program, line, result)
                continue
            open_card = self.open.get(program.pk)
            rule = open_card.version if open_card is not None else program.current
            if not rule.qualifies(line.code, line.brand):
                continue
            self._punch(program, line, line.quantity, result)

    def _punch(self, program, line: SaleLine, quantity: int, result: SaleResult) -> None:
        self._punches(program, quantity, result, kind=LedgerEntry.Kind.PUNCH, line=line)

    def punches_add(self, program, punches: int, result: SaleResult, *, reason: str = "") -> None:
        """Opening card progress (an import's): OPENING rows, overflowing onto the next card."""
        self._punches(program, punches, result, kind=LedgerEntry.Kind.OPENING, reason=reason)

    def _punches(self, program, quantity: int, result: SaleResult, *, kind, line=None, reason="") -> None:
        """`quantity` punches of `program`: each card filled to its count, the rest starting the next."""
        price = line.unit_price if line is not None else None
        while quantity > 0:
            card = self.card_open(program)
            take = min(quantity, max(card.needed - card.punches, 0)) or quantity
            card.punches += take
            if price is not None:
                card.amount += price * take
                card.lowest_price = min(card.lowest_price, price) if card.lowest_price is not None else price
            self.entry(
                program,
                card,
                kind,
                punches=take,
                amount=(price or 0) * take,
                line=line,
                item_code=line.code if line is not None else "",
                reason=reason[:200],
            )
            self.touched[card.pk] = card
            if card.punches >= card.needed:
                card.status, card.completed_at = Card.Status.COMPLETE, self.at
                del self.open[program.pk]
                result.completed.append(card)
            quantity -= take

    def _points(self, program, line: SaleLine, result: SaleResult) -> None:
        rule = program.current
        if line.amount <= 0 or not rule.qualifies(line.code, line.brand):
            return
        points = points_for(rule, line.amount, timezone.localtime(self.at, self.shop.tzinfo).weekday())
        if points <= 0:
            return
        card = self.card_open(program)
        card.points += points
        card.earned += points
        self.touched[card.pk] = card
        self.entry(
            program,
            card,
            LedgerEntry.Kind.POINTS,
            points=points,
            amount=line.amount,
            line=line,
            item_code=line.code,
        )
        result.points += points
        result.points_by_card[card.pk] = result.points_by_card.get(card.pk, 0) + points

    def tiers_reached(self, result: SaleResult) -> None:
        """Give the customer the tag of every lifetime tier their points passed in this act."""
        reached = []
        for card in self.touched.values():
            tiers = card.version.tiers if card.program.kind == Kind.POINTS else []
            before = card.earned - result.points_by_card.get(card.pk, 0)
            reached += [t["tag"] for t in tiers if before < t["points"] <= card.earned]
        if reached:
            names = list(
                CustomerTag.objects.filter(shop=self.shop, customer=self.customer).values_list(
                    "tag__name", flat=True
                )
            )
            customer_tags_set(shop=self.shop, by=self.by, customer=self.customer, names=names + reached)
            result.tiers = reached

    def closed_save(self) -> None:
        for card in self.touched.values():
            if card.status != Card.Status.OPEN:
                self._card_save(card)

    CARD_FIELDS = (
        "punches",
        "points",
        "earned",
        "amount",
        "lowest_price",
        "status",
        "completed_at",
        "redeemed_at",
    )

    def save(self) -> None:
        LedgerEntry.objects.bulk_create(self.entries)
        if len(self.touched) == 1:
            self._card_save(next(iter(self.touched.values())))
        elif self.touched:
            Card.objects.bulk_update(list(self.touched.values()), self.CARD_FIELDS)

    @staticmethod
    def _card_save(card: Card) -> None:
        card.save(update_fields=Ledger.CARD_FIELDS)

    def punches_take_back(self, program: Program, wanted: int, value: Decimal, refund: SaleLine, reason: str):
        """Take `wanted` punches (worth `value`) of a refunded line back from the newest cards still
        holding them: an overflow card first, then the completed card before it, which waits again."""
        holders = list(
            Card.objects.filter(
                shop=self.shop,
                customer=self.customer,
                program=program,
                status__in=[Card.Status.OPEN, Card.Status.COMPLETE],
                punches__gt=0,
            )
            .select_related("version")
            .order_by("-opened_at", "-pk")
        )
        unit = value / wanted if wanted else Decimal("0")
        taken_any = False
        for card in holders:
            if wanted <= 0:
                break
            take = min(wanted, card.punches)
            card.punches -= take
            card.amount = max(card.amount - unit * take, Decimal("0"))
            wanted -= take
            taken_any = True
            self.touched[card.pk] = card
            self.entry(program, card, LedgerEntry.Kind.REVERSAL, punches=-take, line=refund, reason=reason)
            if card.status == Card.Status.COMPLETE and card.punches < card.needed:
                self._reopen(program, card)
        if not taken_any:
            # Every card it punched was redeemed and nothing is left to take: recorded, nothing changes.
            self.entry(
                program,
                None,
                LedgerEntry.Kind.REVERSAL,
                line=refund,
                reason=f"{reason}: the reward was already redeemed"[:200],
            )

    def _reopen(self, program: Program, card: Card) -> None:
        """A completed card fell below its count: it is the open card again. The open card after it (an
        overflow's) hands its punches over and is void."""
        later = (
            next(
                (
                    c
                    for c in self.touched.values()
                    if c.program_id == program.pk and c.status == Card.Status.OPEN
                ),
                None,
            )
            or Card.objects.filter(
                shop=self.shop, customer=self.customer, program=program, status=Card.Status.OPEN
            )
            .exclude(pk=card.pk)
            .first()
        )
        if later is not None and later.pk != card.pk:
            later = self.touched.get(later.pk, later)
            if later.punches > 0:
                moved = later.punches
                self.entry(
                    program,
                    later,
                    LedgerEntry.Kind.ADJUSTMENT,
                    punches=-moved,
                    reason="moved to the reopened card",
                )
                self.entry(
                    program,
                    card,
                    LedgerEntry.Kind.ADJUSTMENT,
                    punches=moved,
                    reason="moved from the later card",
                )
                card.punches += moved
                card.amount += later.amount
                later.punches, later.amount = 0, Decimal("0")
            later.status = Card.Status.VOID
            self.touched[later.pk] = later
            self._card_save(later)  # out of the "one open card" slot before this card takes it
        card.status, card.completed_at = Card.Status.OPEN, None
        if card.punches >= card.needed:
            card.status, card.completed_at = Card.Status.COMPLETE, self.at


def points_for(rule: ProgramVersion, amount: Decimal, weekday: int) -> int:
    """Points for `amount` spent on `weekday` (0 = Monday) under `rule`: per unit, times the bonus days'
    multiplier, rounded as the program says."""
    raw = amount * (rule.points_per_unit or Decimal("1"))
    if weekday in (rule.bonus_weekdays or []) and rule.bonus_multiplier:
        raw *= rule.bonus_multiplier
    rounding = ROUND_HALF_UP if rule.rounding == ProgramVersion.Rounding.NEAREST else ROUND_DOWN
    return int(raw.quantize(Decimal("1"), rounding=rounding))


# --- reversals ----------------------------------------------------------------------------------------


@transaction.atomic
def line_reverse(
    *, shop, by, customer, line_id: int, reason: str = "", source: str = Source.TILL
) -> SaleLine:
    """Refund a line (or undo a mistaken scan): a new line with the opposite quantity, and a reversal in the
    ledger for every punch and point it earned; nothing is deleted. Punches come back from the newest
    card still holding them (an overflow card first); a card that falls below its count waits again.
    A line is reversed once."""
    customer = customer_locked(shop, customer)
    line = SaleLine.objects.filter(shop=shop, customer=customer, pk=line_id, reverses__isnull=True).first()
    if line is None:
        raise ValidationError({"line": _("This line is not one of this customer's purchases.")})
    if SaleLine.objects.filter(shop=shop, customer=customer, reverses=line).exists():
        raise ValidationError({"line": _("This line was already refunded.")})
    now = timezone.now()
    refund = SaleLine.objects.create(
        shop=shop,
        sale=line.sale,
        customer=customer,
        code=line.code,
        product=line.product,
        name=line.name,
        brand=line.brand,
        quantity=-line.quantity,
        unit_price=line.unit_price,
        amount=-line.amount,
        reverses=line,
        at=now,
    )
    ledger = Ledger(shop=shop, customer=customer, by=by, source=source, at=now)
    earned = LedgerEntry.objects.filter(
        shop=shop, customer=customer, line=line, kind__in=[LedgerEntry.Kind.PUNCH, LedgerEntry.Kind.POINTS]
    ).select_related("program")
    reason = " ".join(str(reason or "").split())[:200] or "refund"
    punched: dict[int, tuple[Program, int, Decimal]] = {}
    for entry in earned:
        if entry.kind == LedgerEntry.Kind.POINTS:
            # Refunds take points back, even below zero when they were spent meanwhile.
            card = ledger.touched.get(entry.card_id) or Card.objects.get(shop=shop, pk=entry.card_id)
            card.points -= entry.points
            card.earned -= entry.points
            ledger.touched[card.pk] = card
            ledger.entry(
                entry.program,
                card,
                LedgerEntry.Kind.REVERSAL,
                points=-entry.points,
                line=refund,
                reverses=entry,
                reason=reason,
            )
        else:
            program, total, value = punched.get(entry.program_id, (entry.program, 0, Decimal("0")))
            punched[entry.program_id] = (program, total + entry.punches, value + entry.amount)
    for program, total, value in punched.values():
        ledger.punches_take_back(program, total, value, refund, reason)
    ledger.save()
    Customer.objects.filter(shop=shop, pk=customer.pk).update(
        total_spent=Coalesce(F("total_spent"), Decimal("0")) - line.amount
    )
    return refund
