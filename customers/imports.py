"""Bringing a client list in from the shop's previous software: read, map, check, then import.

Reading is `customers.tables`: CSV in UTF-8 (with or without BOM), UTF-16 or Windows-1252/Latin-1, with
comma, semicolon or tab separators, and XLSX; anything else is refused with a message saying why.
Checking and importing are one function (`import_process`) run twice: a dry run that writes nothing, then
the import itself, in one transaction, so a failure leaves nothing half-imported.

Matching an existing customer: internal ID first, then phone, then email. A matched customer gets the
file's non-empty values (empty cells never erase anything), so running the same file again changes
nothing. Consent is only taken from explicit consent columns, is recorded as a consent event naming the
file, and never overrides a customer's own unsubscribe or opt-out.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import import_review as review
from customers.export import cell_neutralised
from customers.models import (
    Civility,
    Customer,
    CustomerChange,
    CustomerTag,
    CustomerType,
    Import,
    ImportMapping,
    Tag,
)
from customers.normalise import name_key, name_split
from customers.services import (
    CONTACT_FIELDS,
    KEY_FIELDS,
    _clean_contact,
    _set_keys,
    customer_number_new,
    insert_with_fresh_numbers,
    key_values,
    lookup_remember,
)
from customers.tables import TEXT_MARK, ImportFileError, Table, iter_rows, read_table
from customers.terms import search_terms
from messaging import consent, wording
from messaging.consent import EmailStatus, SmsStatus
from messaging.models import Channel, ConsentEvent

logger = logging.getLogger(__name__)
# What no name, phone, address or note holds (a NUL cannot even be stored); tab and line breaks are fine.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BATCH = 1000

# The fields a column can be mapped to, in the order the mapping form shows them.
FIELDS = {
    "last_name": gettext_lazy("Last name"),
    "first_name": gettext_lazy("First name"),
    "full_name": gettext_lazy("Full name (first and last)"),
    "civility": gettext_lazy("Civility"),
    "company_name": gettext_lazy("Company name"),
    "company_registration": gettext_lazy("SIRET / VAT number"),
    "internal_id": gettext_lazy("Internal customer ID"),
    "phone": gettext_lazy("Mobile phone"),
    "email": gettext_lazy("Email"),
    "also_name": gettext_lazy("Also on this account"),
    "address_line1": gettext_lazy("Address"),
    "address_line2": gettext_lazy("Address (line 2)"),
    "postal_code": gettext_lazy("Postal code"),
    "city": gettext_lazy("City"),
    "notes": gettext_lazy("Notes"),
    "tags": gettext_lazy("Tags"),
    "email_consent": gettext_lazy("Email consent (yes/no)"),
    "sms_consent": gettext_lazy("SMS consent (yes/no)"),
}
REQUIRED = ("last_name", "first_name")
LENGTHS = {f.name: f.max_length for f in Customer._meta.fields if getattr(f, "max_length", None)}

# Headers seen in French and English exports of shop software, as name keys (lower case, no accents).
SYNONYMS = {
    "last_name": ["nom", "nom de famille", "last name", "lastname", "surname", "family name", "nom client"],
    "first_name": ["prenom", "first name", "firstname", "given name", "forename"],
    # One column for the whole name (Odoo, some spreadsheets): split in the shop's name order.
    "full_name": [
        "name",
        "display name",
        "full name",
        "nom complet",
        "nom et prenom",
        "prenom et nom",
        "nom prenom",
        "prenom nom",
        "customer name",
        "contact name",
        "client",
    ],
    "civility": ["civilite", "titre", "title", "salutation", "civility", "genre"],
    "company_name": [
        "societe",
        "entreprise",
        "raison sociale",
        "company",
        "company name",
        "business",
        "default address company",
        "company_name",
        "parent name",
    ],
    "company_registration": ["siret", "siren", "tva", "n tva", "no tva", "vat", "vat number", "tva intra"],
    "internal_id": [
        "n client",
        "n° client",
        "no client",
        "numero client",
        "num client",
        "code client",
        "id client",
        "ref client",
        "reference client",
        "customer id",
        "customer number",
        "customer no",
        "client id",
        "client number",
        "account number",
        "reference id",
        "ref",
        "reference",
        "customer code",
        "id",
        "code",
    ],
    # Mobile-specific names first: where a file has both ("phone" and "mobile", as Odoo's), the mobile wins.
    "phone": [
        "portable",
        "mobile",
        "telephone portable",
        "tel portable",
        "tel mobile",
        "telephone mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cell phone",
        "gsm",
        "telephone",
        "tel",
        "phone",
        "phone number",
        "default address phone",
    ],
    "email": ["email", "e mail", "mail", "courriel", "adresse email", "adresse mail", "email address"],
    "address_line1": [
        "adresse",
        "adresse 1",
        "address",
        "address 1",
        "address1",
        "address line 1",
        "street",
        "street address 1",
        "street address",
        "rue",
        "default address address1",
    ],
    "address_line2": [
        "adresse 2",
        "complement",
        "complement d adresse",
        "address 2",
        "address2",
        "address line 2",
        "street2",
        "street address 2",
        "default address address2",
    ],
    "postal_code": [
        "code postal",
        "cp",
        "postal code",
        "zip",
        "zip code",
        "postcode",
        "default address zip",
    ],
    "city": ["ville", "city", "commune", "town", "localite", "default address city"],
    "also_name": [
        "aussi sur ce compte",
        "also on this account",
        "conjoint",
        "spouse",
        "partner",
        "second contact",
    ],
    "notes": ["notes", "note", "commentaire", "commentaires", "remarques", "comments", "comment", "memo"],
    "tags": ["tags", "tag", "etiquettes", "etiquette", "groupe", "groupes", "groups", "categorie"],
    "email_consent": [
        "consentement email",
        "consentement e mail",
        "optin email",
        "opt in email",
        "accepte email",
        "accepte les emails",
        "newsletter",
        "email consent",
        "email opt in",
        "marketing email",
        "accepts email marketing",
        "accepts marketing",
        "email subscription status",
        "email marketing",
    ],
    "sms_consent": [
        "consentement sms",
        "optin sms",
        "opt in sms",
        "accepte sms",
        "accepte les sms",
        "sms consent",
        "sms opt in",
        "marketing sms",
        "accepts sms marketing",
        "sms subscription status",
        "sms marketing",
    ],
}
CIVILITIES = {
    "m": Civility.MR,
    "mr": Civility.MR,
    "monsieur": Civility.MR,
    "mister": Civility.MR,
    "mme": Civility.MRS,
    "madame": Civility.MRS,
    "mrs": Civility.MRS,
    "mlle": Civility.MS,
    "mademoiselle": Civility.MS,
    "ms": Civility.MS,
    "miss": Civility.MS,
    "mx": Civility.MX,
}
# Consent cells as the peers write them: Shopify yes/no, Square subscribed/unsubscribed, a spreadsheet 1.
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x", "ok", "subscribed", "opted in", "opt in", "optin"}
YES |= {"accepted", "accepte", "inscrit", "abonne", "consent given", "granted"}
NO = {"non", "n", "no", "0", "false", "faux", "", "unsubscribed", "not subscribed", "never subscribed"}
NO |= {
    "opted out",
    "opt out",
    "optout",
    "declined",
    "refuse",
    "desinscrit",
    "desabonne",
    "pending",
    "invalid",
}
NO |= {"not opted in", "redacted", "none"}


# --- mapping -----------------------------------------------------------------------------------------


def header_key(header: str) -> str:
    return name_key(header).replace("°", "").strip()


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column index (as text): field} for the headers we recognise; each field used once. Exact names
    first, each field taking the column of its most specific name (a "Mobile" column before a "Phone"
    one); then names that merely start the same. A whole-name column is used only when the file has no
    first or last name column."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    keys = [header_key(h) for h in headers]
    for field_name, names in SYNONYMS.items():
        for name in names:
            index = next((i for i, key in enumerate(keys) if key == name and str(i) not in mapping), None)
            if index is not None and field_name not in used:
                mapping[str(index)] = field_name
                used.add(field_name)
    for index, key in enumerate(keys):
        if str(index) in mapping or not key:
            continue
        for field_name, names in SYNONYMS.items():
            if field_name not in used and any(key.startswith(n + " ") for n in names if len(n) > 3):
                mapping[str(index)] = field_name
                used.add(field_name)
                break
    if "full_name" in used and used & {"first_name", "last_name"}:
        mapping = {k: v for k, v in mapping.items() if v != "full_name"}
    return dict(sorted(mapping.items(), key=lambda item: int(item[0])))  # in the file's column order


# Header sets of the software shops leave, to say which one a file came from (the wizard names it).
SOURCES = [
    ("Shopify", {"accepts email marketing", "default address zip", "total spent", "accepts sms marketing"}),
    ("Square", {"square customer id", "email subscription status", "reference id", "transaction count"}),
    ("Lightspeed", {"customer code", "date of birth", "customer type", "loyalty"}),
    ("Odoo", {"display name", "street2", "country id", "is company", "mobile"}),
    ("Excel (FR)", {"nom", "prenom", "telephone", "code postal", "ville", "portable", "civilite"}),
]


def import_source(headers: list[str]) -> str:
    """The software a file's headers look like it came from (two of its typical headers at least), or ""."""
    keys = {header_key(h) for h in headers}
    best = max(SOURCES, key=lambda source: len(keys & source[1]))
    return best[0] if len(keys & best[1]) >= 2 else ""


def mapping_errors(mapping: dict[str, str]) -> list[str]:
    errors = []
    fields = [f for f in mapping.values() if f]
    for required in REQUIRED:
        if required not in fields and "full_name" not in fields:
            errors.append(_("Choose the column that holds the “%(field)s”.") % {"field": FIELDS[required]})
    for name in {f for f in fields if fields.count(f) > 1}:
        errors.append(_("“%(field)s” is chosen for more than one column.") % {"field": FIELDS[name]})
    return errors


# --- checking and importing ----------------------------------------------------------------------------


@dataclass
class Outcome:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows of customers already here, left as they are (the import adds new customers only).
    kept: int = 0
    invalid: int = 0
    # Rows whose file says "subscribed" for an address that opted out, unsubscribed or bounces here.
    consent_refused: int = 0
    # (row number in the file, counting the header as row 1; column header or ""; message)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    rejected: list[tuple[int, list[str], str]] = field(default_factory=list)
    # The check: what it would change on existing customers (the first ones), and its plan for the confirm.
    changes: list[list] = field(default_factory=list)
    plan: review.Plan = field(default_factory=review.Plan)
    # The confirm: rows left out because they have become something else since the check.
    differs: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self, max_errors: int = 500, *, check: bool = False) -> dict:
        result = {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept": self.kept,
            "invalid": self.invalid,
            "consent_refused": self.consent_refused,
            "errors": [list(e) for e in self.errors[:max_errors]],
            "changes": self.changes[: review.CHANGES_SHOWN],
            "differs": [list(d) for d in self.differs[:max_errors]],
            "differs_count": len(self.differs),
        }
        if check:
            result["plan"] = self.plan.as_dict()
        return result


def _yes_no(value: str) -> bool:
    key = name_key(value)
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValidationError(_("Write yes or no."))


def _clean_row(shop, cells: list[str], mapping: dict[int, str]) -> dict:
    """The row's values for the mapped fields, cleaned like the till cleans them. Raises ValidationError
    as {field: [messages]}."""
    raw: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for index, field_name in mapping.items():
        value = cells[index] if index < len(cells) else ""
        if value.startswith("="):
            errors[field_name] = [_("This cell holds a formula; put its value in the file instead.")]
            continue
        if CONTROL_CHARACTERS.search(value):
            errors[field_name] = [_("This cell holds invisible control characters; retype its value.")]
            continue
        if value.startswith(TEXT_MARK):
            # A spreadsheet's "keep as text" mark (Shopify writes '7001000000001, '01000; our export marks
            # text that starts like a formula): the value is what follows it.
            value = value[1:]
        raw[field_name] = value
    if "full_name" in raw:
        first, last = name_split(raw.pop("full_name"), shop.name_order)
        if not raw.get("first_name") and not raw.get("last_name"):
            raw["first_name"], raw["last_name"] = first, last
    values: dict = {}
    for field_name in ("email_consent", "sms_consent"):
        if field_name in raw:
            try:
                values[field_name] = _yes_no(raw.pop(field_name))
            except ValidationError as exc:
                errors[field_name] = exc.messages
    if "tags" in raw:
        text = raw.pop("tags").replace(";", ",")
        values["tags"] = [" ".join(t.split())[:40] for t in text.split(",") if t.strip()]
    if "civility" in raw:
        civility = raw.pop("civility").strip()
        key = name_key(civility).replace(" ", "")
        if civility and key not in CIVILITIES:
            errors["civility"] = [_("Unknown civility (use M., Mme, Mr, Mrs, Ms or Mx).")]
        elif civility:
            values["civility"] = CIVILITIES[key]
    try:
        values.update(_clean_contact(shop, raw))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        if "phone" in exc.message_dict and raw.get("phone"):
            hint = review.phone_damage(raw["phone"], shop.country)
            if hint:
                errors["phone"] = [hint]
        # The other cells are still read, so a bad email or phone is not reported as empty names too.
        rest = {name: value for name, value in raw.items() if name not in exc.message_dict}
        with suppress(ValidationError):
            values.update(_clean_contact(shop, rest))
    whole = any(f == "full_name" for f in mapping.values())
    for name in REQUIRED:
        if name not in errors and not values.get(name):
            if whole and not any(f == name for f in mapping.values()):
                errors["full_name"] = [_("Write the first and the last name.")]
            else:
                errors[name] = [_("This cell is empty.")]
    for name, value in values.items():
        limit = LENGTHS.get(name)
        if limit and isinstance(value, str) and len(value) > limit and name not in errors:
            errors[name] = [_("Too long: at most %(limit)d characters.") % {"limit": limit}]
    if errors:
        raise ValidationError(errors)
    if values.get("company_name"):
        values["type"] = CustomerType.PROFESSIONAL
    return values


class _Index:
    """The shop's customers by internal ID, phone and email key, plus the rows of this file seen so far,
    so that two rows for one person are caught too."""

    def __init__(self, shop):
        self.by = {"internal_id": {}, "phone": {}, "email": {}}
        for pk, internal_id, phone, email_key in Customer.objects.filter(shop=shop).values_list(
            "pk", "internal_id", "phone", "email_key"
        ):
            if internal_id:
                self.by["internal_id"][internal_id] = pk
            if phone:
                self.by["phone"][str(phone)] = pk
            if email_key:
                self.by["email"][email_key] = pk
        self.rows: dict[tuple[str, str], int] = {}

    @staticmethod
    def keys(values: dict) -> list[tuple[str, str]]:
        found = []
        if values.get("internal_id"):
            found.append(("internal_id", values["internal_id"]))
        if values.get("phone"):
            found.append(("phone", str(values["phone"])))
        if values.get("email"):
            found.append(("email", values["email"].lower()))
        return found

    def match(self, values: dict) -> int | None:
        """The existing customer this row is, or None. Raises ValidationError when the row's identifiers
        point at two different customers."""
        hits = {kind: self.by[kind].get(value) for kind, value in self.keys(values)}
        chosen = next((pk for pk in hits.values() if pk), None)
        for kind, pk in hits.items():
            if pk and pk != chosen:
                raise ValidationError(
                    {kind: [_("Already used by another customer than the one this row matches.")]}
                )
        return chosen

    def seen_in_file(self, values: dict) -> int | None:
        for key in self.keys(values):
            if key in self.rows:
                return self.rows[key]
        return None

    def remember(self, values: dict, row_number: int, pk: int | None) -> None:
        for kind, value in self.keys(values):
            self.rows[(kind, value)] = row_number
            if pk:
                self.by[kind].setdefault(value, pk)


# Everything a file can set on a customer (other emails are not imported: one email column at most).
UPDATABLE = tuple(f for f in CONTACT_FIELDS if f != "secondary_emails")


def import_process(
    *,
    shop,
    by,
    job,
    data: bytes,
    commit: bool,
    progress: Callable[[int], None] | None = None,
    plan: review.Plan | None = None,
) -> Outcome:
    """Check (commit=False) or import (commit=True) the rows of `job`'s file with its mapping. A commit
    with the check's `plan` writes only what the check said (customers.import_review).

    Must run inside `shop_context(shop)` and, when committing, inside one transaction (the caller's).
    """
    table = Table(job.headers, job.encoding, job.delimiter, job.total_rows)
    mapping = {int(index): name for index, name in job.mapping.items() if name}
    index = _Index(shop)
    outcome = Outcome()
    pending_new: list[tuple[int, dict]] = []
    pending_match: list[tuple[int, int, dict]] = []
    source = f"{job.filename} (import {job.pk}, sha256 {job.sha256[:12]})"
    consents = _Consents(shop, outcome)
    writer = _Writer(shop, by, source, consents) if commit else None
    for number, cells in enumerate(iter_rows(data, table), start=2):
        try:
            values = _clean_row(shop, cells, mapping)
            earlier = index.seen_in_file(values)
            if earlier:
                raise ValidationError(
                    {"": [_("Same customer as row %(row)d (same ID, phone or email).") % {"row": earlier}]}
                )
            pk = index.match(values)
        except ValidationError as exc:
            outcome.invalid += 1
            message = "; ".join(
                f"{FIELDS.get(name, '')}: {' '.join(msgs)}" if name in FIELDS else " ".join(msgs)
                for name, msgs in exc.message_dict.items()
            )
            column = next((name for name in exc.message_dict if name in FIELDS), "")
            header = next((table.headers[i] for i, f in mapping.items() if f == column), "")
            outcome.errors.append((number, header, message))
            outcome.rejected.append((number, cells, message))
        else:
            index.remember(values, number, pk)
            if pk and not job.update_existing:
                outcome.kept += 1
            elif pk:
                pending_match.append((number, pk, values))
            elif commit and plan is not None and not plan.is_new(number):
                outcome.differs.append((number, review.since_check_message("now_new")))
            else:
                values["consents"] = consents.changes(_NEW_CUSTOMER, values)
                pending_new.append((number, values))
                if not commit:
                    outcome.plan.add_new(number)
        if len(pending_match) >= BATCH:
            _settle_matches(shop, pending_match, outcome, writer, consents, plan)
            pending_match = []
        if len(pending_new) >= BATCH:
            outcome.new += len(pending_new)
            if writer:
                writer.create(pending_new)
            pending_new = []
        if progress and number % 2000 == 0:
            progress(number - 1)
    _settle_matches(shop, pending_match, outcome, writer, consents, plan)
    outcome.new += len(pending_new)
    if writer:
        writer.create(pending_new)
    return outcome


def _settle_matches(shop, pending, outcome: Outcome, writer, consents: _Consents, plan=None) -> None:
    """Compare matched rows with their customers (two queries per batch, plain values: building model
    instances parses every phone number again); count and, when committing, apply the differences (those
    the check planned, when there is a plan)."""
    if not pending:
        return
    ids = [pk for _n, pk, _v in pending]
    current = {
        row["id"]: row
        for row in Customer.objects.filter(shop=shop, pk__in=ids)
        .annotate(phone_text=Cast("phone", output_field=CharField()))
        .values(
            "id",
            "number",
            "phone_text",
            "email_status",
            "sms_status",
            *(f for f in UPDATABLE if f != "phone"),
        )
    }
    tags: dict[int, set[str]] = defaultdict(set)
    for customer_id, name in CustomerTag.objects.filter(shop=shop, customer_id__in=ids).values_list(
        "customer_id", "tag__name"
    ):
        tags[customer_id].add(name.casefold())
    changed = []
    for number, pk, values in pending:
        row = {**current[pk], "phone": current[pk]["phone_text"] or ""}
        diff = _diff(row, tags[pk], values, consents)
        if not diff:
            outcome.unchanged += 1
        elif writer and plan is not None and plan.is_new(number):
            outcome.differs.append((number, review.since_check_message("now_matches", row["number"])))
        elif writer and plan is not None and not plan.same_update(number, pk, diff):
            outcome.differs.append((number, review.since_check_message("changed", row["number"])))
        else:
            changed.append((pk, values, diff))
            if not writer:
                outcome.plan.add_update(number, pk, diff)
                if len(outcome.changes) < review.CHANGES_SHOWN:
                    outcome.changes.append(review.change_entry(number, row, diff))
    outcome.updated += len(changed)
    if writer and changed:
        customers = Customer.objects.filter(shop=shop).in_bulk([pk for pk, _v, _d in changed])
        writer.update([(customers[pk], values, diff) for pk, values, diff in changed])


def _diff(current: dict, tags: set[str], values: dict, consents: _Consents) -> dict:
    """What the row would change on the customer (`current`: its stored values; `tags`: its tag names,
    case-folded): {field: [old, new]}. Empty cells change nothing."""
    changes = {}
    for name in UPDATABLE:
        new = values.get(name)
        if new and str(new) != str(current[name] or ""):
            changes[name] = [str(current[name] or ""), str(new)]
    missing = [t for t in values.get("tags", []) if t.casefold() not in tags]
    if missing:
        changes["tags"] = ["", ", ".join(missing)]
    changes.update(consents.changes(current, values))
    return changes


_CHANNELS = (
    # channel, status field, address field, the file's consent column, status it gives, no consent
    (Channel.EMAIL, "email_status", "email", "email_consent", EmailStatus.SUBSCRIBED, EmailStatus.NONE),
    (Channel.SMS, "sms_status", "phone", "sms_consent", SmsStatus.SUBSCRIBED, SmsStatus.NONE),
)
_OPEN = (EmailStatus.NONE, EmailStatus.PENDING, SmsStatus.NONE, SmsStatus.PENDING)


class _Consents:
    """What a file may do to consent, decided the way messaging decides it for one customer: an address
    the file brings starts from its own state (the shop's suppression list, read once per import); the
    file's "subscribed" fills only an open state, never one a customer or a provider closed, and never
    for an address that opted out, unsubscribed or bounces here (counted as refused)."""

    def __init__(self, shop, outcome: Outcome):
        self.shop, self.outcome = shop, outcome
        self.suppressed = {
            channel: consent.suppression_hashes(shop=shop, channel=channel) for channel, *_r in _CHANNELS
        }

    def address_hash(self, channel: str, address) -> str:
        return consent.address_hash(self.shop.pk, channel, address)

    def changes(self, current: dict, values: dict) -> dict:
        """{status field: [old, new]} for the row's customer (`current`: their stored values)."""
        changes = {}
        for channel, status_field, address_field, column, given, nothing in _CHANNELS:
            old_address = consent.address_normal(channel, current[address_field])
            address = consent.address_normal(channel, values.get(address_field)) or old_address
            reason = self.suppressed[channel].get(self.address_hash(channel, address)) if address else None
            status = current[status_field]
            if address != old_address or reason:
                status = consent.status_of_suppressed(channel, reason) or (
                    nothing if address != old_address else status
                )
            if values.get(column) and address:
                if reason:
                    self.outcome.consent_refused += 1
                elif status in _OPEN:
                    status = given
            if status != current[status_field]:
                changes[status_field] = [current[status_field], status]
        return changes


_STAGED_CUSTOMER = ["number", *UPDATABLE, *KEY_FIELDS, "email_status", "sms_status"]
STAGING_COLUMNS = [*_STAGED_CUSTOMER, "tag_ids", "email_hash", "phone_hash", "terms"]
STAGING_TABLE = (
    "create temporary table import_staging ("
    + ", ".join(f"{name} text" for name in _STAGED_CUSTOMER)
    + ", tag_ids bigint[], email_hash text, phone_hash text, terms jsonb) on commit drop"
)
_CUSTOMER_COLUMNS = ", ".join(_STAGED_CUSTOMER)
# Column names are ours; every value is a parameter.
CREATE_SQL = f"""
    with created as (
        insert into customers_customer (shop_id, {_CUSTOMER_COLUMNS}, secondary_emails,
                                        created_at, updated_at, created_by_id, updated_by_id)
        select %s, {_CUSTOMER_COLUMNS}, '{{}}', %s, %s, %s, %s from import_staging
        returning id, number, email_status, sms_status
    ), history as (
        insert into customers_customerchange (shop_id, customer_id, by_id, at, action, details)
        select %s, id, %s, %s, 'created', %s::jsonb from created
    ), names as (
        insert into customers_namekey (shop_id, key)
        select distinct %s, last_name_key from import_staging where last_name_key <> ''
        on conflict do nothing
    ), terms as (
        insert into customers_searchterm (shop_id, customer_id, kind, key, other)
        select %s, c.id, (t->>0)::smallint, t->>1, t->>2
          from created c join import_staging s on s.number = c.number
         cross join jsonb_array_elements(s.terms) t
    ), tags as (
        insert into customers_customertag (shop_id, customer_id, tag_id)
        select %s, c.id, unnest(s.tag_ids) from created c join import_staging s on s.number = c.number
        on conflict do nothing
    )
    insert into messaging_consentevent
        (shop_id, customer_id, channel, purpose, action, source, by_id, wording, wording_version, detail,
         user_agent, at, address_hash)
    select %s, c.id, ch.channel, 'marketing', 'imported', 'import', %s, %s, %s, %s, '', %s, ch.address_hash
      from created c
      join import_staging s on s.number = c.number
     cross join lateral (values ('email', c.email_status = 'subscribed', s.email_hash),
                                ('sms', c.sms_status = 'subscribed', s.phone_hash))
           as ch(channel, given, address_hash)
     where ch.given
"""  # noqa: S608
# What a customer who does not exist yet has, for deciding which consents a file gives.
_NEW_CUSTOMER = {"email": "", "phone": "", "email_status": EmailStatus.NONE, "sms_status": SmsStatus.NONE}
_DEFAULTS = {"type": CustomerType.INDIVIDUAL}


class _Writer:
    """Writes an import in batches: set-based inserts of new customers, bulk updates of matched ones,
    with their history lines, tags and consent events."""

    def __init__(self, shop, by, source: str, consents: _Consents):
        self.shop, self.by, self.source, self.consents = shop, by, source, consents
        self.staged = False
        self.tags = {t.name.casefold(): t for t in Tag.objects.filter(shop=shop)}
        self.now = timezone.now()

    def _tag(self, name: str) -> Tag:
        key = name.casefold()
        if key not in self.tags:
            self.tags[key] = Tag.objects.create(shop=self.shop, name=name)
        return self.tags[key]

    def create(self, rows: list[tuple[int, dict]]) -> None:
        """New customers of a batch, set-based: the rows are COPYed into a temporary table (row-level
        security refuses COPY into the real one), then one statement writes the customers and, from what
        that INSERT returns, their history lines, name keys, tags and consent events. An ORM bulk_create
        of the same rows cost ten times more, mostly in building the statement."""
        if not rows:
            return
        tag_ids = {name: self._tag(name).pk for _n, values in rows for name in values.get("tags", [])}
        records = [self._record(values, tag_ids) for _number, values in rows]

        if not self.staged:  # outside the savepoint below, which a retry rolls back
            with connection.cursor() as cursor:
                cursor.execute(STAGING_TABLE)
            self.staged = True

        def insert():
            with connection.cursor() as cursor:
                cursor.execute("truncate import_staging")
                with cursor.cursor.copy(
                    f"copy import_staging ({', '.join(STAGING_COLUMNS)}) from stdin"
                ) as copy:
                    for record in records:
                        copy.write_row(record)
                cursor.execute(CREATE_SQL, self._create_params())

        def renumber():
            for record in records:
                record[0] = customer_number_new()

        insert_with_fresh_numbers(insert, renumber)

    def _record(self, values: dict, tag_ids: dict) -> list:
        phone = str(values.get("phone") or "")
        keys = key_values(
            first_name=values["first_name"],
            last_name=values["last_name"],
            company_name=values.get("company_name", ""),
            email=values.get("email") or "",
            phone=phone,
            internal_id=values.get("internal_id") or "",
            also_name=values.get("also_name") or "",
            city=values.get("city") or "",
        )
        consents = values["consents"]
        return [
            customer_number_new(),
            *(str(values.get(name) or _DEFAULTS.get(name, "")) for name in UPDATABLE),
            *(keys[name] for name in KEY_FIELDS),
            consents.get("email_status", ["", EmailStatus.NONE])[1],
            consents.get("sms_status", ["", SmsStatus.NONE])[1],
            [tag_ids[t] for t in values.get("tags", [])],
            self.consents.address_hash(Channel.EMAIL, values.get("email")),
            self.consents.address_hash(Channel.SMS, phone),
            json.dumps(
                sorted(
                    search_terms(
                        first=keys["first_name_key"],
                        last=keys["last_name_key"],
                        company=keys["company_key"],
                        also=keys["also_name_key"],
                    )
                )
            ),
        ]

    def _create_params(self) -> list:
        by = self.by.pk if self.by else None
        history = json.dumps({_("Import"): ["", self.source]})
        said = wording.IMPORTED
        shop = self.shop.pk
        return [
            shop, self.now, self.now, by, by,  # customers
            shop, by, self.now, history,  # history
            shop,  # name keys
            shop,  # search terms
            shop,  # tags
            shop, by, said.text(self.shop), said.version, self.source[:200], self.now,  # consent events
        ]  # fmt: skip

    def update(self, changed: list[tuple[Customer, dict, dict]]) -> None:
        if not changed:
            return
        for customer, values, diff in changed:
            for name in UPDATABLE:
                if name in diff:
                    setattr(customer, name, values[name])
            _set_keys(customer)
            customer.updated_at, customer.updated_by = self.now, self.by
        self._apply_consents(changed)
        Customer.objects.bulk_update(
            [c for c, _v, _d in changed],
            [*UPDATABLE, *KEY_FIELDS, "email_status", "sms_status", "updated_at", "updated_by"],
        )
        history = [
            (c, {k: v for k, v in diff.items() if k not in ("email_status", "sms_status")})
            for c, _v, diff in changed
        ]
        self._history(CustomerChange.Action.UPDATED, history)
        self._related(changed)

    def _apply_consents(self, changed) -> None:
        for customer, _values, diff in changed:
            for name in ("email_status", "sms_status"):
                if name in diff:
                    setattr(customer, name, diff[name][1])

    def _history(self, action: str, rows: list[tuple[Customer, dict]]) -> None:
        CustomerChange.objects.bulk_create(
            [
                CustomerChange(
                    shop=self.shop,
                    customer=customer,
                    by=self.by,
                    action=action,
                    at=self.now,
                    details={**details, _("Import"): ["", self.source]},
                )
                for customer, details in rows
            ]
        )

    def _related(self, changed) -> None:
        """Search terms, name vocabulary, tags and consent events of a batch: one INSERT each."""
        lookup_remember(self.shop, *(c for c, _v, _d in changed))
        CustomerTag.objects.bulk_create(
            [
                CustomerTag(shop=self.shop, customer=c, tag=self._tag(t))
                for c, values, _d in changed
                for t in values.get("tags", [])
            ],
            ignore_conflicts=True,
        )
        said = wording.IMPORTED
        events = []
        for c, _v, diff in changed:
            for channel, status_field, address_field, _col, given, _none in _CHANNELS:
                if status_field not in diff:
                    continue
                old, new = diff[status_field]
                # The file's consent, or the state a new address brought (see _Consents).
                subscribed = new == given
                events.append(
                    ConsentEvent(
                        shop=self.shop,
                        customer=c,
                        channel=channel,
                        action=ConsentEvent.Action.IMPORTED
                        if subscribed
                        else ConsentEvent.Action.ADDRESS_CHANGED,
                        source=ConsentEvent.Source.IMPORT,
                        by=self.by,
                        wording=said.text(self.shop) if subscribed else "",
                        wording_version=said.version if subscribed else "",
                        detail=(self.source if subscribed else f"{old} → {new} ({self.source})")[:200],
                        address_hash=self.consents.address_hash(channel, getattr(c, address_field)),
                        at=self.now,
                    )
                )
        ConsentEvent.objects.bulk_create(events)


def rejected_csv(outcome: Outcome, headers: list[str]) -> bytes:
    """The rejected rows as they were in the file, with their row number and the reason in front."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Neutralised like an export: a rejected row is often a crafted one, and this file is opened in Excel.
    writer.writerow([_("Row"), _("Reason"), *(cell_neutralised(h) for h in headers)])
    for number, cells, message in outcome.rejected:
        writer.writerow([number, cell_neutralised(message), *(cell_neutralised(c) for c in cells)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode()


# --- the import's life: upload, check, import ----------------------------------------------------------


def progress_key(import_id: int) -> str:
    return f"import-progress:{import_id}"


def import_upload(*, shop, by, upload) -> Import:
    """Keep an uploaded file as a new import, with its columns guessed. Raises ValidationError on "file"
    when it is too large or cannot be read as a table; nothing is kept then."""
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is %(size)s; at most %(max)s can be imported. Split it in parts.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(settings.IMPORT_MAX_BYTES)}
            }
        )
    data = upload.read()
    try:
        table = read_table(data, upload.name or "")
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    extension = "xlsx" if table.encoding == "xlsx" else "csv"
    stored = default_storage.save(f"imports/{shop.pk}/{secrets.token_hex(8)}.{extension}", ContentFile(data))
    return Import.objects.create(
        shop=shop,
        by=by,
        filename=(upload.name or "")[:200],
        file=stored,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=table.encoding,
        delimiter=table.delimiter,
        headers=table.headers,
        total_rows=table.row_count,
        **_first_mapping(shop, table.headers),
    )


def _first_mapping(shop, headers: list[str]) -> dict:
    """The columns chosen last time for these headers, else the guess from their names."""
    remembered = mapping_remembered(shop=shop, headers=headers)
    if remembered is not None:
        return {
            "mapping": _usable(remembered.mapping, headers),
            "update_existing": remembered.update_existing,
        }
    return {"mapping": guess_mapping(headers)}


def headers_key(headers: list[str]) -> str:
    """One key per set of column names, as the mapping compares them."""
    return hashlib.sha256("\x1f".join(header_key(h) for h in headers).encode()).hexdigest()


def mapping_remembered(*, shop, headers: list[str]) -> ImportMapping | None:
    return ImportMapping.objects.filter(shop=shop, headers_key=headers_key(headers)).first()


def _usable(mapping: dict, headers: list[str]) -> dict[str, str]:
    return {k: v for k, v in mapping.items() if v in FIELDS and k.isdigit() and int(k) < len(headers)}


def import_map(*, shop, job: Import, mapping: dict[str, str], update_existing: bool = True) -> Import:
    """Save the column mapping and whether existing customers are updated (and forget an earlier check);
    remember both for the next file with the same headers. Raises ValidationError when unusable."""
    mapping = _usable(mapping, job.headers)
    errors = mapping_errors(mapping)
    if errors:
        raise ValidationError(errors)
    if job.status not in (Import.Status.UPLOADED, Import.Status.CHECKED, Import.Status.FAILED):
        raise ValidationError(_("This import is already running or finished."))
    job.mapping, job.update_existing = mapping, update_existing
    job.status = Import.Status.CHECKING
    job.check_result, job.error = {}, ""
    job.save(update_fields=["mapping", "update_existing", "status", "check_result", "error"])
    ImportMapping.objects.update_or_create(
        shop=shop,
        headers_key=headers_key(job.headers),
        defaults={"mapping": mapping, "update_existing": update_existing, "updated_at": timezone.now()},
    )
    return job


def import_run(*, shop, import_id: int, commit: bool) -> Import | None:
    """Check (dry run) or import the file of an import that is waiting for it; progress goes to the cache.

    Must run inside `shop_context(shop)`. A commit is one transaction: any error leaves no customer
    written and the import marked failed with the reason.
    """
    wanted = Import.Status.IMPORTING if commit else Import.Status.CHECKING
    with transaction.atomic():
        job = Import.objects.select_for_update().filter(shop=shop, pk=import_id, status=wanted).first()
    if job is None:
        return None
    try:
        data = default_storage.open(job.file, "rb").read()
    except (OSError, ValueError):
        return _failed(job, _("The uploaded file is no longer available; upload it again."))

    def progress(rows: int) -> None:
        cache.set(progress_key(job.pk), rows, 3600)

    try:
        with transaction.atomic():
            plan = review.Plan.load((job.check_result or {}).get("plan")) if commit else None
            outcome = import_process(
                shop=shop, by=job.by, job=job, data=data, commit=commit, progress=progress, plan=plan
            )
            result = outcome.as_dict(check=not commit)
            if outcome.rejected:
                result["rejected_file"] = default_storage.save(
                    f"imports/{shop.pk}/{job.pk}-rejected-{secrets.token_hex(4)}.csv",
                    ContentFile(rejected_csv(outcome, job.headers)),
                )
            if commit:
                job.result, job.status, job.finished_at = result, Import.Status.DONE, timezone.now()
            else:
                job.check_result, job.status = result, Import.Status.CHECKED
            # An XLSX's count was what its sheet declared; now it is the rows really read.
            job.total_rows = (
                outcome.new
                + outcome.updated
                + outcome.unchanged
                + outcome.kept
                + outcome.invalid
                + len(outcome.differs)
            )
            job.save()
    except IntegrityError:
        logger.warning("import %s hit a uniqueness conflict", job.pk, exc_info=True)
        return _failed(
            job,
            _("Someone added or changed a customer with the same phone, email or ID meanwhile; check again."),
        )
    except (ImportFileError, ValidationError) as exc:
        return _failed(job, " ".join(getattr(exc, "messages", [str(exc)])))
    finally:
        cache.delete(progress_key(job.pk))
    return job


def _failed(job: Import, message: str) -> Import:
    job.status, job.error = Import.Status.FAILED, message[:500]
    job.save(update_fields=["status", "error"])
    return job


# Files this small are checked and imported during the request; larger ones by a worker.
INLINE_ROWS = 2000


# An .xlsx is walked in the request only when it is this small: its row count is only what it declares.
INLINE_XLSX_BYTES = 128 * 1024


def import_launch(*, shop, job: Import, commit: bool) -> None:
    """Start the dry run (or the import) of `job`: right away for a small file, else by a worker once the
    request commits (the page then shows a progress bar)."""
    small = job.encoding != "xlsx" or job.size <= INLINE_XLSX_BYTES
    if small and job.total_rows <= INLINE_ROWS:
        import_run(shop=shop, import_id=job.pk, commit=commit)
        return
    from customers.tasks import run_import
    from shopcrm.tasks import publish_on_commit

    publish_on_commit(run_import, job.pk, shop.pk, commit)


def import_confirm(*, shop, job: Import) -> Import:
    """The admin confirmed after the dry run: the import may start."""
    updated = Import.objects.filter(shop=shop, pk=job.pk, status=Import.Status.CHECKED).update(
        status=Import.Status.IMPORTING
    )
    if not updated:
        raise ValidationError(_("This import is already running or finished."))
    job.refresh_from_db()
    return job
