"""Benchmark dataset: 1,000,000 customers across 500 shops, 200,000 in the largest, loaded with COPY.

Names are French and US, with accents, apostrophes, hyphens and a long tail of rarer surnames; some
surnames carry a particle ("de la", "Le", "Van") or are double, some first names are compound; phones are
mobiles of the shop's country; 60 % have an email, 3 % another one; 8 % have a second person on the
account; shops with the flag have internal IDs; some pets (the largest shop sells pet food too) and tags.
Search terms (customers.terms) are derived as the services derive them.
Rows go through COPY into a temporary table, then one INSERT … SELECT under a logged cross-shop context
(PostgreSQL refuses COPY FROM into a table with row-level security).
"""

from __future__ import annotations

import datetime
import random
import time

from django.db import connections
from django.utils import timezone

from customers import demo
from customers.normalise import name_key
from customers.services import KEY_FIELDS, NUMBER_ALPHABET, NUMBER_LENGTH
from customers.terms import search_terms
from shopcrm.models import Shop
from shopcrm.selectors import shop_by_slug
from shopcrm.tenancy import cross_shop

SEED = 20261123
BIG_SHOP_SLUG = "bench-big"
COLUMNS = [
    "shop_id",
    "number",
    "type",
    "civility",
    "first_name",
    "last_name",
    "company_name",
    "company_registration",
    "internal_id",
    "phone",
    "email",
    "secondary_emails",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "notes",
    "email_status",
    "sms_status",
    "last_name_key",
    "first_name_key",
    "company_key",
    "email_key",
    "phone_rev",
    "phone_national",
    "internal_id_key",
    "also_name",
    "also_name_key",
    "city_key",
    "email_domain",
    "created_at",
    "updated_at",
    "last_visit_at",
]
US_AREAS = [201, 212, 305, 415, 617, 917]
PARTICLES = {"FR": ["de ", "de la ", "Le ", "Du ", "Van der "], "US": ["Van ", "De ", "Van der ", "Le "]}
SECOND_FIRST = {"FR": ["Marie", "Pierre", "Claire", "Louis", "Baptiste"], "US": ["Ann", "Lee", "Mae", "Kate"]}
DOMAINS = ["example.com", "example.org", "example.net", "example.fr"]
SYLLABLES_FR = [
    "ber",
    "nard",
    "lef",
    "èvre",
    "mor",
    "eau",
    "du",
    "val",
    "cha",
    "pen",
    "tier",
    "gal",
    "lois",
    "ro",
    "ché",
    "fon",
    "taine",
    "bou",
    "let",
    "mar",
    "chand",
    "gué",
    "rin",
    "bel",
    "lanc",
    "vil",
    "le",
    "neu",
    "ve",
    "des",
    "champs",
    "tré",
    "mon",
    "ville",
    "cour",
    "bet",
]
SYLLABLES_US = [
    "ander",
    "son",
    "har",
    "ris",
    "wil",
    "liam",
    "ston",
    "mc",
    "ken",
    "zie",
    "o'",
    "bri",
    "en",
    "whit",
    "more",
    "brad",
    "ford",
    "ash",
    "ley",
    "row",
    "land",
    "fitz",
    "ger",
    "ald",
    "kow",
    "ski",
    "ham",
    "mond",
    "dale",
    "wood",
    "bur",
    "ton",
    "green",
    "berg",
]


def _surnames(country: str, rng: random.Random, n: int) -> list[str]:
    syllables = SYLLABLES_FR if country == "FR" else SYLLABLES_US
    out = set()
    while len(out) < n:
        word = "".join(rng.choice(syllables) for _ in range(rng.choice([2, 2, 3])))
        word = word[0].upper() + word[1:]
        if word.startswith("O'") and len(word) > 2:
            word = "O'" + word[2].upper() + word[3:]
        if rng.random() < 0.05:
            word = f"{word}-{rng.choice(syllables).capitalize()}{rng.choice(syllables)}"
        out.add(word)
    return sorted(out)


def _national(e164: str) -> str:
    """National format of the generated numbers, without parsing a million of them."""
    if e164.startswith("+33"):
        digits = "0" + e164[3:]
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


def _pick_last(common: list[str], tail: list[str], rng: random.Random) -> str:
    # Half the people carry a common surname (Zipf-like), the rest a long tail.
    if rng.random() < 0.5:
        return common[min(int(rng.paretovariate(1.2)) - 1, len(common) - 1)]
    return rng.choice(tail)


def shop_sizes(total: int = 1_000_000, shops: int = 500, biggest: int = 200_000) -> list[int]:
    rest = total - biggest
    base, extra = divmod(rest, shops - 1)
    return [biggest] + [base + (1 if i < extra else 0) for i in range(shops - 1)]


def dataset_loaded() -> bool:
    shop = shop_by_slug(BIG_SHOP_SLUG)
    if shop is None:
        return False
    with cross_shop("bench: is the dataset loaded?") as platform, platform.cursor() as cursor:
        cursor.execute("select count(*) from customers_customer where shop_id = %s", [shop.pk])
        if cursor.fetchone()[0] < 200_000:
            return False
        # A dataset from before the search terms existed is loaded again.
        cursor.execute("select exists (select from customers_searchterm where shop_id = %s)", [shop.pk])
        return cursor.fetchone()[0]


def reset(slug_prefix: str = "bench-") -> None:
    """Remove the bench shops and what they own (set-based, under a logged cross-shop context)."""
    from django.apps import apps

    with cross_shop("bench: listing the benchmark shops"):
        ids = list(Shop.objects.filter(slug__startswith=slug_prefix).values_list("pk", flat=True))
    if not ids:
        return
    tenant_tables = [
        m._meta.db_table
        for m in apps.get_models()
        if m is not Shop and any(getattr(f, "related_model", None) is Shop for f in m._meta.concrete_fields)
    ]
    # children before parents: link tables, then pets / history / messages, then customers and tags
    order = sorted(tenant_tables, key=lambda t: (t.endswith("_customer"), t.endswith("_tag")))
    with cross_shop("bench: removing the benchmark dataset") as platform, platform.cursor() as c:
        for table in order:
            c.execute(f"delete from {table} where shop_id = any(%s)", [ids])
        c.execute("delete from shopcrm_shop where id = any(%s)", [ids])


def load(total: int = 1_000_000, shops: int = 500, biggest: int = 200_000, log=print) -> dict:
    """Create the bench shops and their customers. Returns timings."""
    # Every lookup key the services keep is written here too, or the searches and filters would read blanks.
    missing = set(KEY_FIELDS) - set(COLUMNS)
    if missing:
        raise RuntimeError(f"the bench dataset lacks the key columns {sorted(missing)}")
    reset()
    rng = random.Random(SEED)
    started = time.perf_counter()
    sizes = shop_sizes(total, shops, biggest)
    now = timezone.now()
    with cross_shop("bench: creating the benchmark shops"):
        shop_objs = []
        for i, _size in enumerate(sizes):
            country = "FR" if i == 0 or rng.random() < 0.5 else "US"
            shop_objs.append(
                Shop(
                    name=f"Bench shop {i:03d}",
                    slug=BIG_SHOP_SLUG if i == 0 else f"bench-{i:03d}",
                    country=country,
                    language="fr" if country == "FR" else "en",
                    timezone="Europe/Paris" if country == "FR" else "America/New_York",
                    internal_id_enabled=i == 0 or rng.random() < 0.4,
                    pets_enabled=country == "US" or i == 0,
                    show_customer_number=True,
                )
            )
        Shop.objects.bulk_create(shop_objs)
        shop_objs = list(Shop.objects.filter(slug__startswith="bench-").order_by("pk"))
    big = next(s for s in shop_objs if s.slug == BIG_SHOP_SLUG)
    shop_objs.sort(key=lambda s: (s.slug != BIG_SHOP_SLUG, s.slug))
    tails = {c: _surnames(c, rng, 20_000) for c in ("FR", "US")}
    numbers: set[str] = set()

    def number() -> str:
        while True:
            n = "".join(rng.choices(NUMBER_ALPHABET, k=NUMBER_LENGTH))
            if n not in numbers:
                numbers.add(n)
                return n

    keys: dict[str, str] = {}

    def key(value: str) -> str:
        if value not in keys:
            keys[value] = name_key(value)
        return keys[value]

    def person(shop, firsts, commons, tail) -> tuple[str, str, str]:
        first = rng.choice(firsts)
        if rng.random() < 0.05:
            joiner = "-" if shop.country == "FR" else " "
            first = f"{first}{joiner}{rng.choice(SECOND_FIRST[shop.country])}"
        last = _pick_last(commons, tail, rng)
        roll = rng.random()
        if roll < 0.05:
            last = rng.choice(PARTICLES[shop.country]) + last
        elif roll < 0.08:
            last = f"{last}-{_pick_last(commons, tail, rng)}"
        also = ""
        roll = rng.random()
        if roll < 0.04:
            also = rng.choice(firsts)
        elif roll < 0.08:
            also = f"{rng.choice(firsts)} {rng.choice(tail)}"
        return first, last, also

    terms: list[tuple] = []
    generated = 0
    # All on the platform connection: the temporary table lives in its session.
    with cross_shop("bench: loading the benchmark dataset") as platform, platform.cursor() as cursor:
        cols = ", ".join(COLUMNS)
        cursor.execute(
            f"create temp table bench_customers on commit drop as "
            f"select {cols} from customers_customer with no data"
        )
        with cursor.connection.cursor().copy(f"copy bench_customers ({cols}) from stdin") as copy:
            for shop, size in zip(shop_objs, sizes, strict=True):
                firsts, commons = demo.names_for(shop.country)
                tail = tails[shop.country]
                # distinct integers → distinct phones within the shop (the unique index requires it)
                phones = rng.sample(range(48_000_000), size)
                for i in range(size):
                    first, last, also = person(shop, firsts, commons, tail)
                    p = phones[i]
                    if shop.country == "FR":
                        phone = f"+336{p:08d}"
                    else:
                        area = US_AREAS[p // 8_000_000]
                        phone = f"+1{area}{p // 10_000 % 800 + 200:03d}{p % 10_000:04d}"
                    has_email = rng.random() < 0.6
                    email = (
                        f"{key(first)}.{key(last)}{i}@{rng.choice(DOMAINS)}".replace(" ", "")
                        if has_email
                        else ""
                    )
                    pro = rng.random() < 0.05
                    phone_kept = rng.random() < 0.9
                    company = f"{last} {rng.choice(['SARL', 'SAS', 'LLC', 'Inc.'])}" if pro else ""
                    other_emails = (
                        [f"{key(first)}.{i}@work.example".replace(" ", "")] if rng.random() < 0.03 else []
                    )
                    n = number()
                    for kind, term, other in search_terms(
                        first=key(first),
                        last=key(last),
                        company=key(company),
                        also=key(also),
                        emails=other_emails,
                    ):
                        terms.append((n, int(kind), term, other))
                    # Customers arrived over three years; most came back since.
                    created = now - datetime.timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
                    visited = created + (now - created) * rng.random() if rng.random() < 0.7 else None
                    copy.write_row(
                        (
                            shop.pk,
                            n,
                            "professional" if pro else "individual",
                            demo.civility_for(first, rng),
                            first,
                            last,
                            company,
                            "",
                            f"A{i:06d}" if shop.internal_id_enabled else "",
                            phone if phone_kept else "",
                            email,
                            "{" + ",".join(other_emails) + "}",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "pending" if has_email and rng.random() < 0.3 else "none",
                            "none",
                            key(last),
                            key(first),
                            key(company),
                            email.lower(),
                            phone.lstrip("+")[::-1] if phone_kept else "",
                            _national(phone) if phone_kept else "",
                            f"a{i:06d}" if shop.internal_id_enabled else "",
                            also,
                            key(also),
                            "",  # no city
                            email.rpartition("@")[2],
                            created,
                            created,
                            visited,
                        )
                    )
                    generated += 1
                if shop is big:
                    log(f"  {size:,} customers generated for the largest shop")
        log(f"  {generated:,} rows copied in {time.perf_counter() - started:.1f} s; inserting…")
        cursor.execute(f"insert into customers_customer ({cols}) select {cols} from bench_customers")
        cursor.execute("create temp table bench_terms (number text, kind smallint, key text, other text)")
        with cursor.connection.cursor().copy("copy bench_terms from stdin") as copy:
            for row in terms:
                copy.write_row(row)
        cursor.execute(
            "insert into customers_searchterm (shop_id, customer_id, kind, key, other) "
            "select c.shop_id, c.id, t.kind, t.key, t.other from bench_terms t "
            "join customers_customer c on c.number = t.number"
        )
        log(f"  {len(terms):,} search terms")
        _pets_and_tags(cursor, [s.pk for s in shop_objs], [s.pk for s in shop_objs if s.pets_enabled])
        cursor.execute(
            "insert into customers_namekey (shop_id, key) select distinct shop_id, last_name_key "
            "from customers_customer where shop_id = any(%s) and last_name_key <> '' "
            "on conflict do nothing",
            [[s.pk for s in shop_objs]],
        )
    # Only the owner of a table may VACUUM it.
    with connections["owner"].cursor() as cursor:
        # VACUUM as well as ANALYZE: it sets the hint bits and the visibility map once, instead of the first
        # benchmark that reads every row paying for it (a first full export took minutes, the next 2 s).
        tables = ("customers_customer", "customers_customertag", "customers_pet", "customers_namekey")
        for table in (*tables, "customers_searchterm"):
            cursor.execute(f"vacuum (analyze) {table}")
    elapsed = time.perf_counter() - started
    log(f"  loaded {generated:,} customers into {len(sizes)} shops in {elapsed:.1f} s")
    return {"customers": generated, "shops": len(sizes), "seconds": elapsed}


def _pets_and_tags(cursor, shop_ids: list[int], pet_shop_ids: list[int]) -> None:
    """Pets for a third of pet-shop customers, five tags per shop on one customer in seven (set-based SQL).
    Shops are named by id, not joined: the shops table is under row-level security too, and its policy's
    OR of scopes makes the planner scan the customers once per shop."""
    names = "array[" + ", ".join(f"'{n}'" for n in demo.PET_NAMES) + "]"
    cursor.execute(
        f"""
        insert into customers_pet
            (shop_id, owner_id, name, name_key, species, breed, birth_month, birth_year, created_at)
        select c.shop_id, c.id, ({names})[1 + c.id %% {len(demo.PET_NAMES)}],
               lower(({names})[1 + c.id %% {len(demo.PET_NAMES)}]),
               (array['dog', 'cat', 'dog', 'cat', 'bird', 'small_mammal'])[1 + c.id %% 6], '',
               1 + c.id %% 12, 2010 + c.id %% 15, now()
        from customers_customer c
        where c.shop_id = any(%s) and c.id %% 3 = 0
        """,
        [pet_shop_ids],
    )
    cursor.execute(
        """
        insert into customers_tag (shop_id, name)
        select s.id, t.name from unnest(%s::bigint[]) as s(id)
        cross join unnest(array['VIP', 'Regular', 'Pro', 'Delivery', 'Newsletter']) as t(name)
        """,
        [shop_ids],
    )
    cursor.execute(
        """
        insert into customers_customertag (shop_id, customer_id, tag_id)
        select c.shop_id, c.id, t.id from customers_customer c
        join customers_tag t on t.shop_id = c.shop_id
         and t.name = (array['VIP', 'Regular', 'Pro', 'Delivery', 'Newsletter'])[1 + c.id %% 5]
        where c.shop_id = any(%s) and c.id %% 7 = 0
        """,
        [shop_ids],
    )
