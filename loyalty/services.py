"""Loyalty's settings writes: the shop's catalogue of products, and its programs, each rule a version that
open cards keep (the cards and the ledger are `loyalty.sales` and `loyalty.rewards`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from loyalty.amounts import amount_parse
from loyalty.codes import code_normal, codes_parse
from loyalty.models import LoyaltySettings, Product, Program, ProgramVersion

MAX_NEEDED = 100
MAX_REWARDS = 20

Reward = ProgramVersion.Reward
Kind = Program.Kind


# --- the catalogue ------------------------------------------------------------------------------------


@transaction.atomic
def product_save(*, shop, code: str, name: str, brand: str = "", size: str = "", price=None, product=None):
    """Add a product to the shop's catalogue, or change one (`product`). The code is normalised (a UPC is
    kept as its EAN-13); two products never share a code."""
    errors = {}
    code = code_normal(code)
    name = " ".join(str(name or "").split())
    if not code:
        errors["code"] = _("Enter the product's code (scan it, or type its SKU or a service's name).")
    if not name:
        errors["name"] = _("Enter the product's name.")
    try:
        price = amount_parse(price, field_name="price")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if code and not errors:
        clash = Product.objects.filter(shop=shop, code=code)
        if product is not None:
            clash = clash.exclude(pk=product.pk)
        if clash.exists():
            errors["code"] = _("Another product already has this code.")
    if errors:
        raise ValidationError(errors)
    values = {
        "code": code,
        "name": name[:200],
        "brand": " ".join(str(brand or "").split())[:100],
        "size": " ".join(str(size or "").split())[:50],
        "price": price,
        "updated_at": timezone.now(),
    }
    if product is None:
        return Product.objects.create(shop=shop, **values)
    if product.shop_id != shop.pk:
        raise Product.DoesNotExist
    for name_, value in values.items():
        setattr(product, name_, value)
    product.save(update_fields=list(values))
    return product


# --- programs -----------------------------------------------------------------------------------------

RULE_FIELDS = (
    "purchases_needed",
    "codes",
    "brands",
    "reward",
    "reward_amount",
    "reward_percent",
    "punch_expiry_days",
    "manufacturer",
    "distributor",
    "account_number",
    "required_at_redemption",
    "points_per_unit",
    "rounding",
    "bonus_weekdays",
    "bonus_multiplier",
    "rewards",
    "tiers",
)

# What each kind of card may give.
REWARDS_OF = {
    Kind.FREQUENT_BUYER: (
        Reward.SAME_PRODUCT,
        Reward.ANY_QUALIFYING,
        Reward.LESSER_OR_EQUAL,
        Reward.AMOUNT_OFF,
        Reward.PERCENT_OFF,
    ),
    Kind.SERVICE_CARD: (Reward.ANY_QUALIFYING, Reward.AMOUNT_OFF, Reward.PERCENT_OFF),
    Kind.CASH_BACK: (Reward.CASH_BACK,),
}


def _points_lines(text: str, *, field_name: str, key: str, length: int, bad_line, too_many) -> list[dict]:
    """Lines typed as “points = words”, lowest first, as {"points": n, key: words}. Raises ValidationError
    on `field_name` with `bad_line` (given the line's number) or `too_many`."""
    items = []
    for number, line in enumerate(str(text or "").splitlines(), 1):
        if not line.strip():
            continue
        points, sep, words = line.partition("=")
        words = " ".join(words.split())
        if not sep or not points.strip().isdigit() or not words or int(points) <= 0:
            raise ValidationError({field_name: bad_line % {"n": number}})
        items.append({"points": int(points), key: words[:length]})
    if len(items) > MAX_REWARDS:
        raise ValidationError({field_name: too_many % {"n": MAX_REWARDS}})
    return sorted(items, key=lambda item: item["points"])


def rewards_parse(text: str) -> list[dict]:
    """A points catalogue typed one reward per line as “points = what”, cheapest first."""
    return _points_lines(
        text,
        field_name="rewards",
        key="name",
        length=120,
        bad_line=_("Line %(n)d: write the points, “=” and the reward, as “500 = A free bag”."),
        too_many=_("At most %(n)d rewards."),
    )


def tiers_parse(text: str) -> list[dict]:
    """Lifetime tiers typed one per line as “points = tag”, lowest first."""
    return _points_lines(
        text,
        field_name="tiers",
        key="tag",
        length=40,
        bad_line=_("Line %(n)d: write the points, “=” and the tag, as “1000 = Gold”."),
        too_many=_("At most %(n)d tiers."),
    )


def rule_checked(kind: str, rule: dict) -> dict:
    """The rule of a program of `kind`, complete and consistent; ValidationError next to each field."""
    errors: dict[str, list[str]] = {}

    def refuse(name: str, text: str) -> None:
        errors.setdefault(name, []).append(text)

    clean = {name: rule.get(name) for name in RULE_FIELDS}
    codes = clean["codes"]
    clean["codes"] = (
        codes_parse(codes)
        if isinstance(codes, str)
        else [code_normal(c) for c in codes or [] if code_normal(c)]
    )
    brands = clean["brands"]
    if isinstance(brands, str):
        brands = brands.replace(";", "\n").replace(",", "\n").splitlines()
    clean["brands"] = list(dict.fromkeys(" ".join(b.split()) for b in brands or [] if b.strip()))
    for name in ("manufacturer", "distributor", "account_number"):
        clean[name] = " ".join(str(clean[name] or "").split())
    clean["required_at_redemption"] = clean["required_at_redemption"] or ""
    clean["bonus_weekdays"] = sorted({int(d) for d in clean["bonus_weekdays"] or []})
    if any(d < 0 or d > 6 for d in clean["bonus_weekdays"]):
        refuse("bonus_weekdays", _("Choose days of the week."))
    for name in ("reward_amount",):
        try:
            clean[name] = amount_parse(clean[name], field_name=name)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for name, top in (
        ("reward_percent", Decimal("100")),
        ("bonus_multiplier", Decimal("10")),
        ("points_per_unit", Decimal("1000")),
    ):
        value = clean[name]
        if value in (None, ""):
            clean[name] = None
            continue
        try:
            value = Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            refuse(name, _("Enter a number."))
            continue
        if not value.is_finite() or value <= 0 or value > top:
            refuse(name, _("Enter a number above 0 and at most %(top)s.") % {"top": top})
        clean[name] = value
    if kind == Kind.POINTS:
        if clean["points_per_unit"] is None and "points_per_unit" not in errors:
            refuse(
                "points_per_unit", _("Say how many points each unit of currency spent gives (1 by default).")
            )
        clean["rounding"] = clean["rounding"] or ProgramVersion.Rounding.DOWN
        if clean["bonus_weekdays"] and clean["bonus_multiplier"] is None and "bonus_multiplier" not in errors:
            refuse("bonus_multiplier", _("Say how many times the points count on bonus days (2 for double)."))
        rewards = clean["rewards"]
        if isinstance(rewards, str):
            try:
                clean["rewards"] = rewards_parse(rewards)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        else:
            clean["rewards"] = list(rewards or [])
        tiers = clean["tiers"]
        if isinstance(tiers, str):
            try:
                clean["tiers"] = tiers_parse(tiers)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        else:
            clean["tiers"] = list(tiers or [])
        for name in ("purchases_needed", "reward", "reward_amount", "reward_percent", "punch_expiry_days"):
            clean[name] = None if name != "reward" else ""
        clean["required_at_redemption"] = ""
    else:
        needed = clean["purchases_needed"]
        if needed in (None, ""):
            refuse("purchases_needed", _("Say how many purchases complete a card."))
        else:
            try:
                needed = int(needed)
            except (TypeError, ValueError):
                needed = 0
            if not 1 <= needed <= MAX_NEEDED:
                refuse("purchases_needed", _("Between 1 and %(n)d purchases.") % {"n": MAX_NEEDED})
            clean["purchases_needed"] = needed
        if not clean["codes"] and not clean["brands"]:
            refuse("codes", _("List the qualifying product codes (one per line), or name a brand."))
        allowed = REWARDS_OF[kind]
        if kind == Kind.CASH_BACK:
            clean["reward"] = Reward.CASH_BACK
        elif clean["reward"] not in allowed:
            refuse("reward", _("Choose what the completed card gives."))
        if (
            clean["reward"] == Reward.AMOUNT_OFF
            and not clean["reward_amount"]
            and "reward_amount" not in errors
        ):
            refuse("reward_amount", _("Enter the amount off."))
        if (
            clean["reward"] in (Reward.PERCENT_OFF, Reward.CASH_BACK)
            and clean["reward_percent"] is None
            and "reward_percent" not in errors
        ):
            refuse("reward_percent", _("Enter the percentage."))
        if clean["reward"] not in (Reward.AMOUNT_OFF,):
            clean["reward_amount"] = None
        if clean["reward"] not in (Reward.PERCENT_OFF, Reward.CASH_BACK):
            clean["reward_percent"] = None
        expiry = clean["punch_expiry_days"]
        if expiry in (None, "", 0, "0"):
            clean["punch_expiry_days"] = None
        else:
            try:
                expiry = int(expiry)
            except (TypeError, ValueError):
                expiry = 0
            if not 1 <= expiry <= 3650:
                refuse("punch_expiry_days", _("Between 1 and 3650 days, or empty for never."))
            clean["punch_expiry_days"] = expiry
        for name in ("points_per_unit", "bonus_multiplier"):
            clean[name] = None
        clean["rounding"], clean["bonus_weekdays"], clean["rewards"], clean["tiers"] = "", [], [], []
    if errors:
        raise ValidationError(errors)
    return clean


def _name_checked(shop, name: str, program=None) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the program a name.")})
    clash = Program.objects.filter(shop=shop, name__iexact=name)
    if program is not None:
        clash = clash.exclude(pk=program.pk)
    if clash.exists():
        raise ValidationError({"name": _("Another program already has this name.")})
    return name[:120]


@transaction.atomic
def program_create(*, shop, by, name: str, kind: str, **rule) -> Program:
    errors = {}
    try:
        name = _name_checked(shop, name)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if kind not in Kind.values:
        errors["kind"] = [_("Choose the type of program.")]
        raise ValidationError(errors)
    try:
        clean = rule_checked(kind, rule)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    program = Program.objects.create(shop=shop, name=name, kind=kind, created_by=by)
    version = ProgramVersion.objects.create(shop=shop, program=program, number=1, by=by, **clean)
    program.current = version
    program.save(update_fields=["current"])
    return program


@transaction.atomic
def program_update(*, shop, by, program: Program, name: str, **rule) -> Program:
    """Rename a program and, when its rule changed, write the rule's next version: cards opened from now
    on follow it, open cards keep theirs. The type never changes (make another program)."""
    program = (
        Program.objects.select_for_update(of=("self",))
        .select_related("current")
        .get(shop=shop, pk=program.pk)
    )
    errors = {}
    try:
        name = _name_checked(shop, name, program)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        clean = rule_checked(program.kind, rule)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    program.name = name
    current = program.current
    if any(getattr(current, key) != value for key, value in clean.items()):
        program.current = ProgramVersion.objects.create(
            shop=shop, program=program, number=current.number + 1, by=by, **clean
        )
    program.save(update_fields=["name", "current"])
    return program


@transaction.atomic
def program_pause(*, shop, program: Program, paused: bool) -> Program:
    """A paused program punches nothing new; its cards, rewards waiting and history stay."""
    program = Program.objects.select_for_update().get(shop=shop, pk=program.pk)
    program.paused_at = (program.paused_at or timezone.now()) if paused else None
    program.save(update_fields=["paused_at"])
    return program


@transaction.atomic
def training_customer_set(*, shop, number: str) -> LoyaltySettings:
    """Name the customer staff practise on (by their customer number; empty: none). Their redemptions never
    reach a report or a credit batch."""
    number = str(number or "").strip().upper()
    customer = None
    if number:
        customer = Customer.objects.filter(shop=shop, number=number).first()
        if customer is None:
            raise ValidationError({"training_customer": _("No customer of this shop has this number.")})
    settings_row, _created = LoyaltySettings.objects.get_or_create(shop=shop)
    settings_row.training_customer = customer
    settings_row.save(update_fields=["training_customer"])
    return settings_row
