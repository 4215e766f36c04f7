"""Redemption reports: what the shop gave free per program, manufacturer and distributor over a period,
grouped into credit batches the distributor reimburses (uncredited, then credited), downloadable as CSV or
XLSX; and the outstanding liability (points held, cards in progress, rewards waiting).

Every figure is one aggregate over the ledger's redemption rows (the partial index on shop, program and
date serves the period), so a year of 100,000 redemptions stays a single scan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.models import Card, CreditBatch, CreditBatchItem, LedgerEntry, LoyaltySettings, Program

MAX_PERIOD_DAYS = 366 * 2


@dataclass
class ReportGroup:
    program: Program
    manufacturer: str
    distributor: str
    account_number: str
    count: int
    value: Decimal
    uncredited: int  # redemptions not yet in a batch


def period_checked(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """A period of whole days (both included); ValidationError next to the field that is wrong."""
    if start is None:
        raise ValidationError({"start": _("Enter the first day of the period.")})
    if end is None:
        raise ValidationError({"end": _("Enter the last day of the period.")})
    if end < start:
        raise ValidationError({"end": _("The last day comes before the first.")})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError({"end": _("At most two years at a time.")})
    return start, end


def _bounds(shop, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = shop.tzinfo
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min), zone)
    after = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), zone)
    return begin, after


def redemptions(shop, start: dt.date, end: dt.date, *, program_id: int | None = None):
    """The card redemptions of the period (points rewards are the shop's own, never reimbursed)."""
    begin, after = _bounds(shop, start, end)
    rows = LedgerEntry.objects.filter(
        shop=shop, kind=LedgerEntry.Kind.REDEMPTION, at__gte=begin, at__lt=after, redeems__isnull=False
    )
    if program_id is not None:
        rows = rows.filter(program_id=program_id)
    training = training_customer_id(shop)
    if training is not None:
        rows = rows.exclude(customer_id=training)  # practice at the till, never reimbursed
    return rows


def training_customer_id(shop) -> int | None:
    return (
        LoyaltySettings.objects.filter(shop=shop, training_customer__isnull=False)
        .values_list("training_customer_id", flat=True)
        .first()
    )


def report_groups(*, shop, start: dt.date, end: dt.date) -> list[ReportGroup]:
    """Per program (with its manufacturer, distributor and account), the redemptions of the period: how
    many, their value, and how many are in no batch yet."""
    in_batch = CreditBatchItem.objects.filter(shop=shop, entry_id=OuterRef("pk"))
    rows = (
        redemptions(shop, start, end)
        .annotate(batched=Exists(in_batch))
        .values("program_id")
        .annotate(
            count=Count("pk"),
            value=Sum("value", default=Decimal("0")),
            uncredited=Count("pk", filter=Q(batched=False)),
        )
        .order_by()
    )
    programs = {p.pk: p for p in Program.objects.filter(shop=shop).select_related("current")}
    groups = []
    for row in rows:
        program = programs[row["program_id"]]
        rule = program.current
        groups.append(
            ReportGroup(
                program=program,
                manufacturer=rule.manufacturer,
                distributor=rule.distributor,
                account_number=rule.account_number,
                count=row["count"],
                value=row["value"],
                uncredited=row["uncredited"],
            )
        )
    return sorted(groups, key=lambda g: (g.distributor.casefold(), g.program.name.casefold()))


@transaction.atomic
def batch_create(*, shop, by, program_id: int, start: dt.date, end: dt.date) -> CreditBatch:
    """Put every redemption of the program in the period that is in no batch yet into a new batch."""
    start, end = period_checked(start, end)
    program = Program.objects.select_related("current").filter(shop=shop, pk=program_id).first()
    if program is None:
        raise ValidationError(_("Choose a program of this shop."))
    # One batch at a time per program: two admins pressing at once do not share redemptions.
    Program.objects.select_for_update().filter(shop=shop, pk=program.pk).first()
    entries = list(
        redemptions(shop, start, end, program_id=program.pk)
        .exclude(Exists(CreditBatchItem.objects.filter(shop=shop, entry_id=OuterRef("pk"))))
        .values_list("pk", "value")
    )
    if not entries:
        raise ValidationError(_("Every redemption of this program in the period is already in a batch."))
    rule = program.current
    batch = CreditBatch.objects.create(
        shop=shop,
        program=program,
        manufacturer=rule.manufacturer,
        distributor=rule.distributor,
        account_number=rule.account_number,
        period_start=start,
        period_end=end,
        count=len(entries),
        value=sum((value or Decimal("0") for _pk, value in entries), Decimal("0")),
        by=by,
    )
    try:
        with transaction.atomic():
            CreditBatchItem.objects.bulk_create(
                [CreditBatchItem(shop=shop, batch=batch, entry_id=pk) for pk, _value in entries]
            )
    except IntegrityError:
        raise ValidationError(
            _("Another batch took some of these redemptions meanwhile: try again.")
        ) from None
    return batch


@transaction.atomic
def batch_credit(*, shop, batch_id: int, reference: str = "") -> CreditBatch:
    """The distributor's credit for the batch arrived (with its reference, if any)."""
    batch = CreditBatch.objects.select_for_update().filter(shop=shop, pk=batch_id).first()
    if batch is None:
        raise ValidationError(_("This batch is not one of this shop's."))
    if batch.credited_at is None:
        batch.credited_at = timezone.now()
        batch.credit_reference = " ".join(str(reference or "").split())[:100]
        batch.save(update_fields=["credited_at", "credit_reference"])
    return batch


def batches(*, shop, limit: int = 100) -> list[CreditBatch]:
    return list(
        CreditBatch.objects.filter(shop=shop)
        .select_related("program")
        .order_by("credited_at", "-created_at")[:limit]
    )


def batch_rows(*, shop, batch_id: int) -> tuple[CreditBatch, list[str], list[tuple]]:
    """A batch as the distributor wants it: one line per free item (no customer named)."""
    batch = CreditBatch.objects.select_related("program").get(shop=shop, pk=batch_id)
    header = [
        _("Date"),
        _("Program"),
        _("Manufacturer"),
        _("Distributor"),
        _("Account number"),
        _("Product code"),
        _("Product"),
        _("Value"),
    ]
    entries = (
        LedgerEntry.objects.filter(shop=shop, credit_item__batch=batch)
        .order_by("at", "pk")
        .values_list("at", "item_code", "item_name", "value")
    )
    zone = shop.tzinfo
    rows = [
        (
            timezone.localtime(at, zone).date().isoformat(),
            batch.program.name,
            batch.manufacturer,
            batch.distributor,
            batch.account_number,
            code,
            name,
            value if value is not None else "",
        )
        for at, code, name, value in entries.iterator(chunk_size=2000)
    ]
    return batch, header, rows


@dataclass
class Liability:
    points: int  # held by customers, all points programs
    cards_in_progress: int
    punches_in_progress: int
    rewards_waiting: int
    rewards_waiting_value: Decimal  # where the reward has a known value (amounts off, cash back)


def liability(*, shop) -> Liability:
    """What the shop owes its customers now."""
    open_cards = Card.objects.filter(shop=shop, status=Card.Status.OPEN)
    points = open_cards.filter(program__kind=Program.Kind.POINTS).aggregate(n=Sum("points", default=0))["n"]
    progress = open_cards.exclude(program__kind=Program.Kind.POINTS).aggregate(
        cards=Count("pk"), punches=Sum("punches", default=0)
    )
    Reward = Card.version.field.related_model.Reward
    waiting = Card.objects.filter(shop=shop, status=Card.Status.COMPLETE).aggregate(
        n=Count("pk"),
        amounts=Sum(
            "version__reward_amount", filter=Q(version__reward=Reward.AMOUNT_OFF), default=Decimal("0")
        ),
        cash=Sum(
            F("amount") * F("version__reward_percent") / 100,
            filter=Q(version__reward=Reward.CASH_BACK),
            default=Decimal("0"),
        ),
    )
    value = (waiting["amounts"] + waiting["cash"]).quantize(Decimal("0.01"))
    return Liability(
        points=max(points, 0),
        cards_in_progress=progress["cards"],
        punches_in_progress=progress["punches"],
        rewards_waiting=waiting["n"],
        rewards_waiting_value=value,
    )
