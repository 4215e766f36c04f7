"""Merging two records of one person, and undoing it.

The survivor keeps its customer number and takes, field by field, the value the admin chose. Everything
that belonged to the other record (pets, tags, messages, consent events, history, erasure requests, earlier
merges) moves to the survivor; the other record is deleted. An email address that is not kept becomes one
of the survivor's other emails, and notes are put together, so no contact detail is lost. Consent follows the
address it was given for: keeping the other record's email keeps its email status (same for the phone).

The merge record holds the other customer as it was, the survivor's values before, and the ids of what
moved, so an admin can undo it: the other customer comes back with its own number.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerChange, CustomerTag, Merge, Pet
from customers.normalise import phone_display
from customers.services import CONTACT_FIELDS, _set_keys, lookup_remember
from customers.signals import customers_merged, merge_undone

# The fields offered as a choice, in the order shown side by side.
CHOICE_FIELDS = [f for f in CONTACT_FIELDS if f not in ("secondary_emails", "notes")]
# Consent goes with the address it was given for.
FOLLOWS = {"email": ("email_status",), "phone": ("sms_status",)}


def _related_models():
    from messaging.models import ConsentEvent, ErasureRequest, OutboundMessage

    # (model, its foreign key to the customer)
    return [
        (Pet, "owner"),
        (OutboundMessage, "customer"),
        (ConsentEvent, "customer"),
        (CustomerChange, "customer"),
        (ErasureRequest, "customer"),
        (Merge, "survivor"),
    ]


def _values(customer: Customer) -> dict:
    """Every stored column of the customer, JSON-ready (the snapshot an undo restores)."""
    values = {}
    for field in Customer._meta.concrete_fields:
        value = getattr(customer, field.attname)
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        elif value is not None and not isinstance(value, str | int | bool | list):
            value = str(value)
        values[field.attname] = value
    return values


def _shown(customer: Customer, name: str, region: str) -> str:
    value = getattr(customer, name)
    if name == "phone":
        return phone_display(str(value or ""), region)
    display = getattr(customer, f"get_{name}_display", None)
    return str(display() if display else value or "")


def merge_fields(survivor: Customer, other: Customer) -> list[dict]:
    """The side-by-side view: each choosable field with both values and the suggested choice (the
    survivor's value, unless it is empty and the other's is not)."""
    rows = []
    for name in CHOICE_FIELDS:
        field = Customer._meta.get_field(name)
        mine, theirs = getattr(survivor, name), getattr(other, name)
        region = survivor.shop.country
        rows.append(
            {
                "name": name,
                "label": field.verbose_name,
                "survivor": _shown(survivor, name, region),
                "other": _shown(other, name, region),
                "same": str(mine or "") == str(theirs or ""),
                "suggested": "other" if not mine and theirs else "survivor",
            }
        )
    return rows


@transaction.atomic
def customers_merge(*, shop, by, survivor: Customer, other: Customer, choices: dict[str, str]) -> Merge:
    """Make `other` part of `survivor`. `choices` maps a field of CHOICE_FIELDS to "survivor" or "other"
    (missing: the suggestion). Raises ValidationError for a customer merged with itself."""
    if survivor.pk == other.pk:
        raise ValidationError(_("Choose two different customers."))
    # Lock both rows (in id order, so two admins merging the same pair cannot deadlock).
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(shop=shop, pk__in=[survivor.pk, other.pk])
    }
    if len(locked) != 2:
        raise ValidationError(_("One of these customers no longer exists."))
    survivor, other = locked[survivor.pk], locked[other.pk]
    before = _values(survivor)
    snapshot = {
        "other": _values(other),
        "survivor_before": {},
        "moved": {},
        "tags_added": [],
        "other_tags": [],
    }

    suggestions = {row["name"]: row["suggested"] for row in merge_fields(survivor, other)}
    changed: dict[str, list[str]] = {}
    for name in CHOICE_FIELDS:
        if choices.get(name, suggestions[name]) != "other":
            continue
        new = getattr(other, name)
        if str(new or "") == str(getattr(survivor, name) or ""):
            continue
        changed[name] = [str(getattr(survivor, name) or ""), str(new or "")]
        setattr(survivor, name, new)
        for follower in FOLLOWS.get(name, ()):
            setattr(survivor, follower, getattr(other, follower))
    # Nothing is lost: the email not kept becomes another email; notes are put together.
    extra = [e for e in [other.email, survivor_email_dropped(before, survivor), *other.secondary_emails] if e]
    known = {e.lower() for e in [survivor.email, *survivor.secondary_emails]}
    for email in extra:
        if email.lower() not in known:
            survivor.secondary_emails = [*survivor.secondary_emails, email]
            known.add(email.lower())
    if other.notes and other.notes not in survivor.notes:
        survivor.notes = "\n\n".join(n for n in (survivor.notes, other.notes) if n)
    survivor.created_at = min(survivor.created_at, other.created_at)
    visits = [v for v in (survivor.last_visit_at, other.last_visit_at) if v]
    survivor.last_visit_at = max(visits) if visits else None
    joined = [j for j in (survivor.portal_joined_at, other.portal_joined_at) if j]
    survivor.portal_joined_at = min(joined) if joined else None
    survivor.updated_at, survivor.updated_by = timezone.now(), by
    _set_keys(survivor)
    after = _values(survivor)
    changed_columns = [
        k for k, v in before.items() if v != after[k] and k not in ("updated_at", "updated_by_id")
    ]
    snapshot["survivor_before"] = {k: before[k] for k in changed_columns}
    snapshot["survivor_after"] = {k: after[k] for k in changed_columns}

    for model, fk in _related_models():
        ids = list(model.objects.filter(shop=shop, **{fk: other}).values_list("pk", flat=True))
        model.objects.filter(shop=shop, pk__in=ids).update(**{fk: survivor})
        snapshot["moved"][model._meta.label] = ids
    mine = set(CustomerTag.objects.filter(shop=shop, customer=survivor).values_list("tag_id", flat=True))
    theirs = list(CustomerTag.objects.filter(shop=shop, customer=other).values_list("tag_id", flat=True))
    snapshot["other_tags"] = theirs
    snapshot["tags_added"] = [t for t in theirs if t not in mine]
    CustomerTag.objects.bulk_create(
        [CustomerTag(shop=shop, customer=survivor, tag_id=t) for t in snapshot["tags_added"]]
    )

    customers_merged.send(sender=Customer, shop=shop, survivor=survivor, other=other, snapshot=snapshot)
    other.delete()  # frees its phone, email and internal ID for the survivor
    survivor.save()
    lookup_remember(shop, survivor)
    record = Merge.objects.create(
        shop=shop,
        by=by,
        survivor=survivor,
        merged_number=other.number,
        merged_name=other.display_name[:310],
        snapshot=snapshot,
    )
    CustomerChange.objects.create(
        shop=shop,
        customer=survivor,
        by=by,
        action=CustomerChange.Action.MERGED,
        details={**changed, _("Merged with"): ["", f"{other.display_name} (№ {other.number})"]},
    )
    return record


def survivor_email_dropped(before: dict, survivor: Customer) -> str:
    """The survivor's own email when the merge replaced it with the other's."""
    old = before.get("email") or ""
    return old if old and old != survivor.email else ""


@transaction.atomic
def merge_undo(*, shop, by, merge: Merge) -> Customer:
    """Bring the merged customer back, with its number, and give back what moved. Fields of the survivor
    that the merge changed go back to their old values, unless someone has changed them since.

    Raises ValidationError when it was already undone, or when an identifier of the merged customer has
    been given to someone else meanwhile.
    """
    merge = Merge.objects.select_for_update().get(shop=shop, pk=merge.pk)
    if merge.undone_at:
        raise ValidationError(_("This merge has already been undone."))
    snapshot = merge.snapshot
    survivor = Customer.objects.select_for_update().get(shop=shop, pk=merge.survivor_id)
    current = _values(survivor)
    for attname, old in snapshot["survivor_before"].items():
        if current[attname] == snapshot["survivor_after"][attname]:
            setattr(survivor, attname, _load(attname, old))
    _set_keys(survivor)
    survivor.updated_at, survivor.updated_by = timezone.now(), by
    survivor.save()

    other = Customer(**{k: _load(k, v) for k, v in snapshot["other"].items()})
    _set_keys(other)
    try:
        with transaction.atomic():
            other.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError(
            _(
                "The merged customer cannot come back: its phone, email or internal ID now belongs to "
                "another customer."
            )
        ) from exc
    for model, fk in _related_models():
        ids = snapshot["moved"].get(model._meta.label, [])
        model.objects.filter(shop=shop, pk__in=ids, **{fk: survivor}).update(**{fk: other})
    CustomerTag.objects.filter(shop=shop, customer=survivor, tag_id__in=snapshot["tags_added"]).delete()
    CustomerTag.objects.bulk_create(
        [CustomerTag(shop=shop, customer=other, tag_id=t) for t in snapshot["other_tags"]],
        ignore_conflicts=True,
    )
    merge_undone.send(sender=Customer, shop=shop, survivor=survivor, other=other, snapshot=snapshot)
    lookup_remember(shop, survivor, other)
    merge.undone_at, merge.undone_by = timezone.now(), by
    merge.save(update_fields=["undone_at", "undone_by"])
    for customer, text in ((survivor, other.display_name), (other, survivor.display_name)):
        CustomerChange.objects.create(
            shop=shop,
            customer=customer,
            by=by,
            action=CustomerChange.Action.UNMERGED,
            details={_("Merge undone"): [text, ""]},
        )
    return other


def _load(attname: str, value):
    """A snapshot value back as the model field wants it."""
    if value is not None and Customer._meta.get_field(attname).get_internal_type() == "DateTimeField":
        return datetime.datetime.fromisoformat(value)
    return value
