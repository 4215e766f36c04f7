"""The search terms of a customer (customers.models.SearchTerm): what the till finds them by beyond the
keys on their own row.

Terms are derived from keys already normalised by `customers.normalise.name_key`, so they compare the same
way as everything else the search reads. Only what the customer row's indexes cannot serve becomes a row:
a one-word first name and a one-word last name (most customers) need none.
"""

from __future__ import annotations

from collections.abc import Iterable

from customers.models import SearchTerm

Kind = SearchTerm.Kind


def _tails(key: str) -> list[str]:
    """The key from each inner word on: "de la fontaine" → "la fontaine", "fontaine"."""
    words = key.split(" ")
    return [" ".join(words[i:]) for i in range(1, len(words))]


def _variants(key: str) -> set[str]:
    """The whole key and each of its words."""
    return {key, *key.split(" ")} if key else set()


def _person(kind_word: int, kind_pair: int, words: list[str], terms: set) -> None:
    terms.update((kind_word, " ".join(words[i:]), "") for i in range(len(words)))
    for i in range(1, len(words)):
        head, tail = " ".join(words[:i]), " ".join(words[i:])
        terms.add((kind_pair, head, tail))
        terms.add((kind_pair, tail, head))
    for i, a in enumerate(words):
        for j, b in enumerate(words):
            if i != j and a != b:
                terms.add((kind_pair, a, b))


def search_terms(
    *, first: str, last: str, company: str = "", also: str = "", emails: Iterable[str] = ()
) -> set[tuple[int, str, str]]:
    """(kind, key, other) rows for a customer whose keys are `first`, `last`, `company` (name keys),
    `also` (the second person's name key) and other `emails`."""
    terms: set[tuple[int, str, str]] = set()
    for key in (last, first, company):
        terms.update((Kind.WORD, tail, "") for tail in _tails(key))
    if first and last and (" " in first or " " in last):
        for f in _variants(first):
            for surname in _variants(last):
                if (f, surname) != (first, last):
                    terms.add((Kind.PAIR, f, surname))
                    terms.add((Kind.PAIR, surname, f))
    if also:
        # "Marie" on Jean Dupont's account is Marie Dupont.
        words = also.split(" ") if " " in also or not last else [also, *last.split(" ")]
        _person(Kind.ALSO_WORD, Kind.ALSO_PAIR, words, terms)
    terms.update((Kind.EMAIL, email.lower(), "") for email in emails if email)
    return {(kind, key[:254], other[:150]) for kind, key, other in terms if key}


def customer_terms(customer) -> set[tuple[int, str, str]]:
    return search_terms(
        first=customer.first_name_key,
        last=customer.last_name_key,
        company=customer.company_key,
        also=customer.also_name_key,
        emails=customer.secondary_emails or (),
    )


def terms_refresh(*, shop, customers: Iterable) -> None:
    """Replace the terms of `customers` (of `shop`) with those of their current keys."""
    customers = list(customers)
    if not customers:
        return
    SearchTerm.objects.filter(shop=shop, customer__in=[c.pk for c in customers]).delete()
    SearchTerm.objects.bulk_create(
        [
            SearchTerm(shop=shop, customer_id=c.pk, kind=kind, key=key, other=other)
            for c in customers
            for kind, key, other in sorted(customer_terms(c))
        ],
        batch_size=2000,
    )
