"""Erasing a customer (GDPR art. 17): every personal value goes from every table and file the shop has,
except the consent ledger's proof, which stays with hashed addresses and no name.

The customer row is deleted, and with it their pets, tags, history, messages and the merges they
survived (whose snapshots hold the merged record). Messaging first sends the last email, suppresses the
addresses by hash and makes the ledger impersonal (`messaging.erasure`). The files the desk keeps go: those
of finished imports (kept a week, for the rejected-rows report; the import's record and its SHA-256 stay)
and every export file built so far (kept a day).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerChange, Export, Import, Merge, NameKey, Pet
from messaging.erasure import person_erase, scrub
from messaging.models import Channel, Erasure

logger = logging.getLogger(__name__)


def erasure_values(customer: Customer) -> list[str]:
    """The personal values of a customer as they may appear anywhere: names, company, identifiers, every
    address and phone form, pets' names, notes. Short generic values (a city, a postal code, a one-letter
    name) are left out of text scrubbing: they identify nobody and would blank unrelated words."""
    pets = list(customer.pets.values_list("name", "breed"))
    values = [
        customer.first_name,
        customer.last_name,
        customer.full_name,
        customer.company_name,
        customer.company_registration,
        customer.internal_id,
        customer.email,
        *customer.secondary_emails,
        str(customer.phone or ""),
        customer.phone_national,
        str(customer.phone or "").lstrip("+"),
        customer.address_line1,
        customer.address_line2,
        customer.notes,
        *(name for name, _breed in pets),
    ]
    return sorted({v.strip() for v in values if v and len(v.strip()) >= 3}, key=len, reverse=True)


def _snapshot_values(record: dict) -> list[str]:
    """The personal values of a merged record, from its merge snapshot."""
    keys = ("first_name", "last_name", "company_name", "company_registration", "internal_id", "email")
    keys += ("phone", "phone_national", "address_line1", "address_line2", "notes")
    values = [str(record.get(k) or "") for k in keys] + list(record.get("secondary_emails") or [])
    values.append(f"{record.get('first_name', '')} {record.get('last_name', '')}")
    return [v.strip() for v in values if v and len(v.strip()) >= 3]


def _delete_on_commit(names: list[str]) -> None:
    """Files go once the erasure is committed (a rolled-back erasure keeps them)."""
    if names:
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def _imports_scrub(shop, values: list[str]) -> int:
    """Finished imports lose their kept files (the uploaded file and the rejected-rows file): they may hold
    the person's row, and reading every file to find out would take long inside the admin's request. The
    import's record and SHA-256 stay, with the person scrubbed out of its error messages. Imports still in
    progress keep their file (the admin is working on it): importing it re-creates the person,
    unsubscribed, since their addresses are suppressed."""
    gone = []
    finished = Import.objects.filter(shop=shop, status__in=[Import.Status.DONE, Import.Status.FAILED])
    for job in finished:
        changed = []
        if job.file:
            gone.append(job.file)
            job.file = ""
            changed.append("file")
        for name in ("check_result", "result"):
            outcome = dict(getattr(job, name) or {})
            if outcome.get("rejected_file"):
                gone.append(outcome.pop("rejected_file"))
            outcome["errors"] = [
                [row, column, scrub(message, values)] for row, column, message in outcome.get("errors", [])
            ]
            if outcome != (getattr(job, name) or {}):
                setattr(job, name, outcome)
                changed.append(name)
        if changed:
            job.save(update_fields=changed)
    _delete_on_commit(gone)
    return len(gone)


def _exports_delete(shop) -> int:
    kept = Export.objects.filter(shop=shop).exclude(file="")
    gone = list(kept.values_list("file", flat=True))
    kept.update(file="")
    _delete_on_commit(gone)
    return len(gone)


@transaction.atomic
def customer_erase(*, shop, by, customer: Customer, reason: str = Erasure.Reason.SHOP) -> Erasure:
    """Erase a customer of `shop` for good (see the module docstring). Returns the audit record, which says
    who erased which customer number, when, why, and how many rows of each kind went."""
    if customer.shop_id != shop.pk:
        raise Customer.DoesNotExist
    customer = Customer.objects.select_for_update().get(shop=shop, pk=customer.pk)
    if reason not in Erasure.Reason.values:
        raise ValidationError({"reason": _("Choose why this customer is erased.")})
    # The records merged into this one live on in their merges' snapshots: they go too.
    merged = [m.snapshot.get("other", {}) for m in Merge.objects.filter(shop=shop, survivor=customer)]
    values = sorted(
        {*erasure_values(customer), *(v for m in merged for v in _snapshot_values(m))}, key=len, reverse=True
    )
    erasure = person_erase(
        shop=shop,
        by=by,
        customer=customer,
        values=values,
        addresses={
            Channel.EMAIL: [customer.email, *customer.secondary_emails, *(m.get("email") for m in merged)],
            Channel.SMS: [customer.phone, *(m.get("phone") for m in merged)],
        },
        reason=reason,
    )
    removed = {
        "pets": Pet.objects.filter(shop=shop, owner=customer).count(),
        "history": CustomerChange.objects.filter(shop=shop, customer=customer).count(),
        "tags": customer.tags.count(),
        "merges": Merge.objects.filter(shop=shop, survivor=customer).count(),
        **erasure.removed,
    }
    name_keys = {customer.last_name_key, *(m.get("last_name_key") for m in merged)} - {"", None}
    customer.delete()
    still_used = set(
        Customer.objects.filter(shop=shop, last_name_key__in=name_keys).values_list(
            "last_name_key", flat=True
        )
    )
    NameKey.objects.filter(shop=shop, key__in=name_keys - still_used).delete()
    removed["import_files"] = _imports_scrub(shop, values)
    removed["export_files"] = _exports_delete(shop)
    erasure.removed = removed
    erasure.save(update_fields=["removed"])
    logger.info("customer %s of shop %s erased (%s)", erasure.customer_number, shop.pk, reason)
    return erasure
