"""The till's one search box: whatever the cashier types, the right customers of this shop, best first.

The query becomes a handful of branches, each an index range on an index led by shop_id, sent as one
UNION ALL statement and ranked: exact identifiers, then phone and email, then name prefixes, then
typo-tolerant names. Why it is shaped like this:

- Prefixes are ranges (`key >= 'mar' AND key < 'mar' || U+10FFFF`) on "C"-collated keys. Under row-level
  security PostgreSQL lets an index serve only leakproof operators, and LIKE, lower() and reverse() are not
  (measured at 200,000 customers: 250 ms per query with LIKE, under 1 ms with the range).
- One statement, not one ORM query per branch: building a Django query costs about a millisecond, more
  than the index read itself.
- Typo tolerance uses the shop's vocabulary of last-name keys (customers_namekey): trigram similarity on
  that short list, narrowed by the first letter, then customers by exact key.
Nothing ever loads customers into Python to filter them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import phonenumbers
from django.db import connection

from customers.models import Civility, CustomerType, Species
from customers.normalise import name_key
from customers.selectors import PREFIX_END
from customers.services import NUMBER_LENGTH

MAX_QUERY = 100
PHONE_CHARS = re.compile(r"^[\d\s+().\-/]+$")
EMAIL_LIKE = re.compile(r"^[\w.+\-]+(@[\w.\-]*)?$")
FUZZY_MIN_LENGTH = 3
FUZZY_THRESHOLD = 0.3
FUZZY_KEYS = 8
CARD_COLUMNS = (
    "id, shop_id, number, type, civility, first_name, last_name, company_name, internal_id, phone, email, "
    "last_name_key, first_name_key"
)
# Pets and tags of each card, in the same statement (RLS-guarded subqueries on indexed foreign keys).
# `{c}` is the alias (or name) of the customers table in the query using them.
PETS_JSON = """(select coalesce(json_agg(json_build_array(p.id, p.name, p.species) order by p.id), '[]')
       from customers_pet p where p.owner_id = {c}.id and p.shop_id = {c}.shop_id)"""
TAGS_JSON = """(select coalesce(json_agg(json_build_array(t.id, t.name) order by t.name), '[]')
       from customers_customertag ct join customers_tag t on t.id = ct.tag_id
      where ct.customer_id = {c}.id and ct.shop_id = {c}.shop_id)"""
CARD_EXTRAS = f"{PETS_JSON.format(c='c')} as pets_json, {TAGS_JSON.format(c='c')} as tags_json"


class _Branches:
    """Collects `(rank, condition, params, sort key)` branches of the final UNION ALL."""

    def __init__(self, shop_id: int, limit: int):
        self.shop_id, self.limit = shop_id, limit
        self.parts: list[str] = []
        self.params: list = []

    def add(self, rank: int, condition: str, params: list, sort: str = "last_name_key, first_name_key"):
        self.parts.append(
            f"(select id, {rank} as rank, {sort.split(',')[0]} as sort1 from customers_customer "  # noqa: S608
            f"where shop_id = %s and {condition} order by {sort} limit %s)"
        )
        self.params += [self.shop_id, *params, self.limit]

    def prefix(self, rank: int, column: str, value: str, sort: str | None = None):
        self.add(rank, f"{column} >= %s and {column} < %s", [value, value + PREFIX_END], sort or column)


def customer_search(*, shop, query: str, limit: int = 20, ids_only: bool = False) -> list:
    """Customers of `shop` matching `query`, ranked; at most `limit`. Cards, or just their ids
    (`ids_only`, for the client list, which narrows its own query with them).

    Never scans the shop's customers: one character matches name prefixes only (index ranges read in order,
    stopping at `limit`); input with nothing searchable in it returns [].
    """
    # NUL cannot travel in a PostgreSQL text parameter; it is no part of a name or a number anyway.
    q = " ".join((query or "").replace("\x00", " ").split())[:MAX_QUERY]
    if not q:
        return []
    branches = _Branches(shop.pk, limit)
    identifiers = _identifier_branches(branches, shop, q)
    if not identifiers.get("final"):
        _name_branches(branches, q, pets=shop.pets_enabled)
    results = _run(branches, limit, ids_only)
    key = name_key(q)
    # Typo tolerance is the fallback: a single word that found fewer than five, or several words that found
    # nobody (when "first last" matched someone, look-alike surnames would only add noise).
    few = len(results) < 5 if " " not in key else not results
    if (
        not identifiers.get("matched_possible")
        and few
        and len(key) >= FUZZY_MIN_LENGTH
        and not PHONE_CHARS.match(q)
        and "@" not in q
    ):
        results += _fuzzy(
            shop,
            key.split(" ")[:4],
            exclude={getattr(c, "pk", c) for c in results},
            limit=limit - len(results),
            ids_only=ids_only,
        )
    return results


def _identifier_branches(branches: _Branches, shop, q: str) -> dict:
    """Customer number, internal ID, phone, email. Returns flags: `final` (the query can only be one of
    these) and `matched_possible` (an exact identifier was asked for)."""
    flags = {}
    compact = q.replace(" ", "").replace("-", "")
    if len(compact) == NUMBER_LENGTH and compact.isalnum():
        branches.add(0, "number = %s", [compact.upper()], "number")
    if shop.internal_id_enabled and len(q) <= 40 and any(ch.isdigit() for ch in q):
        branches.add(0, "internal_id_key = %s", [q.lower()], "internal_id_key")
        flags["matched_possible"] = True
    digits = re.sub(r"\D", "", q)
    if PHONE_CHARS.match(q):
        flags["final"] = True
        if len(digits) >= 4:
            e164 = _phone_e164(q, shop.country) if len(digits) >= 8 else ""
            if e164:
                branches.add(1, "phone = %s", [e164], "phone")
            branches.prefix(2, "phone_rev", digits[::-1], "phone_rev")
        return flags
    if "@" in q or (EMAIL_LIKE.match(q) and "." in q):
        branches.prefix(1, "email_key", q.lower())
        if "@" in q:
            flags["final"] = True
    return flags


def _name_branches(branches: _Branches, q: str, *, pets: bool = False) -> None:
    """Prefixes of last name, first name and company; several words as "first last" or "last first"; in a
    shop with pets, the owners of pets whose name starts so (ranked after the people's own names)."""
    key = name_key(q)
    if not key:
        return
    words = key.split(" ")[:4]
    branches.prefix(3, "last_name_key", key, "last_name_key, first_name_key")
    if len(words) == 1:
        branches.prefix(4, "first_name_key", key, "first_name_key, last_name_key")
    else:
        # Each split of the words as (first, last) or (last, first), one side typed in full: an equality on
        # the leading index column and a range on the next one, so every branch is a short index range.
        # (Two partial words, "ine mart", would need a range on both columns: too slow where names are
        # common, so it is left to the single-prefix branches.)
        for i in range(1, len(words)):
            head, tail = " ".join(words[:i]), " ".join(words[i:])
            for first, last in ((head, tail), (tail, head)):
                branches.add(
                    4,
                    "last_name_key = %s and first_name_key >= %s and first_name_key < %s",
                    [last, first, first + PREFIX_END],
                    "last_name_key, first_name_key",
                )
                branches.add(
                    4,
                    "first_name_key = %s and last_name_key >= %s and last_name_key < %s",
                    [first, last, last + PREFIX_END],
                    "last_name_key, first_name_key",
                )
    branches.prefix(5, "company_key", key)
    if pets:
        branches.add(
            6,
            "id in (select p.owner_id from customers_pet p"
            " where p.shop_id = %s and p.name_key >= %s and p.name_key < %s)",
            [branches.shop_id, key, key + PREFIX_END],
        )


def _run(branches: _Branches, limit: int, ids_only: bool = False) -> list:
    if not branches.parts:
        return []
    sql = f"""
        select {_card_columns(ids_only)}
        from (
            select id, min(rank) as rank, min(sort1) as sort1
            from ({" union all ".join(branches.parts)}) hits
            group by id
        ) h
        join customers_customer c on c.id = h.id
        order by h.rank, h.sort1, c.first_name_key, c.id
        limit %s
    """  # noqa: S608 (only placeholders and column names are interpolated)
    return _fetch(sql, [*branches.params, limit], ids_only)


def _fuzzy(shop, words: list[str], *, exclude: set[int], limit: int, ids_only: bool = False) -> list:
    """Typo-tolerant last names: the closest keys of the shop's vocabulary, then their customers.

    Row-level security keeps the trigram index out of reach (its operators are not leakproof), so the
    vocabulary is narrowed by an index range on the first letter first: a typo there is rare.
    """
    if limit <= 0:
        return []
    # The whole text, and for several words the longest (most likely the last name): few candidates keep
    # the similarity work small.
    candidates = [" ".join(words)]
    longest = max(words, key=len)
    if len(words) > 1 and len(longest) >= FUZZY_MIN_LENGTH:
        candidates.append(longest)
    letters = sorted({w[0] for w in candidates})
    # Literal ranges, not expressions: only a leakproof comparison with a constant can use the index.
    ranges = " or ".join(["(k.key >= %s and k.key < %s)"] * len(letters))
    bounds = [bound for letter in letters for bound in (letter, letter + PREFIX_END)]
    sql = f"""
        with close as (
            select key, max(greatest(word_similarity(w, key), similarity(w, key))) as score
            from customers_namekey k cross join unnest(%s::text[]) as w
            where k.shop_id = %s and ({ranges}) and length(k.key) between %s and %s
            group by key
            having max(greatest(word_similarity(w, key), similarity(w, key))) >= %s
            order by score desc, key
            limit %s
        )
        select {_card_columns(ids_only)}
        from close join customers_customer c on c.shop_id = %s and c.last_name_key = close.key
        where c.id <> all(%s)
        order by close.score desc, c.last_name_key, c.first_name_key
        limit %s
    """  # noqa: S608 (only placeholders and column names are interpolated)
    lengths = [n for w in candidates for n in (len(w) - 2, len(w) + 2)]
    params = [
        candidates,
        shop.pk,
        *bounds,
        min(lengths),
        max(lengths),
        FUZZY_THRESHOLD,
        FUZZY_KEYS,
        shop.pk,
        list(exclude),
        limit,
    ]
    return _fetch(sql, params, ids_only)


def _card_columns(ids_only: bool = False) -> str:
    if ids_only:
        return "c.id"
    return ", ".join("c." + col.strip() for col in CARD_COLUMNS.split(",")) + ", " + CARD_EXTRAS


class _Related(list):
    """A list that answers `.all()`, like the related managers the card template reads."""

    def all(self):
        return self


@dataclass
class CustomerCard:
    """A search result: just what a card shows (a read model; building full Customer instances for every
    card cost more than the search itself)."""

    pk: int
    shop_id: int
    number: str
    type: str
    civility: str
    first_name: str
    last_name: str
    company_name: str
    internal_id: str
    phone: str
    email: str
    last_name_key: str
    first_name_key: str
    pets: _Related = field(default_factory=_Related)
    tags: _Related = field(default_factory=_Related)

    @property
    def id(self) -> int:
        return self.pk

    @property
    def is_professional(self) -> bool:
        return self.type == CustomerType.PROFESSIONAL

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        if self.is_professional and self.company_name:
            return f"{self.company_name} ({self.full_name})"
        return self.full_name

    def get_civility_display(self) -> str:
        return Civility(self.civility).label if self.civility else ""


@dataclass(frozen=True)
class _PetCard:
    name: str
    species: str

    def get_species_display(self) -> str:
        return Species(self.species).label if self.species in Species.values else self.species


@dataclass(frozen=True)
class _TagCard:
    name: str


def _fetch(sql: str, params: list, ids_only: bool = False) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if ids_only:
        return [row[0] for row in rows]
    cards = []
    for *values, pets, tags in rows:
        card = CustomerCard(*values)
        card.pets = _Related(_PetCard(name, species) for _id, name, species in _json(pets))
        card.tags = _Related(_TagCard(name) for _id, name in _json(tags))
        cards.append(card)
    return cards


def _json(value):
    return json.loads(value) if isinstance(value, str) else (value or [])


def _phone_e164(value: str, region: str) -> str:
    try:
        number = phonenumbers.parse(value if not value.startswith("00") else "+" + value[2:], region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
