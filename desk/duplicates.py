"""The duplicate finder: pairs of customers of one shop that are probably one person, best first.

Why a pair is suggested, strongest first:
- one's email is the other's email or one of their other emails (emails are unique per shop, so the same
  address twice is always this);
- the same first and last name and the same postal code;
- names one typo apart (trigram similarity) at the same street address and postal code.
Phones are unique per shop: a phone cannot be on two records. A pair an admin dismissed is never suggested
again; merging uses desk.merge, as from the list. Selectors only; every query names its shop.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, DuplicateDismissal, Pet, SearchTerm, Tag

SUGGESTED = 50
NAME_SIMILARITY = 0.6
REASONS = {
    "email": _("Same email address"),
    "name_postal": _("Same name and postal code"),
    "typo_street": _("Names a typo apart, same street address"),
}
SCORES = {"email": 3, "name_postal": 2, "typo_street": 1}

# Each yields (first id, second id) with first < second, in this shop.
_EMAIL = """
    select least(t.customer_id, c.id), greatest(t.customer_id, c.id)
      from customers_searchterm t
      join customers_customer c on c.shop_id = t.shop_id and c.email_key = t.key and c.id <> t.customer_id
     where t.shop_id = %s and t.kind = %s and c.email_key <> ''
"""
_NAME_POSTAL = """
    select a.id, b.id
      from customers_customer a
      join customers_customer b
        on b.shop_id = a.shop_id and b.last_name_key = a.last_name_key and b.first_name_key = a.first_name_key
       and b.postal_code = a.postal_code and b.id > a.id
     where a.shop_id = %s and a.postal_code <> '' and a.last_name_key <> ''
"""
_TYPO_STREET = """
    select a.id, b.id
      from customers_customer a
      join customers_customer b
        on b.shop_id = a.shop_id and b.postal_code = a.postal_code and b.id > a.id
       and lower(b.address_line1) = lower(a.address_line1)
     where a.shop_id = %s and a.postal_code <> '' and a.address_line1 <> ''
       and (a.last_name_key, a.first_name_key) <> (b.last_name_key, b.first_name_key)
       and similarity(a.last_name_key || ' ' || a.first_name_key, b.last_name_key || ' ' || b.first_name_key)
           >= %s
"""


@dataclass
class Suggestion:
    first: Customer
    second: Customer
    reasons: list[str]
    score: int

    @property
    def customers(self) -> tuple[Customer, Customer]:
        return self.first, self.second

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[r]) for r in self.reasons]


def duplicate_suggestions(*, shop, limit: int = SUGGESTED) -> list[Suggestion]:
    """The likeliest duplicate pairs of `shop`, not dismissed, strongest reasons first, at most `limit`."""
    found: dict[tuple[int, int], set[str]] = {}
    with connection.cursor() as cursor:
        for reason, sql, params in (
            ("email", _EMAIL, [shop.pk, SearchTerm.Kind.EMAIL]),
            ("name_postal", _NAME_POSTAL, [shop.pk]),
            ("typo_street", _TYPO_STREET, [shop.pk, NAME_SIMILARITY]),
        ):
            cursor.execute(sql + " limit %s", [*params, limit * 4])
            for pair in cursor.fetchall():
                found.setdefault(tuple(pair), set()).add(reason)
    dismissed = set(
        DuplicateDismissal.objects.filter(
            shop=shop, first_id__in={a for a, _b in found}, second_id__in={b for _a, b in found}
        ).values_list("first_id", "second_id")
    )
    ranked = sorted(
        ((pair, reasons) for pair, reasons in found.items() if pair not in dismissed),
        key=lambda item: (-sum(SCORES[r] for r in item[1]), item[0]),
    )[:limit]
    ids = {i for pair, _r in ranked for i in pair}
    customers = (
        Customer.objects.filter(shop=shop, pk__in=ids)
        .prefetch_related(
            Prefetch("pets", queryset=Pet.objects.filter(shop=shop)),
            Prefetch("tags", queryset=Tag.objects.filter(shop=shop)),
        )
        .in_bulk()
    )
    return [
        Suggestion(
            customers[a],
            customers[b],
            sorted(reasons, key=lambda r: -SCORES[r]),
            sum(SCORES[r] for r in reasons),
        )
        for (a, b), reasons in ranked
        if a in customers and b in customers
    ]


@transaction.atomic
def duplicate_dismiss(*, shop, by, first: Customer, second: Customer) -> None:
    """Remember that `first` and `second` (customers of `shop`) are two people."""
    if first.shop_id != shop.pk or second.shop_id != shop.pk or first.pk == second.pk:
        raise Customer.DoesNotExist
    low, high = sorted((first.pk, second.pk))
    DuplicateDismissal.objects.get_or_create(shop=shop, first_id=low, second_id=high, defaults={"by": by})
