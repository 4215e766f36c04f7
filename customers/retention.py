"""Retention: a customer with no visit and no activity for the shop's `retention_years` (default 3, the
CNIL's guidance) is erased by a daily job, unless an admin kept them with a reason. Admins see a month
ahead who is due.

Activity is the latest of: the record's creation, its last change, the last visit, and the customer's own
consent actions (a link clicked, a reply texted). Erasure is `customers.erasure.customer_erase`, one
customer per transaction; a shop whose import is running is left for the next day's run, so an import
never meets a half-erased list.
"""

from __future__ import annotations

import datetime
import logging

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.db.models import DateTimeField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.erasure import customer_erase
from customers.models import Customer, CustomerChange, Import
from messaging.models import ConsentEvent, Erasure

logger = logging.getLogger(__name__)

KEEP_FOR = relativedelta(years=1)
RUN_LIMIT = 500  # erasures per shop and run; the next run goes on


def _with_activity(queryset):
    own = (
        ConsentEvent.objects.filter(
            shop_id=OuterRef("shop_id"),
            customer=OuterRef("pk"),
            source__in=[ConsentEvent.Source.CUSTOMER_LINK, ConsentEvent.Source.SMS_REPLY],
        )
        .values("customer")
        .annotate(last=Max("at"))
        .values("last")
    )
    # PostgreSQL's GREATEST ignores NULLs (no visit, no own action).
    return queryset.annotate(
        last_activity=Greatest(
            "created_at", "updated_at", "last_visit_at", Subquery(own, output_field=DateTimeField())
        )
    )


def _cutoff(shop, moment: datetime.datetime) -> datetime.datetime:
    return moment - relativedelta(years=shop.retention_years)


def retention_due(*, shop, on: datetime.datetime | None = None):
    """Customers of `shop` whose retention period is over on `on` (now), and whom nobody kept."""
    on = on or timezone.now()
    not_kept = Q(kept_until__isnull=True) | Q(kept_until__lt=timezone.localdate(on, shop.tzinfo))
    return (
        _with_activity(Customer.objects.filter(shop=shop))
        .filter(not_kept)
        .filter(last_activity__lt=_cutoff(shop, on))
    )


def _upcoming(shop, days: int):
    return retention_due(shop=shop, on=timezone.now() + datetime.timedelta(days=days))


def retention_due_count(*, shop, days: int = 31) -> int:
    """How many customers the daily job will erase within `days` (the overdue included)."""
    return _upcoming(shop, days).count()


def retention_upcoming(*, shop, days: int = 31, limit: int = 200) -> tuple[list[Customer], int]:
    """Who the daily job will erase within `days` (and who is overdue): each with `last_activity` and
    `due_on`, soonest first; at most `limit` of them, and how many in all."""
    due = _upcoming(shop, days).order_by("last_activity", "pk")
    customers = list(due[:limit])
    for customer in customers:
        customer.due_on = timezone.localdate(
            customer.last_activity + relativedelta(years=shop.retention_years), shop.tzinfo
        )
    return customers, due.count() if len(customers) == limit else len(customers)


@transaction.atomic
def retention_keep(*, shop, by, customer: Customer, reason: str) -> Customer:
    """An admin keeps a customer past the retention period, for a year, for a reason (in the history)."""
    if customer.shop_id != shop.pk:
        raise Customer.DoesNotExist
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why this customer's data is kept.")})
    if "\x00" in reason:
        raise ValidationError({"reason": ProhibitNullCharactersValidator.message})
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason under 200 characters.")})
    customer.kept_until = timezone.localdate() + KEEP_FOR
    customer.kept_reason = reason
    customer.save(update_fields=["kept_until", "kept_reason"])
    CustomerChange.objects.create(
        shop=shop,
        customer=customer,
        by=by,
        action=CustomerChange.Action.KEPT,
        details={_("Reason"): ["", reason], _("Kept until"): ["", customer.kept_until.isoformat()]},
    )
    return customer


def retention_run(*, shop, now: datetime.datetime | None = None) -> int:
    """Erase the customers of `shop` whose retention period is over (at most RUN_LIMIT); how many. Runs in
    `shop`'s context; each erasure is its own transaction."""
    if Import.objects.filter(shop=shop, status=Import.Status.IMPORTING).exists():
        logger.info("retention of shop %s waits: an import is running", shop.pk)
        return 0
    erased = 0
    for pk in list(retention_due(shop=shop, on=now).order_by("pk").values_list("pk", flat=True)[:RUN_LIMIT]):
        with transaction.atomic():
            # Checked again under the row lock: a visit or an admin's "keep" since the list was read wins.
            customer = retention_due(shop=shop, on=now).select_for_update(of=("self",)).filter(pk=pk).first()
            if customer is None:
                continue
            customer_erase(shop=shop, by=None, customer=customer, reason=Erasure.Reason.RETENTION)
            erased += 1
    return erased
