"""Loyalty: the shop's products, its programs (each rule a version that open cards keep), the cards a
customer fills, the sales that fill them, and the append-only ledger every punch, point, redemption and
reversal is written to. A card's progress and a points balance are caches of the ledger, updated in the
same transaction under the customer's row lock (`loyalty.services`)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from shopcrm.models import Shop


class Product(models.Model):
    """A code the shop sells under: a UPC/EAN (kept as GTIN-13), a SKU, or a service's name."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("product code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=50, blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "code"], name="product_code_unique")]
        indexes = [models.Index("shop", Lower("brand"), name="product_brand_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Program(models.Model):
    class Kind(models.TextChoices):
        FREQUENT_BUYER = "frequent_buyer", _("Frequent buyer")
        SERVICE_CARD = "service_card", _("Service card")
        CASH_BACK = "cash_back", _("Cash back")
        POINTS = "points", _("Points")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    # The rule new cards start with (an edit writes the next version; open cards keep theirs).
    current = models.ForeignKey(
        "ProgramVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint("shop", Lower("name"), name="program_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.paused_at is None

    @property
    def uses_cards(self) -> bool:
        return self.kind != self.Kind.POINTS


class ProgramVersion(models.Model):
    """A program's rule as it stood from `created_at`. Never edited: open cards keep the version they
    started with, so a change applies to cards opened after it."""

    class Reward(models.TextChoices):
        SAME_PRODUCT = "same_product", _("The same product, free")
        ANY_QUALIFYING = "any_qualifying", _("Any qualifying product, free")
        LESSER_OR_EQUAL = "lesser_or_equal", _("A qualifying product of lesser or equal value, free")
        AMOUNT_OFF = "amount_off", _("An amount off")
        PERCENT_OFF = "percent_off", _("A percentage off")
        CASH_BACK = "cash_back", _("Cash back: a percentage of what was bought")

    class Required(models.TextChoices):
        NOTHING = "", _("Nothing")
        EMAIL = "email", _("The customer's email")
        ADDRESS = "address", _("The customer's postal address")

    class Rounding(models.TextChoices):
        DOWN = "down", _("Round down")
        NEAREST = "nearest", _("Round to the nearest point")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Cards (frequent buyer, service card, cash back).
    purchases_needed = models.PositiveSmallIntegerField(null=True, blank=True)
    codes = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    brands = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    reward = models.CharField(max_length=20, choices=Reward.choices, blank=True)
    reward_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    reward_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    punch_expiry_days = models.PositiveSmallIntegerField(null=True, blank=True)
    manufacturer = models.CharField(max_length=120, blank=True)
    distributor = models.CharField(max_length=120, blank=True)
    account_number = models.CharField(max_length=60, blank=True)
    required_at_redemption = models.CharField(max_length=10, choices=Required.choices, blank=True)
    # Points.
    points_per_unit = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    rounding = models.CharField(max_length=10, choices=Rounding.choices, blank=True)
    bonus_weekdays = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)  # 0 = Monday
    bonus_multiplier = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    # [{"points": 500, "name": "A free bag of treats"}, …], cheapest first.
    rewards = models.JSONField(default=list, blank=True)
    # [{"points": 1000, "tag": "Gold"}, …]: the tag a customer gets once their lifetime points pass it.
    tiers = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "number"], name="program_version_unique")]

    def __str__(self) -> str:
        return f"{self.program_id} v{self.number}"

    def qualifies(self, code: str, brand: str) -> bool:
        """Whether a line of `code` (of `brand`) counts for this rule. A rule naming no code and no brand
        takes every line (a points program on everything the shop sells)."""
        if not self.codes and not self.brands:
            return True
        return code in self.codes or (bool(brand) and brand.casefold() in {b.casefold() for b in self.brands})


class Card(models.Model):
    """One customer's card of one program (for points programs: their account, always open)."""

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        COMPLETE = "complete", _("Reward earned")
        REDEEMED = "redeemed", _("Redeemed")
        EXPIRED = "expired", _("Expired")
        # Emptied by a refund while an earlier card, no longer complete, took its place.
        VOID = "void", _("Void")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="loyalty_cards")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cards")
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Caches of the ledger (updated with it, under the customer's row lock).
    punches = models.IntegerField(default=0)
    points = models.IntegerField(default=0)
    # Points earned over the account's life (spending does not lower it; a refund does): the tiers' measure.
    earned = models.IntegerField(default=0)
    # What the punched lines were worth (cash back's base) and the cheapest unit punched (lesser or equal).
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    lowest_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "program"], condition=Q(status="open"), name="card_one_open_per_program"
            )
        ]
        # Every index starts with the shop: row-level security's own condition is on it, and a plan that
        # starts elsewhere (the customer's foreign key alone) is not one the planner takes under it.
        indexes = [
            models.Index(fields=["shop", "status", "program"], name="card_status_idx"),
            models.Index(fields=["shop", "customer", "status"], name="card_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"card {self.pk} ({self.status})"

    @property
    def needed(self) -> int:
        return self.version.purchases_needed or 0


class Sale(models.Model):
    class Source(models.TextChoices):
        TILL = "till", _("Till")
        API = "api", _("POS")
        IMPORT = "import", _("Import")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sales")
    # The POS's own id: a sale delivered twice is one sale.
    external_id = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "external_id"], condition=~Q(external_id=""), name="sale_external_id_unique"
            )
        ]
        indexes = [models.Index(fields=["shop", "customer", "-at"], name="sale_customer_idx")]

    def __str__(self) -> str:
        return f"sale {self.pk}"


class SaleLine(models.Model):
    """A line of a sale: a code (known to the catalogue or not), a quantity and what it cost. A refund is
    another line with the opposite quantity that `reverses` it (once)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=64)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=200, blank=True)  # as the catalogue named it then
    brand = models.CharField(max_length=100, blank=True)
    quantity = models.IntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    reverses = models.OneToOneField(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="reversed_by"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "customer", "-at"], name="saleline_customer_idx"),
            models.Index(fields=["shop", "code"], name="saleline_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.code}"


class LedgerEntry(models.Model):
    """One movement, never edited or deleted: a mistake is another row that `reverses` it."""

    class Kind(models.TextChoices):
        PUNCH = "punch", _("Punch")
        POINTS = "points", _("Points")
        REDEMPTION = "redemption", _("Redemption")
        REVERSAL = "reversal", _("Reversal")
        OPENING = "opening", _("Opening balance")
        ADJUSTMENT = "adjustment", _("Adjustment")

    class Source(models.TextChoices):
        TILL = "till", _("Till")
        API = "api", _("POS")
        IMPORT = "import", _("Import")
        ADJUSTMENT = "adjustment", _("Adjustment")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    # Erasing the customer keeps the ledger (a redemption is a manufacturer's reimbursement record) without
    # the person: customer, card and line become NULL, what was asked at redemption is blanked.
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(Card, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    punches = models.IntegerField(default=0)
    points = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    line = models.ForeignKey(SaleLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reason = models.CharField(max_length=200, blank=True)
    # A card's redemption: one per card (the constraint is what pays a reward once).
    redeems = models.OneToOneField(
        Card, on_delete=models.SET_NULL, null=True, blank=True, related_name="redemption"
    )
    item_code = models.CharField(max_length=64, blank=True)
    item_name = models.CharField(max_length=200, blank=True)
    value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)  # reimbursed
    captured_email = models.CharField(max_length=254, blank=True)  # asked at redemption; erased with them
    captured_address = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "customer", "-at"], name="ledger_customer_idx"),
            models.Index(
                fields=["shop", "program", "at"], condition=Q(kind="redemption"), name="ledger_redemption_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class CreditBatch(models.Model):
    """Redemptions of one program handed to its distributor together for reimbursement: uncredited until
    the admin marks the credit received."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    manufacturer = models.CharField(max_length=120, blank=True)
    distributor = models.CharField(max_length=120, blank=True)
    account_number = models.CharField(max_length=60, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    count = models.PositiveIntegerField(default=0)
    value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    credited_at = models.DateTimeField(null=True, blank=True)
    credit_reference = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"batch {self.pk}"


class CreditBatchItem(models.Model):
    """A redemption in a batch: once (the ledger row itself is never edited)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(CreditBatch, on_delete=models.CASCADE, related_name="items")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="credit_item")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.entry_id}"


class LoyaltySettings(models.Model):
    """A shop's loyalty settings beside its programs: the training customer staff practise on at the till,
    whose redemptions never reach a report or a credit batch."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="+")
    training_customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"loyalty settings of {self.shop_id}"
