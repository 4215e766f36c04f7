"""The admin's client list: filters, sorts and keyset pages over one shop's customers.

Selectors only. Every filter is an index-friendly, leakproof comparison (equality, ranges, EXISTS on
indexed foreign keys), so row-level security never forces a scan through a non-leakproof operator; the
search box reuses the till's search (`customers.search`), so both find the same people.

Pages are keyset pages: the cursor holds the sort values of the last (or first) row shown, and the next page
starts strictly after them. Deep pages cost what the first page costs, unlike OFFSET.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core import signing
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Collate
from django.utils import timezone

from customers.models import Customer, CustomerTag, CustomerType, Pet
from customers.normalise import name_key
from customers.search import (
    PETS_JSON,
    TAGS_JSON,
    _json,
    _PetCard,
    _Related,
    _TagCard,
    customer_search_matches,
)
from customers.selectors import PREFIX_END
from loyalty.codes import code_normal
from loyalty.models import Card, Program, SaleLine

PAGE_SIZE = 50
_CURSOR_SALT = "desk.listing.cursor"


@dataclass(frozen=True)
class SortKey:
    """One column of an ordering: the model field, its direction, and whether it may be NULL (last)."""

    field: str
    descending: bool = False
    nullable: bool = False


# Each sort ends with the primary key so that the order is total and a cursor is unambiguous.
SORTS: dict[str, tuple[SortKey, ...]] = {
    "name": (SortKey("last_name_key"), SortKey("first_name_key"), SortKey("id")),
    "-name": (SortKey("last_name_key", True), SortKey("first_name_key", True), SortKey("id", True)),
    "created": (SortKey("created_at"), SortKey("id")),
    "-created": (SortKey("created_at", True), SortKey("id", True)),
    "last_visit": (SortKey("last_visit_at", nullable=True), SortKey("id")),
    "-last_visit": (SortKey("last_visit_at", True, nullable=True), SortKey("id", True)),
}
DEFAULT_SORT = "name"


@dataclass
class CustomerFilter:
    """What the admin asked for. Empty values mean "any"."""

    query: str = ""
    type: str = ""
    civility: str = ""
    tag_ids: list[int] = field(default_factory=list)
    species: str = ""
    pet_birth_month: int | None = None
    email_status: str = ""
    sms_status: str = ""
    has_email: bool | None = None
    has_phone: bool | None = None
    created_from: datetime.date | None = None
    created_to: datetime.date | None = None
    visit_after: datetime.date | None = None
    visit_before: datetime.date | None = None
    tag_match: str = ""  # "" any of tag_ids, "all" of them, "none" of them (no tag at all without tag_ids)
    city: str = ""
    postal_code: str = ""
    email_domain: str = ""
    visits_min: int | None = None
    visits_max: int | None = None
    spent_min: Decimal | None = None  # what the previous software says they spent (imports)
    spent_max: Decimal | None = None
    bought: str = ""  # a product code or a brand, from the purchase lines
    not_bought_since: datetime.date | None = None  # none of those (or no purchase at all) since that day
    points_min: int | None = None  # in any points program
    reward_waiting: bool | None = None


@dataclass
class ListRow:
    """One line of the client list: a read model (full Customer instances, with their phone numbers
    parsed and pets and tags prefetched, cost more than everything else on the page)."""

    id: int
    number: str
    type: str
    first_name: str
    last_name: str
    company_name: str
    internal_id: str
    phone: str
    phone_national: str
    email: str
    email_status: str
    sms_status: str
    created_at: datetime.datetime
    last_visit_at: datetime.datetime | None
    last_name_key: str
    first_name_key: str
    pets: _Related
    tags: _Related

    @property
    def is_professional(self) -> bool:
        return self.type == CustomerType.PROFESSIONAL

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{self.company_name} ({name})" if self.is_professional and self.company_name else name


ROW_FIELDS = [
    "id",
    "number",
    "type",
    "first_name",
    "last_name",
    "company_name",
    "internal_id",
    "phone_text",
    "phone_national",
    "email",
    "email_status",
    "sms_status",
    "created_at",
    "last_visit_at",
    "last_name_key",
    "first_name_key",
]


@dataclass
class CustomerPage:
    rows: list[ListRow]
    next_cursor: str | None
    previous_cursor: str | None


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the current (the shop's) time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def customer_filter_queryset(*, shop, filters: CustomerFilter) -> QuerySet[Customer]:
    """The customers of `shop` that pass `filters`, unordered."""
    qs = Customer.objects.filter(shop=shop)
    f = filters
    if f.query:
        # Every customer the till's search finds, however many (a subquery of index ranges, not a list).
        sql, params = customer_search_matches(shop=shop, query=f.query)
        qs = qs.filter(pk__in=RawSQL(sql, params))  # noqa: S611 (placeholders only; values are params)
    if f.type:
        qs = qs.filter(type=f.type)
    if f.civility:
        qs = qs.filter(civility=f.civility)
    if f.email_status:
        qs = qs.filter(email_status=f.email_status)
    if f.sms_status:
        qs = qs.filter(sms_status=f.sms_status)
    if f.has_email is not None:
        qs = qs.exclude(email="") if f.has_email else qs.filter(email="")
    if f.has_phone is not None:
        qs = qs.exclude(phone="") if f.has_phone else qs.filter(phone="")
    if f.created_from:
        qs = qs.filter(created_at__gte=_day_start(f.created_from))
    if f.created_to:
        qs = qs.filter(created_at__lt=_day_start(f.created_to + datetime.timedelta(days=1)))
    if f.visit_after:
        qs = qs.filter(last_visit_at__gte=_day_start(f.visit_after))
    if f.visit_before:
        qs = qs.filter(last_visit_at__lt=_day_start(f.visit_before))
    qs = _tags_filtered(qs, shop, f)
    if f.city and name_key(f.city):
        key = name_key(f.city)  # the start of the city, accents and case aside ("saint" finds Saint-Malo)
        qs = qs.exclude(city_key="").filter(city_key__gte=key, city_key__lt=key + PREFIX_END)
    if f.postal_code:
        # A range in "C" order on the index of the same expression.
        qs = (
            qs.exclude(postal_code="")
            .annotate(postal_c=Collate("postal_code", "C"))
            .filter(postal_c__gte=f.postal_code, postal_c__lt=f.postal_code + PREFIX_END)
        )
    if f.email_domain:
        qs = qs.exclude(email_domain="").filter(email_domain=f.email_domain)
    if f.visits_min is not None:
        qs = qs.filter(visit_count__gte=f.visits_min)
    if f.visits_max is not None:
        qs = qs.filter(visit_count__lte=f.visits_max)
    if f.spent_min is not None:
        qs = qs.filter(total_spent__gte=f.spent_min)
    if f.spent_max is not None:
        qs = qs.filter(total_spent__isnull=False, total_spent__lte=f.spent_max)
    qs = _loyalty_filtered(qs, shop, f)
    if f.species or f.pet_birth_month:
        # One pet must match both: "cat owners whose cat was born in March".
        pets = Pet.objects.filter(shop=shop, owner=OuterRef("pk"))
        if f.species:
            pets = pets.filter(species=f.species)
        if f.pet_birth_month:
            pets = pets.filter(birth_month=f.pet_birth_month)
        qs = qs.filter(Exists(pets))
    return qs


def _loyalty_filtered(qs, shop, f: CustomerFilter):
    """What they bought and since when not, their points, a reward waiting: EXISTS on loyalty's tables,
    through their (shop, customer) indexes. Refunded lines do not count as bought."""
    if f.bought or f.not_bought_since:
        lines = SaleLine.objects.filter(
            shop=shop, customer=OuterRef("pk"), quantity__gt=0, reversed_by__isnull=True
        )
        if f.bought:
            lines = lines.filter(Q(code=code_normal(f.bought)) | Q(brand__iexact=f.bought))
            qs = qs.filter(Exists(lines))
        if f.not_bought_since:
            qs = qs.exclude(Exists(lines.filter(at__gte=_day_start(f.not_bought_since))))
    if f.points_min is not None:
        points = Card.objects.filter(
            shop=shop,
            customer=OuterRef("pk"),
            status=Card.Status.OPEN,
            program__kind=Program.Kind.POINTS,
            points__gte=f.points_min,
        )
        qs = qs.filter(Exists(points))
    if f.reward_waiting is not None:
        waiting = Card.objects.filter(shop=shop, customer=OuterRef("pk"), status=Card.Status.COMPLETE)
        qs = qs.filter(Exists(waiting)) if f.reward_waiting else qs.exclude(Exists(waiting))
    return qs


def _tags_filtered(qs, shop, f: CustomerFilter):
    """Any of the chosen tags (EXISTS on the indexed link table), all of them (one EXISTS each), none of
    them, or with "none" and no tag chosen, customers without any tag."""
    links = CustomerTag.objects.filter(shop=shop, customer=OuterRef("pk"))
    if f.tag_match == "none":
        return qs.filter(~Exists(links.filter(tag_id__in=f.tag_ids) if f.tag_ids else links))
    if not f.tag_ids:
        return qs
    if f.tag_match == "all":
        for tag_id in sorted(set(f.tag_ids)):
            qs = qs.filter(Exists(links.filter(tag_id=tag_id)))
        return qs
    return qs.filter(Exists(links.filter(tag_id__in=f.tag_ids)))


def customer_count(*, shop, filters: CustomerFilter) -> int:
    return customer_filter_queryset(shop=shop, filters=filters).count()


def customer_page(
    *, shop, filters: CustomerFilter, sort: str = DEFAULT_SORT, cursor: str = "", size: int | None = None
) -> CustomerPage:
    """One page of the filtered list in `sort` order, starting after (or ending before) `cursor`.

    A cursor that does not decode (edited, or from another sort) starts from the first page.
    """
    size = size or PAGE_SIZE
    keys = SORTS.get(sort) or SORTS[DEFAULT_SORT]
    direction, values = _cursor_load(cursor, sort)
    backwards = direction == "before"
    ordering = [_order(k, reverse=backwards) for k in keys]
    qs = customer_filter_queryset(shop=shop, filters=filters)
    if values is not None:
        qs = qs.filter(_after(keys, values, reverse=backwards))
    rows = [
        _row(values)
        for values in qs.order_by(*ordering)
        .annotate(
            phone_text=Cast("phone", output_field=CharField()),
            # Constant SQL of ours, no user input: the same subqueries as the till's cards.
            pets_json=RawSQL(PETS_JSON.format(c="customers_customer"), []),  # noqa: S611
            tags_json=RawSQL(TAGS_JSON.format(c="customers_customer"), []),  # noqa: S611
        )
        .values(*ROW_FIELDS, "pets_json", "tags_json")[: size + 1]
    ]
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else values is not None
    has_previous = (values is not None) if not backwards else more
    return CustomerPage(
        rows=rows,
        next_cursor=_cursor_dump("after", sort, keys, rows[-1]) if rows and has_next else None,
        previous_cursor=_cursor_dump("before", sort, keys, rows[0]) if rows and has_previous else None,
    )


def _row(values: dict) -> ListRow:
    pets = _Related(_PetCard(name, species) for _id, name, species in _json(values.pop("pets_json")))
    tags = _Related(_TagCard(name) for _id, name in _json(values.pop("tags_json")))
    values["phone"] = values.pop("phone_text") or ""
    return ListRow(**values, pets=pets, tags=tags)


def _order(key: SortKey, *, reverse: bool):
    descending = key.descending != reverse
    expression = F(key.field)
    # NULLs stay last whichever way the page is read, so reading backwards puts them first.
    if not key.nullable:
        return expression.desc() if descending else expression.asc()
    nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
    return expression.desc(**nulls) if descending else expression.asc(**nulls)


def _after(keys: tuple[SortKey, ...], values: list, *, reverse: bool) -> Q:
    """Rows strictly beyond `values` in the order of `keys` (or before them when `reverse`)."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        descending = key.descending != reverse
        lookup = "lt" if descending else "gt"
        if value is None:
            # In the NULL tail: beyond means NULL again (compared on the next key), or, read backwards,
            # any non-NULL value.
            beyond = Q(**{f"{key.field}__isnull": False}) if reverse else Q(pk__in=[])
            same = Q(**{f"{key.field}__isnull": True})
        else:
            beyond = Q(**{f"{key.field}__{lookup}": value})
            if key.nullable and not reverse:
                beyond |= Q(**{f"{key.field}__isnull": True})
            same = Q(**{key.field: value})
        condition |= equal & beyond
        equal &= same
    return condition


def _cursor_dump(direction: str, sort: str, keys, row) -> str:
    values = []
    for key in keys:
        value = getattr(row, key.field)
        values.append(value.isoformat() if isinstance(value, datetime.datetime) else value)
    return signing.dumps([direction, sort, values], salt=_CURSOR_SALT, compress=True)


def _cursor_load(cursor: str, sort: str):
    if not cursor:
        return "after", None
    try:
        direction, cursor_sort, values = signing.loads(cursor, salt=_CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return "after", None
    keys = SORTS.get(sort) or SORTS[DEFAULT_SORT]
    if cursor_sort != sort or direction not in ("after", "before") or len(values) != len(keys):
        return "after", None
    parsed = []
    for key, value in zip(keys, values, strict=True):
        if value is not None and key.field.endswith("_at"):
            value = datetime.datetime.fromisoformat(value)
        parsed.append(value)
    return direction, parsed
