"""Reads on customers. Every selector takes `shop` and reads nothing outside it."""

from __future__ import annotations

from django.db.models import Prefetch, Q

from customers.converters import is_number_form
from customers.models import Customer, CustomerChange, Export, Import, Merge, Pet, Tag
from customers.normalise import name_key

# Appended to a prefix, the greatest code point bounds every string that starts with it ("C" collation).
PREFIX_END = "\U0010ffff"


def customer_queryset(*, shop):
    return Customer.objects.filter(shop=shop)


def customers_by_number(*, shop, numbers):
    """The customers of `shop` among these numbers (any case); what cannot be a number matches none."""
    wanted = {n.upper() for n in numbers if is_number_form(n)}
    return customer_queryset(shop=shop).filter(number__in=wanted)


def customer_brief_get(*, shop, number: str) -> Customer:
    """The customer of `shop` with this number, without their pets, tags or authors (for a screen's
    section that needs only the record itself)."""
    if not is_number_form(number):
        raise Customer.DoesNotExist
    return customer_queryset(shop=shop).get(number=number.upper())


def customer_get(*, shop, number: str) -> Customer:
    """The customer of `shop` with this number (raises Customer.DoesNotExist), with pets and tags loaded."""
    if not is_number_form(number):
        raise Customer.DoesNotExist
    return (
        customer_queryset(shop=shop)
        .select_related("created_by", "updated_by")
        .prefetch_related(
            Prefetch("pets", queryset=Pet.objects.filter(shop=shop)),
            Prefetch("tags", queryset=Tag.objects.filter(shop=shop)),
        )
        .get(number=number.upper())
    )


def customer_duplicates(
    *, shop, phone: str = "", email: str = "", internal_id: str = "", exclude_pk=None
) -> dict[str, Customer]:
    """Which of these identifiers another customer of `shop` already holds: {field: that customer}.

    One query: each identifier is unique in a shop, so at most one customer per identifier comes back.
    """
    wanted = {
        field: (lookup, value)
        for field, lookup, value in (
            ("phone", "phone", phone),
            ("email", "email_key", email.lower() if email else ""),
            ("internal_id", "internal_id", internal_id),
        )
        if value
    }
    if not wanted:
        return {}
    condition = Q()
    for lookup, value in wanted.values():
        condition |= Q(**{lookup: value})
    qs = customer_queryset(shop=shop).filter(condition)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    found: dict[str, Customer] = {}
    for other in qs.order_by("pk")[: len(wanted)]:
        for field, (lookup, value) in wanted.items():
            if field not in found and str(getattr(other, lookup) or "") == str(value):
                found[field] = other
    # Keep the order the errors are reported in (phone, email, internal ID).
    return {field: found[field] for field in wanted if field in found}


def customer_matches(*, shop, last_name: str = "", phone: str = "", limit: int = 5) -> list[Customer]:
    """Existing customers who may be the person being created: same phone, or last name starting the same."""
    results: list[Customer] = []
    if phone:
        results.extend(customer_queryset(shop=shop).filter(phone=phone)[:limit])
    key = name_key(last_name)
    if len(key) >= 2 and len(results) < limit:
        seen = [c.pk for c in results]
        results.extend(
            customer_queryset(shop=shop)
            .filter(last_name_key__gte=key, last_name_key__lt=key + PREFIX_END)
            .exclude(pk__in=seen)
            .order_by("last_name_key", "first_name_key")[: limit - len(results)]
        )
    return results


def customer_history(*, shop, customer: Customer, limit: int = 50) -> list[CustomerChange]:
    return list(CustomerChange.objects.filter(shop=shop, customer=customer).select_related("by")[:limit])


def tag_list(*, shop) -> list[Tag]:
    return list(Tag.objects.filter(shop=shop).order_by("name"))


def customer_consents(*, shop, customer, limit: int = 50):
    """The customer's consent ledger, newest first."""
    from messaging.models import ConsentEvent

    return list(ConsentEvent.objects.filter(shop=shop, customer=customer).select_related("by")[:limit])


def customer_messages(*, shop, customer, limit: int = 10):
    """The latest emails and texts sent to the customer, newest first, with the consent each marketing
    message relied on."""
    from messaging.models import OutboundMessage

    messages = OutboundMessage.objects.filter(shop=shop, customer=customer).select_related("consent")
    return list(messages[:limit])


def export_list(*, shop, limit: int = 200) -> list[Export]:
    """The shop's export log, newest first."""
    return list(Export.objects.filter(shop=shop).select_related("by")[:limit])


def export_get(*, shop, pk: int) -> Export:
    return Export.objects.select_related("by").get(shop=shop, pk=pk)


def import_list(*, shop, limit: int = 20) -> list[Import]:
    """The shop's latest imports, newest first."""
    return list(Import.objects.filter(shop=shop).select_related("by")[:limit])


def import_get(*, shop, pk: int) -> Import:
    return Import.objects.select_related("by").get(shop=shop, pk=pk)


def import_same_file_done(*, shop, job: Import) -> Import | None:
    """An earlier, finished import of the very same file (same SHA-256), if any."""
    return (
        Import.objects.filter(shop=shop, sha256=job.sha256, status=Import.Status.DONE)
        .exclude(pk=job.pk)
        .order_by("-finished_at")
        .first()
    )


def merge_list(*, shop, survivor: Customer) -> list[Merge]:
    """The merges into this customer that can still be undone, newest first."""
    return list(
        Merge.objects.filter(shop=shop, survivor=survivor, undone_at__isnull=True).select_related("by")
    )


def merge_get(*, shop, pk: int) -> Merge:
    return Merge.objects.get(shop=shop, pk=pk)


def customer_erasure_requested(*, shop, customer: Customer) -> bool:
    """Whether the customer asked, from their preferences page, to be erased (and it is not handled)."""
    from messaging.models import ErasureRequest

    return ErasureRequest.objects.filter(shop=shop, customer=customer, handled_at__isnull=True).exists()
