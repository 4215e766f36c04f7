"""The till's one search box: whatever the cashier types, the right customers of this shop, best first.

Each kind of match is one small indexed query (see the indexes in customers/migrations/0003); results are
merged in rank order: exact identifiers, then phone and email, then name prefixes, then typo-tolerant names.
"""

from __future__ import annotations

import re

import phonenumbers
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Q
from django.db.models.functions import Lower, Reverse

from customers.models import Customer
from customers.normalise import name_key

MAX_QUERY = 100
PHONE_CHARS = re.compile(r"^[\d\s+().\-/]+$")
FUZZY_MIN_LENGTH = 3
FUZZY_THRESHOLD = 0.45


def customer_search(*, shop, query: str, limit: int = 20) -> list[Customer]:
    """Customers of `shop` matching `query`, ranked; at most `limit`. Never scans the table:
    one character matches name prefixes only, and anything unusable returns []."""
    q = " ".join((query or "").split())[:MAX_QUERY]
    if not q:
        return []
    base = Customer.objects.filter(shop=shop)
    found: dict[int, Customer] = {}

    def take(qs, n=None):
        for customer in qs[: n or limit]:
            if len(found) >= limit:
                return
            found.setdefault(customer.pk, customer)

    compact = q.replace(" ", "").replace("-", "")
    # 1. exact identifiers: customer number, internal ID
    if 4 <= len(compact) <= 12 and compact.isalnum():
        take(base.filter(number=compact.upper()), 1)
    if shop.internal_id_enabled:
        take(base.filter(internal_id=q), 1)
    # 2. phone: full number in any format, or its last 4+ digits
    digits = re.sub(r"\D", "", q)
    if PHONE_CHARS.match(q) and len(digits) >= 4:
        e164 = _phone_e164(q, shop.country)
        if e164:
            take(base.filter(phone=e164))
        # digit suffix through the reversed-phone index
        take(
            base.annotate(phone_rev=Reverse("phone"))
            .filter(phone_rev__startswith=digits[::-1])
            .order_by("last_name_key", "first_name_key")
        )
        return list(found.values())
    # 3. email, full or prefix
    if "@" in q or (re.match(r"^[\w.+\-]+$", q) and "." in q):
        take(
            base.annotate(email_lower=Lower("email"))
            .filter(email_lower__startswith=q.lower())
            .order_by("email_lower")
        )
        if "@" in q:
            return list(found.values())
    # 4. names and company: prefixes of last name, first name, company, or "first last" / "last first"
    key = name_key(q)
    if not key:
        return list(found.values())
    words = key.split(" ")
    if len(words) == 1:
        take(base.filter(last_name_key__startswith=key).order_by("last_name_key", "first_name_key"))
        take(base.filter(first_name_key__startswith=key).order_by("first_name_key", "last_name_key"))
        take(base.filter(company_key__startswith=key).order_by("company_key"))
    else:
        first, rest = words[0], " ".join(words[1:])
        last_word, head = words[-1], " ".join(words[:-1])
        take(base.filter(last_name_key__startswith=key).order_by("last_name_key", "first_name_key"))
        take(
            base.filter(
                Q(first_name_key__startswith=first, last_name_key__startswith=rest)
                | Q(last_name_key__startswith=head, first_name_key__startswith=last_word)
            ).order_by("last_name_key", "first_name_key")
        )
        take(base.filter(company_key__startswith=key).order_by("company_key"))
    # 5. typo-tolerant last names, only when prefixes found little
    if len(found) < limit and len(key) >= FUZZY_MIN_LENGTH and len(found) < 5:
        take(
            base.annotate(
                similarity=TrigramWordSimilarity(words[-1] if len(words) > 1 else key, "last_name_key")
            )
            .filter(similarity__gte=FUZZY_THRESHOLD)
            .exclude(pk__in=list(found))
            .order_by("-similarity", "last_name_key"),
            limit - len(found),
        )
    return list(found.values())


def _phone_e164(value: str, region: str) -> str:
    try:
        number = phonenumbers.parse(value if not value.startswith("00") else "+" + value[2:], region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
