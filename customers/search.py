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
from enum import IntEnum
from functools import lru_cache

import phonenumbers
from django.db import connection

from customers.models import Civility, CustomerType, Species
from customers.normalise import name_key
from customers.selectors import PREFIX_END
from customers.services import NUMBER_LENGTH
from customers.terms import Kind

MAX_QUERY = 100
PHONE_CHARS = re.compile(r"^[\d\s+().\-/]+$")
EMAIL_LIKE = re.compile(r"^[\w.+\-]+(@[\w.\-]*)?$")
PHONE_MIN_DIGITS = 4
NAME_WORDS = 6
INNER_MIN_LENGTH = 2  # one letter finds names by their start only
FUZZY_MIN_LENGTH = 3
FUZZY_THRESHOLD = 0.3
FUZZY_KEYS = 8
# A typo adds, drops or swaps a letter: close names are at most one letter longer or shorter.
FUZZY_LENGTH_SLACK = 1
CARD_COLUMNS = (
    "id, shop_id, number, type, civility, first_name, last_name, company_name, internal_id, phone, email, "
    "last_name_key, first_name_key, also_name, secondary_emails"
)
# Pets and tags of each card, in the same statement (RLS-guarded subqueries on indexed foreign keys).
# `{c}` is the alias (or name) of the customers table in the query using them.
PETS_JSON = """(select coalesce(json_agg(json_build_array(p.id, p.name, p.species) order by p.id), '[]')
       from customers_pet p where p.owner_id = {c}.id and p.shop_id = {c}.shop_id)"""
TAGS_JSON = """(select coalesce(json_agg(json_build_array(t.id, t.name) order by t.name), '[]')
       from customers_customertag ct join customers_tag t on t.id = ct.tag_id
      where ct.customer_id = {c}.id and ct.shop_id = {c}.shop_id)"""
CARD_EXTRAS = f"{PETS_JSON.format(c='c')} as pets_json, {TAGS_JSON.format(c='c')} as tags_json"


class Rank(IntEnum):
    """Best first: exact identifiers, phone starts and ends, whole-name prefixes, inner words, pets; typos
    (customers.search._fuzzy) come after all of them."""

    IDENTIFIER = 0  # customer number, internal ID
    CONTACT = 1  # the whole phone, an email (or its start), another email
    PHONE_START = 2
    PHONE_END = 3
    LAST_NAME = 4
    NAME = 5  # first name, first + last
    ALSO = 6  # the second person's name: after the account holders of that name
    COMPANY = 7
    WORD = 8  # an inner word of a name or company, a word of the second person's name
    PET = 9
    TYPO = 10  # look-alike surnames (customers.search._fuzzy), only as a fallback


# What a branch matched, shown on the card (customers.templatetags.customer_tags.customer_card).
WHY = ("number", "internal_id", "phone", "phone_start", "phone_end", "email", "other_email", "name", "also")
WHY += ("company", "pet", "typo")


class _Branches:
    """Collects `(rank, why, condition, params, sort key)` branches of the final UNION ALL."""

    def __init__(self, shop_id: int, limit: int):
        self.shop_id, self.limit = shop_id, limit
        self.parts: list[str] = []
        self.params: list = []

    def add(
        self, rank: int, why: str, condition: str, params: list, sort: str = "last_name_key, first_name_key"
    ):
        assert why in WHY  # a constant of ours, written into the SQL
        self.parts.append(
            f"(select id, {int(rank)} as rank, {sort.split(',')[0]} as sort1, '{why}' as why "  # noqa: S608
            f"from customers_customer where shop_id = %s and {condition} order by {sort} limit %s)"
        )
        self.params += [self.shop_id, *params, self.limit]

    def prefix(self, rank: int, why: str, column: str, value: str, sort: str | None = None):
        self.add(rank, why, f"{column} >= %s and {column} < %s", [value, value + PREFIX_END], sort or column)

    def term(self, rank: int, why: str, kind: int, key: str, other: str | None = None):
        """Customers with a search term (customers.terms) of `kind` whose key starts with `key` or, with
        `other`, whose key is `key` and whose other part starts with `other`: one index range."""
        if other is None:
            condition, params = "t.key >= %s and t.key < %s", [key, key + PREFIX_END]
        else:
            condition, params = (
                "t.key = %s and t.other >= %s and t.other < %s",
                [key, other, other + PREFIX_END],
            )
        # Straight from the terms' index (the customer id is in it): no join for the planner to weigh.
        assert why in WHY
        self.parts.append(
            f"(select t.customer_id as id, {int(rank)} as rank, t.key as sort1, '{why}' as why "  # noqa: S608
            f"from customers_searchterm t where t.shop_id = %s and t.kind = %s and {condition} "
            "order by t.key, t.other limit %s)"
        )
        self.params += [self.shop_id, int(kind), *params, self.limit]


@dataclass
class Matched:
    """Why a card is in the results: `why` (one of WHY), the query's name words (to mark them in the
    name), and for phones which digits matched: ("start", n digits after the country code), ("end", n) or
    ("all", 0)."""

    why: str
    words: tuple[str, ...] = ()
    phone: tuple[str, int] | None = None
    query: str = ""


def customer_search(*, shop, query: str, limit: int = 20, ids_only: bool = False) -> list:
    """Customers of `shop` matching `query`, ranked; at most `limit`. Cards (each with `.matched`), or
    just their ids (`ids_only`, for the client list, which narrows its own query with them).

    Never scans the shop's customers: one character matches name prefixes only (index ranges read in order,
    stopping at `limit`); input with nothing searchable in it returns [].
    """
    q = query_clean(query)
    if not q:
        return []
    branches, identifiers = _build(shop, q, limit)
    results = _run(branches, limit, ids_only)
    key = name_key(q)
    if _typos_wanted(q, identifiers, len(results)):
        results += _fuzzy(
            shop,
            key.split(" ")[:4],
            exclude={getattr(c, "pk", c) for c in results},
            limit=limit - len(results),
            ids_only=ids_only,
        )
    if not ids_only:
        words = tuple(key.split(" ")[:NAME_WORDS]) if key else ()
        for card in results:
            card.matched = Matched(
                card.why, words, _phone_marks(card.why, q, identifiers.get("significant", 0)), q
            )
    return results


def _build(shop, q: str, limit: int | None) -> tuple[_Branches, dict]:
    branches = _Branches(shop.pk, limit)
    identifiers = _identifier_branches(branches, shop, q)
    if not identifiers.get("final"):
        _name_branches(branches, q, pets=shop.pets_enabled)
    return branches, identifiers


def _typos_wanted(q: str, identifiers: dict, found: int) -> bool:
    """Typo tolerance is the fallback: a single word that found fewer than five, or several words that found
    nobody (when "first last" matched someone, look-alike surnames would only add noise)."""
    key = name_key(q)
    few = found < 5 if " " not in key else not found
    return bool(
        not identifiers.get("matched_possible")
        and few
        and len(key) >= FUZZY_MIN_LENGTH
        and not PHONE_CHARS.match(q)
        and "@" not in q
    )


def customer_search_matches(*, shop, query: str) -> tuple[str, list]:
    """SQL (and its parameters) selecting the id of every customer of `shop` the search finds for `query`,
    uncapped: the client list, its count, its export and its bulk actions narrow themselves with it, so they
    hold exactly the people the till would find, however many. The same branches without a row limit (each
    still an index range); look-alike names when the till would add them too."""
    q = query_clean(query)
    if not q:
        return "select null::bigint as id where false", []
    branches, identifiers = _build(shop, q, None)
    first, _flags = _build(shop, q, 5)
    found = len(_run(first, 5, ids_only=True))
    if _typos_wanted(q, identifiers, found):
        typos = _fuzzy(shop, name_key(q).split(" ")[:4], exclude=set(), limit=None, ids_only=True)
        branches.add(Rank.TYPO, "typo", "id = any(%s)", [typos])
    if not branches.parts:
        return "select null::bigint as id where false", []
    return f"select id from ({' union all '.join(branches.parts)}) hits", branches.params  # noqa: S608


COUNT_CAP = 1000


def customer_search_count(*, shop, query: str, cap: int = COUNT_CAP) -> int:
    """How many customers of `shop` the search finds for `query`, counted up to `cap` + 1 (more than
    `cap` is said as such): the same branches, each stopping after `cap` + 1 rows.

    Counted without ranking: the cards' order (rank, then name) would sort every match only to count the
    first `cap` + 1 (for a common prefix, thousands of rows looked up and sorted: 85 ms instead of 20).
    When so few match that the look-alike names join in, the ranked search counts them as the till shows
    them."""
    q = query_clean(query)
    if not q:
        return 0
    branches, identifiers = _build(shop, q, cap + 1)
    found = _count(branches, cap + 1)
    if _typos_wanted(q, identifiers, found):
        return len(customer_search(shop=shop, query=query, limit=cap + 1, ids_only=True))
    return found


def query_clean(query: str) -> str:
    """The query as searched: NUL removed (it cannot travel in a PostgreSQL text parameter, and is no part
    of a name or a number), blanks collapsed, at most MAX_QUERY characters."""
    return " ".join((query or "").replace("\x00", " ").split())[:MAX_QUERY]


def _identifier_branches(branches: _Branches, shop, q: str) -> dict:
    """Customer number, internal ID, phone, email. Returns flags: `final` (the query can only be one of
    these), `matched_possible` (an exact identifier was asked for) and `significant` (for a phone start,
    how many digits after the country code were typed)."""
    flags = {}
    compact = q.replace(" ", "").replace("-", "")
    if len(compact) == NUMBER_LENGTH and compact.isalnum():
        branches.add(Rank.IDENTIFIER, "number", "number = %s", [compact.upper()], "number")
    if shop.internal_id_enabled and len(q) <= 40 and any(ch.isdigit() for ch in q):
        branches.add(Rank.IDENTIFIER, "internal_id", "internal_id_key = %s", [q.lower()], "internal_id_key")
        flags["matched_possible"] = True
    digits = re.sub(r"\D", "", q)
    if PHONE_CHARS.match(q):
        flags["final"] = True
        if len(digits) >= PHONE_MIN_DIGITS:
            e164 = _phone_e164(q, shop.country) if len(digits) >= 8 else ""
            if e164:
                branches.add(Rank.CONTACT, "phone", "phone = %s", [e164], "phone")
            start, international = phone_start(q, shop.country)
            if start:
                # A range on the E.164 number in "C" order (its own index): "06 12" and "+33 6 12" alike.
                branches.add(
                    Rank.PHONE_START,
                    "phone_start",
                    'phone <> \'\' and phone collate "C" >= %s and phone collate "C" < %s',
                    [start, start + PREFIX_END],
                    'phone collate "C"',
                )
                flags["significant"] = len(start) - 1 - len(str(_country_code(shop.country)))
            if not international:  # "+33 6 12" is the start of a number; "5678" may be its end
                branches.prefix(Rank.PHONE_END, "phone_end", "phone_rev", digits[::-1], "phone_rev")
        return flags
    if "@" in q or (EMAIL_LIKE.match(q) and "." in q):
        branches.prefix(Rank.CONTACT, "email", "email_key", q.lower())
        branches.term(Rank.CONTACT, "other_email", Kind.EMAIL, q.lower())
        if "@" in q:
            flags["final"] = True
    return flags


def phone_start(q: str, country: str) -> tuple[str, bool]:
    """The E.164 start of the number being typed, and whether it was typed in international form:
    "+33 6 12" and "0033 6 12" → "+33612"; in France "06 12" and "6 12" → "+33612"; in the US "212 555"
    and "1 212 555" → "+1212555". "" when too short to narrow anything."""
    digits = re.sub(r"\D", "", q)
    stripped = q.strip()
    if stripped.startswith("+"):
        start, international = "+" + digits, True
    elif digits.startswith("00"):
        start, international = "+" + digits[2:], True
    else:
        code = _country_code(country)
        if not code:
            return "", False
        trunk = _national_prefix(country)
        national = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
        start, international = f"+{code}{national}", False
    return (start if len(start) - 1 >= PHONE_MIN_DIGITS and len(start) <= 16 else ""), international


@lru_cache(maxsize=64)
def _country_code(country: str) -> int:
    return phonenumbers.country_code_for_region(country or "") if country else 0


@lru_cache(maxsize=64)
def _national_prefix(country: str) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country or "")
    return (metadata.national_prefix or "") if metadata else ""


def _phone_marks(why: str, q: str, significant: int) -> tuple[str, int] | None:
    if why == "phone":
        return ("all", 0)
    if why == "phone_start":
        return ("start", significant)
    if why == "phone_end":
        return ("end", len(re.sub(r"\D", "", q)))
    return None


def _name_branches(branches: _Branches, q: str, *, pets: bool = False) -> None:
    """Prefixes of last name, first name and company, whole and from each inner word; several words as
    "first last" or "last first" (any word of each); the second person on the account; in a shop with
    pets, the owners of pets whose name starts so."""
    key = name_key(q)
    if not key:
        return
    # Enough words for a compound first name and a surname with particles ("jean pierre van der berg").
    words = key.split(" ")[:NAME_WORDS]
    key = " ".join(words)
    branches.prefix(Rank.LAST_NAME, "name", "last_name_key", key, "last_name_key, first_name_key")
    # A first name, compound ones too ("jean pierre", "marie claire").
    branches.prefix(Rank.NAME, "name", "first_name_key", key, "first_name_key, last_name_key")
    # Each split of the words as (first, last) or (last, first), the first side typed in full: an equality
    # on the leading index column and a range on the next one, so every branch is a short index range.
    # (Two partial words, "ine mart", would need a range on both columns: too slow where names are
    # common, so it is left to the single-prefix branches.)
    for i in range(1, len(words)):
        # The words typed first are complete, the last one may not be: the head is an equality, the tail
        # a prefix, as a first name ("hélène dup") or as a last name ("dupont hél").
        head, tail = " ".join(words[:i]), " ".join(words[i:])
        branches.add(
            Rank.NAME,
            "name",
            "first_name_key = %s and last_name_key >= %s and last_name_key < %s",
            [head, tail, tail + PREFIX_END],
            "last_name_key, first_name_key",
        )
        branches.add(
            Rank.NAME,
            "name",
            "last_name_key = %s and first_name_key >= %s and first_name_key < %s",
            [head, tail, tail + PREFIX_END],
            "last_name_key, first_name_key",
        )
        # Any word of one name part typed in full, then the start of the other ("yann gall" for Yann Le
        # Gall, "fontaine jean" for Jean de la Fontaine); the second person's name likewise.
        branches.term(Rank.WORD, "name", Kind.PAIR, head, tail)
        branches.term(Rank.ALSO, "also", Kind.ALSO_PAIR, head, tail)
    branches.prefix(Rank.COMPANY, "company", "company_key", key)
    if len(key) >= INNER_MIN_LENGTH:
        # From an inner word on: "fontaine" or "la font" for de la Fontaine, "parc" for Hôtel du Parc.
        branches.term(Rank.WORD, "name", Kind.WORD, key)
        branches.term(Rank.WORD if len(words) == 1 else Rank.ALSO, "also", Kind.ALSO_WORD, key)
    if pets:
        branches.parts.append(
            f"(select p.owner_id as id, {int(Rank.PET)} as rank, p.name_key as sort1, 'pet' as why "  # noqa: S608
            "from customers_pet p where p.shop_id = %s and p.name_key >= %s and p.name_key < %s "
            "order by p.name_key limit %s)"
        )
        branches.params += [branches.shop_id, key, key + PREFIX_END, branches.limit]


def _run(branches: _Branches, limit: int, ids_only: bool = False) -> list:
    if not branches.parts:
        return []
    sql = f"""
        select {_card_columns(ids_only, "h.why")}
        from (
            select id, min(rank) as rank, min(sort1) as sort1, (array_agg(why order by rank))[1] as why
            from ({" union all ".join(branches.parts)}) hits
            group by id
        ) h
        join customers_customer c on c.id = h.id
        order by h.rank, h.sort1, c.first_name_key, c.id
        limit %s
    """  # noqa: S608 (only placeholders and column names are interpolated)
    return _fetch(sql, [*branches.params, limit], ids_only)


def _count(branches: _Branches, limit: int) -> int:
    """How many distinct customers the branches find, up to `limit`: those of `_run`, unranked."""
    if not branches.parts:
        return 0
    sql = f"""
        select count(*) from (
            select h.id
            from (select id from ({" union all ".join(branches.parts)}) hits group by id) h
            join customers_customer c on c.id = h.id
            limit %s
        ) counted
    """  # noqa: S608 (only placeholders and column names are interpolated)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*branches.params, limit])
        return cursor.fetchone()[0]


def _fuzzy(shop, words: list[str], *, exclude: set[int], limit: int, ids_only: bool = False) -> list:
    """Typo-tolerant last names: the closest keys of the shop's vocabulary, then their customers.

    Row-level security keeps the trigram index out of reach (its operators are not leakproof), so the
    vocabulary is narrowed by an index range on the first letter first: a typo there is rare.
    """
    if limit is not None and limit <= 0:
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
        select {_card_columns(ids_only, "'typo'")}
        from close cross join lateral (
            -- Per close surname, its first customers in index order: a common one (7,000 Bernards) is
            -- not read whole to show a dozen.
            select * from customers_customer c
             where c.shop_id = %s and c.last_name_key = close.key and c.id <> all(%s)
             order by c.first_name_key
             limit %s
        ) c
        order by close.score desc, c.last_name_key, c.first_name_key
        limit %s
    """  # noqa: S608 (only placeholders and column names are interpolated)
    lengths = [n for w in candidates for n in (len(w) - FUZZY_LENGTH_SLACK, len(w) + FUZZY_LENGTH_SLACK)]
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
        limit,
    ]
    return _fetch(sql, params, ids_only)


def _card_columns(ids_only: bool, why: str) -> str:
    if ids_only:
        return "c.id"
    return ", ".join("c." + col.strip() for col in CARD_COLUMNS.split(",")) + f", {CARD_EXTRAS}, {why}"


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
    also_name: str = ""
    secondary_emails: list = field(default_factory=list)
    pets: _Related = field(default_factory=_Related)
    tags: _Related = field(default_factory=_Related)
    why: str = ""
    matched: Matched | None = None

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
    # Planned with its values every time, not prepared: a generic plan cannot prove the partial indexes'
    # predicates from parameters and reads whole ranges (measured: 35 ms instead of 2 ms).
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if ids_only:
        return [row[0] for row in rows]
    cards = []
    for *values, pets, tags, why in rows:
        card = CustomerCard(*values, why=why)
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
