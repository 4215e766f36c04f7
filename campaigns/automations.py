"""The pet-birthday promotion: an admin of a pet shop switches it on with its text and channel; each month,
the owners of pets born that month who agreed to marketing on that channel get it, once.

"Each month" is the shop's own calendar (its time zone). A month's run is a row unique per automation and
month, and the outbox holds at most one message per run and customer, so the hourly job may run as often as it
likes: the second time finds everyone done. It starts from 9:00 in the shop, so no email lands at midnight
(texts wait for the send window anyway). A customer who gets it is one whose pet is born that month as the
job finds them; one added later in the month gets it at the next hourly run.

Services and selectors; every function takes `shop`.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns import sending, services
from campaigns.models import Automation, AutomationRun
from customers.models import Customer, Pet
from messaging import marketing
from messaging.models import Channel, OutboundMessage
from shopcrm.tenancy import shop_context

KIND = Automation.Kind.PET_BIRTHDAY
STARTS_AT = dt.time(9)


def _default(shop) -> Automation:
    with translation.override(shop.language):
        return Automation(
            shop=shop,
            kind=KIND,
            enabled=False,
            channel=Channel.EMAIL,
            subject=_("Happy birthday, {{ pet_name }}!"),
            body=_(
                "Hello {{ first_name }},\n\nIt is {{ pet_name }}'s birthday month! Come and see us at "
                "{{ shop_name }} this month: a birthday treat is waiting."
            ),
        )


def pet_birthday_get(*, shop) -> Automation:
    """The shop's pet-birthday promotion (unsaved, switched off, with a suggested text, until saved)."""
    return Automation.objects.filter(shop=shop, kind=KIND).first() or _default(shop)


@transaction.atomic
def pet_birthday_save(*, shop, by, enabled: bool, channel: str, subject: str, body: str) -> Automation:
    """Switch the promotion on or off and set its text. Only shops that record pets have it. Raises
    ValidationError next to the field."""
    if not shop.pets_enabled:
        raise ValidationError(_("Only shops that record pets send pet-birthday promotions."))
    fields = services.message_checked(shop, channel=channel, subject=subject, body=body)
    automation = Automation.objects.select_for_update().filter(shop=shop, kind=KIND).first()
    if automation is None:
        try:
            with transaction.atomic():
                automation = Automation.objects.create(shop=shop, kind=KIND, body=fields["body"])
        except IntegrityError:  # two admins saving it for the first time at once
            automation = Automation.objects.select_for_update().get(shop=shop, kind=KIND)
    automation.enabled = bool(enabled)
    automation.channel, automation.subject, automation.body = (
        fields["channel"],
        fields["subject"],
        fields["body"],
    )
    automation.updated_by, automation.updated_at = by, timezone.now()
    automation.save()
    return automation


def pet_birthday_runs(*, shop, limit: int = 12) -> list[AutomationRun]:
    automation = Automation.objects.filter(shop=shop, kind=KIND).first()
    if automation is None:
        return []
    return list(AutomationRun.objects.filter(shop=shop, automation=automation)[:limit])


def _audience(shop, run: AutomationRun, after: int, upto: int | None):
    """Owners of pets born in the run's month with no message of this run yet, ids in (after, upto]."""
    born = Pet.objects.filter(shop=shop, owner=OuterRef("pk"), birth_month=run.month)
    owners = Customer.objects.filter(shop=shop, pk__gt=after).filter(Exists(born))
    if upto is not None:
        owners = owners.filter(pk__lte=upto)
    written = marketing.already_written(shop=shop, source=run.source_key, after=after, upto=upto)
    return owners.exclude(Exists(written.filter(written_for=OuterRef("pk"))))


def _run_for(shop, automation: Automation, today: dt.date) -> AutomationRun:
    period = f"{today.year:04d}-{today.month:02d}"
    run = AutomationRun.objects.select_for_update().filter(automation=automation, period=period).first()
    if run is None:
        try:
            with transaction.atomic():
                run = AutomationRun.objects.create(
                    shop=shop,
                    automation=automation,
                    period=period,
                    month=today.month,
                    channel=automation.channel,
                )
        except IntegrityError:
            run = AutomationRun.objects.select_for_update().get(automation=automation, period=period)
    return run


def pet_birthday_write_chunk(
    *, shop_id: int, at: dt.datetime | None = None, chunk: int = sending.CHUNK
) -> bool:
    """Write the next chunk of this month's birthday messages for the shop. Returns True while more
    remain. Nothing before 9:00 in the shop, nothing when switched off. Idempotent."""
    with shop_context(shop_id), transaction.atomic():
        sending.durable_later()
        automation = (
            Automation.objects.select_for_update(of=("self",))
            .select_related("shop")
            .filter(kind=KIND, enabled=True)
            .first()
        )
        if automation is None or not automation.shop.pets_enabled:
            return False
        shop = automation.shop
        local = timezone.localtime(at or timezone.now(), shop.tzinfo)
        if local.time() < STARTS_AT:
            return False
        run = _run_for(shop, automation, local.date())
        if run.finished_at is not None:
            return False
        if run.channel != automation.channel:
            # Switched channel this month: who has not had it yet gets it on the new one (still once).
            run.channel = automation.channel
            run.save(update_fields=["channel"])
        ids, written = sending.chunk_write(
            shop=shop,
            unsent=lambda after, upto: _audience(shop, run, after, upto),
            source=run.source_key,
            cursor=run.cursor,
            chunk=chunk,
            channel=run.channel,
            kind=OutboundMessage.Kind.PET_BIRTHDAY,
            body=sending.message_content(
                shop,
                channel=run.channel,
                subject=automation.subject,
                body=automation.body,
                label=automation.get_kind_display(),
            ),
            by=automation.updated_by,
            pet_month=run.month,
        )
        if not ids:
            # Done for now; customers added later this month are found by the next hourly run.
            run.cursor = 0
            run.save(update_fields=["cursor"])
            return False
        run.cursor, run.written = ids[-1], run.written + len(written)
        run.save(update_fields=["cursor", "written"])
    return True


def pet_birthday_write(*, shop_id: int, at: dt.datetime | None = None) -> int:
    chunks = 0
    while pet_birthday_write_chunk(shop_id=shop_id, at=at):
        chunks += 1
    return chunks


def birthday_message(*, shop, customer, at: dt.datetime | None = None) -> OutboundMessage | None:
    """The birthday promotion this customer got this month (for the checkout screen), or None."""
    local = timezone.localtime(at or timezone.now(), shop.tzinfo)
    automation = Automation.objects.filter(shop=shop, kind=KIND).first()
    if automation is None:
        return None
    run = AutomationRun(automation=automation, period=f"{local.year:04d}-{local.month:02d}")
    return OutboundMessage.objects.filter(shop=shop, customer=customer, source=run.source_key).first()
