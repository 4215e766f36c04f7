"""Writes on customers, pets and tags. Keyword-only, explicit `shop`, one transaction each.

Every service validates before saving and raises ValidationError keyed by form field; a duplicate phone, email
or internal ID raises `DuplicateCustomer`, which names the customer who already holds it.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import (
    Customer,
    CustomerChange,
    CustomerTag,
    CustomerType,
    Export,
    NameKey,
    Pet,
    Tag,
)
from customers.normalise import (
    email_normalise,
    name_key,
    phone_e164,
    phone_is_mobile,
    phone_national,
    phone_parse,
)
from customers.selectors import customer_duplicates
from customers.terms import terms_refresh
from messaging import consent
from messaging.consent.asking import consent_ask
from messaging.models import Channel
from messaging.sms import bill

NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed without doubt
NUMBER_LENGTH = 8

CONTACT_FIELDS = [
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
    "also_name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "notes",
]


class DuplicateCustomer(ValidationError):
    """The phone / email / internal ID already belongs to `existing` (in the same shop)."""

    def __init__(self, errors: dict[str, str], existing: Customer):
        super().__init__(errors)
        self.existing = existing


def customer_number_new() -> str:
    return "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


def _clean_contact(shop, values: dict) -> dict:
    """Normalise typed contact data; raise ValidationError per field."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(values)
    for field in (
        "first_name",
        "last_name",
        "company_name",
        "company_registration",
        "internal_id",
        "also_name",
    ):
        if field in cleaned:
            cleaned[field] = " ".join((cleaned[field] or "").split())
    for field in ("address_line1", "address_line2", "postal_code", "city"):
        if field in cleaned:
            cleaned[field] = " ".join((cleaned[field] or "").split())
    if "notes" in cleaned:
        cleaned["notes"] = (cleaned["notes"] or "").strip()
    if "phone" in cleaned:
        try:
            cleaned["phone"] = phone_e164(phone_parse(str(cleaned["phone"] or ""), shop.country))
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if "email" in cleaned:
        try:
            cleaned["email"] = email_normalise(cleaned["email"])
        except ValidationError:
            errors["email"] = [_("Enter a valid email address.")]
    if "secondary_emails" in cleaned:
        emails = []
        for raw in cleaned["secondary_emails"] or []:
            try:
                value = email_normalise(raw)
            except ValidationError:
                errors.setdefault("secondary_emails", []).append(
                    _("“%(email)s” is not a valid email address.") % {"email": raw}
                )
                continue
            if value and value.lower() not in {e.lower() for e in emails}:
                emails.append(value)
        cleaned["secondary_emails"] = emails
    if cleaned.get("type") == CustomerType.INDIVIDUAL:
        cleaned.setdefault("company_name", "")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _refuse_suppressed_requests(suppressed: dict, *, sms: bool, email: bool) -> None:
    """A box ticked for an address that opted out of this shop, unsubscribed or bounces: only the customer
    can undo that, so staff are told next to the box rather than the request going unseen."""
    errors = {}
    if sms and Channel.SMS in suppressed:
        errors["send_sms_opt_in"] = _(
            "This number opted out of the shop's texts: only the customer can opt back in (by replying "
            "START). Untick the box to save the customer."
        )
    if email and Channel.EMAIL in suppressed:
        errors["send_welcome_email"] = _(
            "This address unsubscribed from the shop's emails or bounces: no welcome email can be sent. "
            "Untick the box to save the customer."
        )
    if errors:
        raise ValidationError(errors)


def _check_consent_requests(customer: Customer, *, sms: bool, email: bool) -> None:
    errors = {}
    if sms and not consent.shop_reachable(customer.shop):
        errors["send_sms_opt_in"] = consent.NO_CONTACT
    elif sms and not customer.phone:
        errors["send_sms_opt_in"] = _("Add a mobile phone number to send the SMS opt-in text.")
    elif sms and not phone_is_mobile(str(customer.phone)):
        errors["send_sms_opt_in"] = _("This number is not a mobile phone: it cannot receive texts.")
    elif sms and (refusal := bill.destination_refusal(str(customer.phone), customer.shop)):
        errors["send_sms_opt_in"] = refusal
    if email and not customer.email:
        errors["send_welcome_email"] = _("Add an email address to send the welcome email.")
    if errors:
        raise ValidationError(errors)


# The columns `_set_keys` derives from the typed values.
KEY_FIELDS = (
    "last_name_key",
    "first_name_key",
    "company_key",
    "email_key",
    "phone_rev",
    "phone_national",
    "internal_id_key",
    "also_name_key",
    "city_key",
    "email_domain",
)


def key_values(
    *,
    first_name: str,
    last_name: str,
    company_name: str,
    email: str,
    phone: str,
    internal_id: str = "",
    also_name: str = "",
    city: str = "",
) -> dict:
    """The lookup keys of a customer's typed values (`phone` in E.164)."""
    return {
        "internal_id_key": (internal_id or "").lower(),
        "last_name_key": name_key(last_name),
        "first_name_key": name_key(first_name),
        "company_key": name_key(company_name),
        "email_key": email.lower(),
        "phone_rev": "".join(ch for ch in phone if ch.isdigit())[::-1],
        "phone_national": phone_national(phone),
        "also_name_key": name_key(also_name),
        "city_key": name_key(city),
        "email_domain": email.rpartition("@")[2].lower() if "@" in email else "",
    }


def _set_keys(customer: Customer) -> None:
    keys = key_values(
        first_name=customer.first_name,
        last_name=customer.last_name,
        company_name=customer.company_name,
        email=customer.email,
        phone=str(customer.phone or ""),
        internal_id=customer.internal_id,
        also_name=customer.also_name,
        city=customer.city,
    )
    for name, value in keys.items():
        setattr(customer, name, value)


# What the search terms (customers.terms) and the last-name vocabulary are made of.
TERM_SOURCES = frozenset({"first_name", "last_name", "company_name", "also_name", "secondary_emails"})


def lookup_remember(shop, *customers: Customer, changed=None) -> None:
    """After `customers` were saved: keep their search terms and the shop's last-name vocabulary (for
    typo-tolerant search) current. `changed` (the fields that changed, when known) spares the rewrite when
    none of them is a name or an email the terms hold: a new phone or note leaves the terms as they are."""
    if changed is not None and not TERM_SOURCES & set(changed):
        return
    terms_refresh(shop=shop, customers=customers)
    keys = {c.last_name_key for c in customers if c.last_name_key}
    NameKey.objects.bulk_create([NameKey(shop=shop, key=key) for key in sorted(keys)], ignore_conflicts=True)


def _raise_if_duplicate(shop, customer: Customer) -> None:
    found = customer_duplicates(
        shop=shop,
        phone=str(customer.phone or ""),
        email=customer.email,
        internal_id=customer.internal_id,
        exclude_pk=customer.pk,
    )
    if not found:
        return
    errors = {}
    existing = None
    for field, other in found.items():
        existing = existing or other
        errors[field] = {
            "phone": _("This phone number already belongs to %(name)s."),
            "email": _("This email address already belongs to %(name)s."),
            "internal_id": _("This internal customer ID already belongs to %(name)s."),
        }[field] % {"name": other.display_name}
    raise DuplicateCustomer(errors, existing)


NUMBER_CONSTRAINT = "customers_customer_number_key"
NUMBER_ATTEMPTS = 5


def number_collision(exc: IntegrityError) -> bool:
    """Whether the error is a new customer number already taken (in any shop: numbers are platform-wide,
    and row-level security hides other shops' numbers, so a collision is only seen when inserting)."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") == NUMBER_CONSTRAINT


def insert_with_fresh_numbers(insert, renumber) -> None:
    """Run `insert()` in a savepoint; on a customer-number collision call `renumber()` (draw new numbers)
    and try again. Other integrity errors propagate."""
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                insert()
            return
        except IntegrityError as exc:
            if not number_collision(exc) or attempt == NUMBER_ATTEMPTS - 1:
                raise
            renumber()


def _save_guarded(shop, customer: Customer) -> None:
    """Save changes; when a concurrent save took the same phone/email first, report it like any duplicate."""
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        _raise_if_duplicate(shop, customer)
        raise


def _validate(customer: Customer) -> None:
    # The shop and the staff links are set by the service from the request, not typed: checking that they
    # exist would cost a query each. The number is drawn at insert; uniqueness is checked in one query.
    customer.full_clean(exclude=["number", "shop", "created_by", "updated_by"], validate_constraints=False)


def customer_create(
    *,
    shop,
    by,
    first_name: str,
    last_name: str,
    civility: str = "",
    type: str = CustomerType.INDIVIDUAL,
    company_name: str = "",
    company_registration: str = "",
    internal_id: str = "",
    phone: str = "",
    email: str = "",
    send_sms_opt_in: bool = False,
    send_welcome_email: bool = False,
    **more,
) -> Customer:
    """Create a customer in `shop`, recording who did it.

    Ticking a send box records a consent request (the customer's status becomes pending); the customer's
    own confirmation, never the tick, is what opts them in. Validation and the duplicate check read only;
    every write happens in one atomic block (a savepoint inside the caller's transaction), so an error
    leaves neither customer nor message, and the caller's transaction stays usable after a refusal.
    """
    values = _clean_contact(
        shop,
        {
            "type": type,
            "civility": civility,
            "first_name": first_name,
            "last_name": last_name,
            "company_name": company_name,
            "company_registration": company_registration,
            "internal_id": internal_id if shop.internal_id_enabled else "",
            "phone": phone,
            "email": email,
            **more,
        },
    )
    now = timezone.now()
    customer = Customer(shop=shop, created_by=by, updated_by=by, created_at=now, updated_at=now, **values)
    _set_keys(customer)
    _validate(customer)
    _check_consent_requests(customer, sms=send_sms_opt_in, email=send_welcome_email)
    _raise_if_duplicate(shop, customer)
    suppressed = consent.statuses_for_new_customer(shop=shop, customer=customer)
    _refuse_suppressed_requests(suppressed, sms=send_sms_opt_in, email=send_welcome_email)
    asked = [
        ch for ch, ticked in ((Channel.EMAIL, send_welcome_email), (Channel.SMS, send_sms_opt_in)) if ticked
    ]
    consent.statuses_requested(customer, asked)  # pending from the insert on: no UPDATE afterwards

    def write():
        customer.save(force_insert=True)
        lookup_remember(shop, customer)
        CustomerChange.objects.create(
            shop=shop, customer=customer, by=by, action=CustomerChange.Action.CREATED
        )
        if asked:
            # Refused field by field above (`_check_consent_requests`, `_refuse_suppressed_requests`).
            consent_ask(shop=shop, customer=customer, by=by, channel_codes=asked, refusals_checked=True)

    customer.number = customer_number_new()
    try:
        # One savepoint for all the writes: a clash of the random number redraws it and writes again.
        insert_with_fresh_numbers(write, lambda: setattr(customer, "number", customer_number_new()))
    except IntegrityError:
        # A concurrent save took the phone/email first (the caller's transaction is still usable here).
        _raise_if_duplicate(shop, customer)
        raise
    return customer


@transaction.atomic
def customer_update(*, shop, by, customer: Customer, **changes) -> Customer:
    """Change contact fields of a customer of `shop`; records which fields changed, old → new."""
    if customer.shop_id != shop.pk:
        raise Customer.DoesNotExist
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"customer_update cannot change {sorted(unknown)}")
    if not shop.internal_id_enabled:
        changes.pop("internal_id", None)
    values = _clean_contact(shop, changes)
    before = {field: getattr(customer, field) for field in values}
    for field, value in values.items():
        setattr(customer, field, value)
    if customer.type == CustomerType.INDIVIDUAL:
        customer.company_name = customer.company_name if "company_name" in changes else ""
    _set_keys(customer)
    _validate(customer)
    _raise_if_duplicate(shop, customer)
    diff = {
        field: [str(before[field] or ""), str(getattr(customer, field) or "")]
        for field in values
        if str(before[field] or "") != str(getattr(customer, field) or "")
    }
    if not diff:
        return customer
    customer.updated_by = by
    customer.updated_at = timezone.now()
    consent_events = contact_consent_changes(shop=shop, customer=customer, by=by, diff=diff)
    _save_guarded(shop, customer)
    lookup_remember(shop, customer, changed=diff)
    CustomerChange.objects.create(
        shop=shop, customer=customer, by=by, action=CustomerChange.Action.UPDATED, details=diff
    )
    consent.events_save(consent_events)
    return customer


def contact_consent_changes(*, shop, customer: Customer, by, diff: dict) -> list:
    """A changed email or phone starts from that address's own consent state (messaging decides which);
    the ledger events to save once the customer is."""
    channels = [ch for field, ch in (("email", Channel.EMAIL), ("phone", Channel.SMS)) if field in diff]
    if not channels:
        return []
    return consent.contact_changed(shop=shop, customer=customer, by=by, channels=channels)


# What a shop may ask for at checkout ("none" | "recommended" | "required"), and how to tell it is there.
CHECKOUT_FIELDS = [
    ("checkout_email", "email", lambda c: bool(c.email), gettext_lazy("No email on file.")),
    ("checkout_phone", "phone", lambda c: bool(c.phone), gettext_lazy("No mobile phone on file.")),
    (
        "checkout_address",
        "address",
        lambda c: bool(c.address_line1 and c.city),
        gettext_lazy("No postal address on file."),
    ),
]


def checkout_missing(*, shop, customer: Customer) -> list[tuple[str, str, str]]:
    """What the shop asks for at checkout and the customer's record lacks: (level, field, text)."""
    missing = []
    for setting, field, present, text in CHECKOUT_FIELDS:
        level = getattr(shop, setting)
        if level != "none" and not present(customer):
            missing.append((level, field, str(text)))
    return missing


@transaction.atomic
def customer_visit_record(*, shop, by, customer: Customer) -> Customer:
    """Mark that the customer came in now (the hook for loyalty features). Refused while a field the shop
    requires at checkout is missing (ValidationError on "visit")."""
    required = [
        text for level, _field, text in checkout_missing(shop=shop, customer=customer) if level == "required"
    ]
    if required:
        raise ValidationError(
            {"visit": _("Add what the shop requires first: %(what)s") % {"what": " ".join(required)}}
        )
    now = timezone.now()
    customer.last_visit_at = now
    customer.first_visit_at = customer.first_visit_at or now
    customer.visit_count = F("visit_count") + 1
    customer.save(update_fields=["last_visit_at", "first_visit_at", "visit_count"])
    customer.refresh_from_db(fields=["visit_count"])
    CustomerChange.objects.create(shop=shop, customer=customer, by=by, action=CustomerChange.Action.VISIT)
    return customer


def _pet_values(shop, values: dict) -> dict:
    values = dict(values)
    values["name"] = " ".join((values.get("name") or "").split())
    values["breed"] = " ".join((values.get("breed") or "").split())
    age = values.pop("age", None)
    if age not in (None, "") and not values.get("birth_year"):
        today = timezone.localdate()
        values["birth_year"] = today.year - int(age)
    return values


def _pet_validate(pet: Pet) -> None:
    pet.name_key = name_key(pet.name)
    pet.full_clean(exclude=["owner", "shop"], validate_constraints=False)
    this_year = timezone.localdate().year
    if pet.birth_year and not (this_year - 60 <= pet.birth_year <= this_year):
        raise ValidationError(
            {"birth_year": _("Enter a year between %(a)s and %(b)s.") % {"a": this_year - 60, "b": this_year}}
        )
    if pet.birth_month and not 1 <= pet.birth_month <= 12:
        raise ValidationError({"birth_month": _("Choose a month.")})


@transaction.atomic
def pet_create(*, shop, by, owner: Customer, **values) -> Pet:
    """Add a pet to a customer of `shop`."""
    if owner.shop_id != shop.pk:
        raise Customer.DoesNotExist
    pet = Pet(shop=shop, owner=owner, **_pet_values(shop, values))
    _pet_validate(pet)
    pet.save()
    CustomerChange.objects.create(
        shop=shop, customer=owner, by=by, action=CustomerChange.Action.PET_ADDED, details={"pet": pet.name}
    )
    return pet


@transaction.atomic
def pet_update(*, shop, by, pet: Pet, **values) -> Pet:
    if pet.shop_id != shop.pk:
        raise Pet.DoesNotExist
    for field, value in _pet_values(shop, values).items():
        setattr(pet, field, value)
    _pet_validate(pet)
    pet.save()
    CustomerChange.objects.create(
        shop=shop,
        customer=pet.owner,
        by=by,
        action=CustomerChange.Action.PET_UPDATED,
        details={"pet": pet.name},
    )
    return pet


@transaction.atomic
def pet_delete(*, shop, by, pet: Pet) -> None:
    if pet.shop_id != shop.pk:
        raise Pet.DoesNotExist
    CustomerChange.objects.create(
        shop=shop,
        customer=pet.owner,
        by=by,
        action=CustomerChange.Action.PET_REMOVED,
        details={"pet": pet.name},
    )
    pet.delete()


@transaction.atomic
def customer_tags_set(*, shop, by, customer: Customer, names: list[str]) -> list[Tag]:
    """Replace the customer's tags; unknown names join the shop's tag catalogue."""
    wanted: dict[str, str] = {}
    for raw in names:
        name = " ".join((raw or "").split())[:40]
        if name:
            wanted.setdefault(name.casefold(), name)
    tags = []
    for name in wanted.values():
        tag = Tag.objects.filter(shop=shop, name__iexact=name).first()
        if tag is None:
            tag = Tag.objects.create(shop=shop, name=name)
        tags.append(tag)
    before = sorted(t.name for t in customer.tags.all())
    CustomerTag.objects.filter(shop=shop, customer=customer).exclude(tag__in=tags).delete()
    existing = set(CustomerTag.objects.filter(shop=shop, customer=customer).values_list("tag_id", flat=True))
    CustomerTag.objects.bulk_create(
        [CustomerTag(shop=shop, customer=customer, tag=t) for t in tags if t.pk not in existing]
    )
    after = sorted(t.name for t in tags)
    if before != after:
        CustomerChange.objects.create(
            shop=shop,
            customer=customer,
            by=by,
            action=CustomerChange.Action.UPDATED,
            details={"tags": [", ".join(before), ", ".join(after)]},
        )
    return tags


def _tag_for(shop, name: str, *, create: bool) -> Tag | None:
    name = " ".join((name or "").split())[:40]
    if not name:
        raise ValidationError({"tag": _("Enter a tag.")})
    tag = Tag.objects.filter(shop=shop, name__iexact=name).first()
    if tag is None and create:
        tag = Tag.objects.create(shop=shop, name=name)
    return tag


@transaction.atomic
def customers_tag_bulk(*, shop, by, customers, tag_name: str, add: bool) -> int:
    """Add (or remove) one tag on every customer of `customers` (a queryset of `shop`'s customers).

    Set-based: one INSERT … SELECT (or DELETE) whatever the number of customers; customers who already
    had (or lacked) the tag are left alone. Returns how many customers changed. Each change is written to
    the customer's history.
    """
    tag = _tag_for(shop, tag_name, create=add)
    if tag is None:
        return 0
    if add:
        changed = list(
            customers.filter(shop=shop)
            .exclude(pk__in=CustomerTag.objects.filter(shop=shop, tag=tag).values("customer_id"))
            .values_list("pk", flat=True)
        )
        CustomerTag.objects.bulk_create(
            [CustomerTag(shop=shop, customer_id=pk, tag=tag) for pk in changed],
            batch_size=2000,
            ignore_conflicts=True,
        )
    else:
        links = CustomerTag.objects.filter(
            shop=shop, tag=tag, customer_id__in=customers.filter(shop=shop).values("pk")
        )
        changed = list(links.values_list("customer_id", flat=True))
        links.delete()
    CustomerChange.objects.bulk_create(
        [
            CustomerChange(
                shop=shop,
                customer_id=pk,
                by=by,
                action=CustomerChange.Action.UPDATED,
                details={"tags": ["", tag.name] if add else [tag.name, ""]},
            )
            for pk in changed
        ],
        batch_size=2000,
    )
    return len(changed)


def export_record(*, shop, by, fmt: str, filters: str, expected_rows: int) -> Export:
    """Write the audit record of an export before any data leaves: who, when, which filter, how many."""
    return Export.objects.create(
        shop=shop, by=by, format=fmt, filters=filters[:4000], expected_rows=expected_rows
    )


def export_finish(*, shop, export_id: int, rows: int | None, file: str = "", failed: bool = False) -> None:
    """Complete an export's audit record with the number of rows actually written (and its file)."""
    Export.objects.filter(shop=shop, pk=export_id).update(
        row_count=rows,
        file=file,
        status=Export.Status.FAILED if failed else Export.Status.DONE,
        finished_at=timezone.now(),
    )
