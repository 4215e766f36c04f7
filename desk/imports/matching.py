"""Which customer a row is, and what it would change on them: internal ID first, then phone, then email;
empty cells never erase anything; consent follows the address it was given for."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from customers.models import (
    Customer,
    CustomerTag,
)
from customers.normalise import phone_is_mobile
from customers.services import (
    CONTACT_FIELDS,
)
from desk.imports import review
from desk.imports.history import FIELDS as HISTORY_FIELDS
from desk.imports.rows import Outcome
from messaging import consent
from messaging.consent import EmailStatus, SmsStatus, suppression
from messaging.models import Channel


class CustomerIndex:
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
# …and the history an old system carries (desk.imports.history), typed values, not text.
HISTORY = HISTORY_FIELDS


def matches_settle(shop, pending, outcome: Outcome, writer, consents: FileConsents, plan=None) -> None:
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
            *HISTORY,
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
        diff = row_diff(row, tags[pk], values, consents)
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


def row_diff(current: dict, tags: set[str], values: dict, consents: FileConsents) -> dict:
    """What the row would change on the customer (`current`: its stored values; `tags`: its tag names,
    case-folded): {field: [old, new]}. Empty cells change nothing."""
    changes = {}
    for name in UPDATABLE:
        new = values.get(name)
        if new and str(new) != str(current[name] or ""):
            changes[name] = [str(current[name] or ""), str(new)]
    for name in HISTORY:
        new, old = values.get(name), current.get(name)
        if new is None or new == old:
            continue
        # The old system's history extends what is here: an earlier first visit, a later last visit, more
        # visits; a visit recorded at the till since is never undone by an older file.
        if old is not None and (
            (name == "first_visit_at" and new >= old)
            or (name in ("last_visit_at", "visit_count") and new <= old)
        ):
            continue
        changes[name] = ["" if old is None else str(old), str(new)]
    missing = [t for t in values.get("tags", []) if t.casefold() not in tags]
    if missing:
        changes["tags"] = ["", ", ".join(missing)]
    changes.update(consents.changes(current, values))
    return changes


CHANNELS = (
    # channel, status field, address field, the file's consent column, status it gives, no consent
    (Channel.EMAIL, "email_status", "email", "email_consent", EmailStatus.SUBSCRIBED, EmailStatus.NONE),
    (Channel.SMS, "sms_status", "phone", "sms_consent", SmsStatus.SUBSCRIBED, SmsStatus.NONE),
)
_OPEN = (EmailStatus.NONE, EmailStatus.PENDING, SmsStatus.NONE, SmsStatus.PENDING)
# What a customer who does not exist yet has, for deciding which consents a file gives.
NEW_CUSTOMER = {"email": "", "phone": "", "email_status": EmailStatus.NONE, "sms_status": SmsStatus.NONE}


class FileConsents:
    """What a file may do to consent, decided the way messaging decides it for one customer: an address
    the file brings starts from its own state (the shop's suppression list, read once per import); the
    file's "subscribed" fills only an open state, never one a customer or a provider closed, and never
    for an address that opted out, unsubscribed or bounces here (counted as refused)."""

    def __init__(self, shop, outcome: Outcome):
        self.shop, self.outcome = shop, outcome
        self.suppressed = {
            channel: suppression.suppression_hashes(shop=shop, channel=channel) for channel, *_r in CHANNELS
        }

    def address_hash(self, channel: str, address) -> str:
        return suppression.address_hash(self.shop.pk, channel, address)

    def changes(self, current: dict, values: dict) -> dict:
        """{status field: [old, new]} for the row's customer (`current`: their stored values)."""
        changes = {}
        for channel, status_field, address_field, column, given, nothing in CHANNELS:
            old_address = suppression.address_normal(channel, current[address_field])
            address = suppression.address_normal(channel, values.get(address_field)) or old_address
            reason = self.suppressed[channel].get(self.address_hash(channel, address)) if address else None
            status = current[status_field]
            if address != old_address or reason:
                status = consent.status_of_suppressed(channel, reason) or (
                    nothing if address != old_address else status
                )
            if values.get(column) and address:
                if reason:
                    self.outcome.consent_refused += 1
                elif channel == Channel.SMS and not phone_is_mobile(address):
                    self.outcome.landline_consents += 1  # a landline cannot receive the texts it agrees to
                elif status in _OPEN:
                    status = given
            if status != current[status_field]:
                changes[status_field] = [current[status_field], status]
        return changes
