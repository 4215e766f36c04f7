"""Campaigns: write one, check who it reaches, send it now or at a time, cancel it.

Services and selectors; every function takes `shop`. Sending is in `campaigns.sending` (the job that
writes the outbox rows); this module decides what may be sent and records the admin's choices.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from campaigns import content
from campaigns.models import Campaign
from customers.models import Customer, Segment
from desk import listing, segments
from desk.forms import customer_filter_form
from desk.saved_search import tidy
from messaging import consent, marketing, outbox, render, windows
from messaging.channels import channel_of
from messaging.models import PREFERENCES_LINK, UNSUBSCRIBE_LINK, Channel, ConsentEvent, OutboundMessage
from messaging.services import message_queue
from messaging.sms import bill
from shopcrm import ratelimit
from shopcrm.http import id_from

logger = logging.getLogger(__name__)

NAME_MAX = Campaign._meta.get_field("name").max_length
SUBJECT_MAX = Campaign._meta.get_field("subject").max_length
BODY_MAX = 5000
SCHEDULE_AHEAD_MAX = dt.timedelta(days=365)


# --- selectors -----------------------------------------------------------------------------------------


def campaign_list(*, shop) -> list[Campaign]:
    return list(Campaign.objects.filter(shop=shop).select_related("segment", "created_by")[:200])


def campaign_get(*, shop, pk) -> Campaign:
    """The campaign of `shop` with this id; Campaign.DoesNotExist for anything else (another shop's too)."""
    if (pk := id_from(pk)) is None:
        raise Campaign.DoesNotExist
    return Campaign.objects.select_related("segment").get(shop=shop, pk=pk)


def audience_params(campaign: Campaign) -> QueryDict:
    """The audience's filters: the segment's as they are now, else those saved with the campaign."""
    if campaign.segment_id is not None and campaign.segment is not None:
        return segments.segment_params(campaign.segment)
    return QueryDict(campaign.filters)


def audience_queryset(*, shop, campaign: Campaign) -> QuerySet[Customer]:
    form = customer_filter_form(shop, audience_params(campaign))
    return listing.customer_filter_queryset(shop=shop, filters=form.to_filter())


def audience_split(*, shop, campaign: Campaign) -> dict[str, int]:
    """Eligible ('') and excluded (by `marketing.Exclusion`) counts of the campaign's audience now."""
    return marketing.audience_split(
        shop=shop, channel=campaign.channel, audience=audience_queryset(shop=shop, campaign=campaign)
    )


def audience_rows(*, shop, campaign: Campaign):
    return marketing.audience_rows(
        shop=shop, channel=campaign.channel, audience=audience_queryset(shop=shop, campaign=campaign)
    )


def audience_unsent(
    *, shop, campaign: Campaign, after: int = 0, upto: int | None = None
) -> QuerySet[Customer]:
    """The audience less the customers this campaign already has a message for, with ids in
    (after, upto]."""
    audience = audience_queryset(shop=shop, campaign=campaign).filter(pk__gt=after)
    if upto is not None:
        audience = audience.filter(pk__lte=upto)
    written = marketing.already_written(shop=shop, source=campaign.source_key, after=after, upto=upto)
    return audience.exclude(Exists(written.filter(written_for=OuterRef("pk"))))


# --- writing a campaign --------------------------------------------------------------------------------


def message_checked(shop, *, channel, subject, body, errors=None) -> dict:
    """A message's channel, subject and text, tidied, with every field checked; raises ValidationError
    next to the field (adding to `errors` already found)."""
    errors = errors if errors is not None else {}
    subject = content.links_ascii(" ".join(content.text_tidy(subject).split()))
    body = content.links_ascii(content.text_tidy(body).replace("\r\n", "\n").replace("\r", "\n").strip())
    if channel not in Channel.values:
        errors.setdefault("channel", []).append(_("Choose email or SMS."))
    if channel == Channel.EMAIL:
        if not subject:
            errors.setdefault("subject", []).append(_("An email needs a subject."))
        elif len(subject) > SUBJECT_MAX:
            errors.setdefault("subject", []).append(
                _("At most %(limit)d characters.") % {"limit": SUBJECT_MAX}
            )
        subject, problems = content.fields_check(shop, subject)
        if problems:
            errors.setdefault("subject", []).extend(problems)
    else:
        subject = ""
    if not body:
        errors.setdefault("body", []).append(_("Write the message."))
    elif len(body) > BODY_MAX:
        errors.setdefault("body", []).append(_("At most %(limit)d characters.") % {"limit": BODY_MAX})
    body, problems = content.fields_check(shop, body)
    if problems:
        errors.setdefault("body", []).extend(problems)
    problems = content.link_problems(body)
    if problems:
        errors.setdefault("body", []).extend(problems)
    if channel == Channel.SMS and body and "body" not in errors:
        count = content.sms_count(render.marketing_sms(shop, text=content.shop_name_put(shop, body)).text)
        if count.count > content.SMS_MAX_SEGMENTS:
            errors.setdefault("body", []).append(
                _("This text would take %(count)d SMS segments; at most %(limit)d may go. Shorten it.")
                % {"count": count.count, "limit": content.SMS_MAX_SEGMENTS}
            )
    if errors:
        raise ValidationError(errors)
    return {"channel": channel, "subject": subject, "body": body}


def _cleaned(shop, *, name, channel, subject, body) -> dict:
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors.setdefault("name", []).append(_("Give the campaign a name."))
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(_("At most %(limit)d characters.") % {"limit": NAME_MAX})
    fields = message_checked(shop, channel=channel, subject=subject, body=body, errors=errors)
    return {"name": name, **fields}


def _audience_fields(shop, *, segment_id, filters) -> dict:
    if segment_id:
        try:
            segment = segments.segment_get(shop=shop, pk=segment_id)
        except Segment.DoesNotExist:
            raise ValidationError({"audience": _("Choose one of the shop's segments.")}) from None
        return {"segment": segment, "filters": segment.filters}
    return {"segment": None, "filters": tidy(QueryDict(filters or "")).urlencode()}


@transaction.atomic
def campaign_create(*, shop, by, name, channel, subject, body, segment_id=None, filters="") -> Campaign:
    """A draft campaign. Raises ValidationError next to the field it concerns."""
    fields = _cleaned(shop, name=name, channel=channel, subject=subject, body=body)
    fields.update(_audience_fields(shop, segment_id=segment_id, filters=filters))
    return Campaign.objects.create(shop=shop, created_by=by, **fields)


@transaction.atomic
def campaign_update(*, shop, campaign: Campaign, name, channel, subject, body, segment_id=None, filters=""):
    """Change a draft (or a scheduled campaign that has not started). Once it is sending, it is refused:
    its messages are already written."""
    locked = Campaign.objects.select_for_update().get(shop=shop, pk=campaign.pk)
    if not locked.editable:
        raise ValidationError(_("This campaign is already sending or sent: it can no longer be changed."))
    fields = _cleaned(shop, name=name, channel=channel, subject=subject, body=body)
    fields.update(_audience_fields(shop, segment_id=segment_id, filters=filters))
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.updated_at = timezone.now()
    locked.save()
    return locked


# --- sending ------------------------------------------------------------------------------------------


def _send_checks(shop, campaign: Campaign, *, seen: int | None) -> int:
    """Re-count the audience as it is now; refuse an empty one, one that changed since the admin looked
    (`seen`), and texts from a shop that gave no contact. Returns the eligible count."""
    channel = channel_of(campaign.channel)
    refusal = channel.shop_refusal(shop)
    if refusal:
        raise ValidationError(refusal)
    eligible = audience_split(shop=shop, campaign=campaign)[marketing.ELIGIBLE]
    if not eligible:
        raise ValidationError(_("Nobody in this audience may receive it: nothing was sent."))
    if seen is not None and seen != eligible:
        raise ValidationError(
            _(
                "The audience changed since you looked: %(now)d customers may receive it now, not "
                "%(seen)d. Check the counts again, then send."
            )
            % {"now": eligible, "seen": seen}
        )
    if channel.capped():
        refusal = bill.campaign_cap_refusal(shop=shop, texts=eligible)
        if refusal:
            raise ValidationError(refusal)
    return eligible


def _locked_draft(shop, campaign: Campaign) -> Campaign:
    locked = Campaign.objects.select_for_update().get(shop=shop, pk=campaign.pk)
    if locked.status == Campaign.Status.CANCELLED:
        raise ValidationError(_("This campaign was cancelled."))
    if not locked.editable:
        raise ValidationError(_("This campaign is already sending or sent."))
    return locked


@transaction.atomic
def campaign_send(*, shop, by, campaign: Campaign, seen: int | None) -> Campaign:
    """Send now: the campaign starts sending once this commits (the job `campaigns.send_campaign` writes
    its messages). A second press finds it already sending and is refused; nothing is sent twice."""
    locked = _locked_draft(shop, campaign)
    eligible = _send_checks(shop, locked, seen=seen)
    now = timezone.now()
    locked.status, locked.started_at, locked.scheduled_at = Campaign.Status.SENDING, now, None
    locked.sent_by, locked.audience_count, locked.updated_at = by, eligible, now
    locked.save()
    _launch_on_commit(locked)
    return locked


def _launch_on_commit(campaign: Campaign) -> None:
    from campaigns.tasks import send_campaign

    ids = (campaign.pk, campaign.shop_id)
    transaction.on_commit(lambda: _publish(send_campaign, *ids))


def _publish(task, campaign_id: int, shop_id: int) -> None:
    try:
        task.apply_async(args=[campaign_id, shop_id], retry=False)
    except Exception:  # broker down: the beat task `campaigns.launch_due` restarts it within minutes
        logger.warning("could not publish campaign %s; the beat task will", campaign_id)


def schedule_parse(shop, value: str) -> dt.datetime:
    """A date and time typed in the shop's time zone (an <input type="datetime-local">)."""
    try:
        naive = dt.datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationError({"scheduled_at": _("Choose a date and a time.")}) from None
    if naive.tzinfo is not None:
        return naive
    return timezone.make_aware(naive, shop.tzinfo)


@transaction.atomic
def campaign_schedule(*, shop, by, campaign: Campaign, at: dt.datetime, seen: int | None) -> Campaign:
    """Send at `at` (in the future, within a year). The audience is counted again when it starts."""
    now = timezone.now()
    if at <= now:
        raise ValidationError({"scheduled_at": _("Choose a time in the future.")})
    if at > now + SCHEDULE_AHEAD_MAX:
        raise ValidationError({"scheduled_at": _("Choose a time within a year.")})
    locked = _locked_draft(shop, campaign)
    locked.audience_count = _send_checks(shop, locked, seen=seen)
    locked.status, locked.scheduled_at, locked.sent_by, locked.updated_at = (
        Campaign.Status.SCHEDULED,
        at,
        by,
        now,
    )
    locked.save()
    return locked


@transaction.atomic
def campaign_unschedule(*, shop, campaign: Campaign) -> Campaign:
    """Back to a draft (nothing was sent)."""
    locked = Campaign.objects.select_for_update().get(shop=shop, pk=campaign.pk)
    if locked.status != Campaign.Status.SCHEDULED:
        raise ValidationError(_("This campaign is not scheduled."))
    locked.status, locked.scheduled_at, locked.updated_at = Campaign.Status.DRAFT, None, timezone.now()
    locked.save()
    return locked


def campaign_cancellable(campaign: Campaign, queued: int) -> bool:
    if campaign.status in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING):
        return True
    return campaign.status == Campaign.Status.SENT and queued > 0


@transaction.atomic
def campaign_cancel(*, shop, campaign: Campaign) -> int:
    """Stop a scheduled or sending campaign: what has not left yet never will (messages already with the
    provider cannot be called back). Returns how many messages were held back."""
    locked = Campaign.objects.select_for_update().get(shop=shop, pk=campaign.pk)
    queued = _campaign_messages(shop, locked).filter(status=OutboundMessage.Status.QUEUED)
    if not campaign_cancellable(locked, queued.count()):
        raise ValidationError(_("Nothing is left to cancel: the campaign is not sending."))
    held = queued.update(status=OutboundMessage.Status.CANCELLED, updated_at=timezone.now())
    locked.status, locked.cancelled_at, locked.updated_at = (
        Campaign.Status.CANCELLED,
        timezone.now(),
        timezone.now(),
    )
    locked.save()
    return held


def _campaign_messages(shop, campaign: Campaign) -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(shop=shop, source=campaign.source_key)


def window_note(shop, campaign: Campaign, at: dt.datetime | None = None) -> str:
    """For texts: when they will really go if `at` (default: now) is outside the shop's send window."""
    if not channel_of(campaign.channel).waits_for_window():
        return ""
    opening = windows.next_opening(shop, at)
    if opening is None:
        return ""
    when = formats.date_format(timezone.localtime(opening, shop.tzinfo), "SHORT_DATETIME_FORMAT")
    return _("Texts may go only within the shop's hours for texts: they will wait until %(when)s.") % {
        "when": when
    }


# --- previews and tests -------------------------------------------------------------------------------


def rendered_for(shop, campaign: Campaign, person: content.Person):
    """The message one person would get (links shown as they will be made for them)."""
    body = content.shop_name_put(shop, campaign.body)
    subject = content.shop_name_put(shop, campaign.subject)
    if campaign.channel == Channel.SMS:
        rendered = render.marketing_sms(shop, text=content.personalise(body, person))
    else:
        rendered = render.marketing_email(
            shop,
            subject=content.personalise(subject, person),
            text=content.personalise(content.email_text(body), person),
            html=content.personalise(content.email_html(body), person, html=True),
        )
    return rendered


def preview_people(*, shop, campaign: Campaign, limit: int = 20) -> list[Customer]:
    """Customers the admin may preview the message as: the first eligible ones of its audience."""
    # The split of the audience's first customers only: the page must not wait for the whole shop's.
    first = audience_queryset(shop=shop, campaign=campaign).order_by("pk").values_list("pk", flat=True)[:500]
    sample = Customer.objects.filter(shop=shop, pk__in=list(first))
    rows = []
    for row in marketing.audience_rows(shop=shop, channel=campaign.channel, audience=sample):
        if row.reason == marketing.ELIGIBLE:
            rows.append(row.customer_id)
            if len(rows) >= limit:
                break
    found = Customer.objects.filter(shop=shop, pk__in=rows).prefetch_related("pets")
    return sorted(found, key=lambda c: (c.last_name_key, c.first_name_key, c.pk))


def recipients_first(*, shop, campaign: Campaign, limit: int = 20) -> list[Customer]:
    """The first customers the campaign was written to (to preview it as they got it)."""
    ids = _campaign_messages(shop, campaign).order_by("written_for")
    ids = list(ids.values_list("customer_id", flat=True)[:limit])
    found = Customer.objects.filter(shop=shop, pk__in=ids).prefetch_related("pets")
    return sorted(found, key=lambda c: (c.last_name_key, c.first_name_key, c.pk))


def preview_customer(*, shop, pk: int) -> Customer | None:
    """A customer of `shop` to preview as (None for another shop's or an unknown id)."""
    return Customer.objects.filter(shop=shop, pk=pk).prefetch_related("pets").first()


@transaction.atomic
def campaign_test_send(*, shop, by, campaign: Campaign, person=None) -> OutboundMessage:
    """One copy to the admin who asks: by email to their own address, or by text to their own confirmed
    mobile phone (`messaging.staff_phone`), nobody else. Marked a test, sent at once (no send window), never
    counted in the campaign's results; `CAMPAIGN_TESTS_PER_HOUR` per shop. Raises ValidationError (key
    `phone` for a text) when it may not go."""
    if campaign.channel == Channel.SMS:
        recipient = by.mobile_phone if by.mobile_phone_confirmed_at else ""
        if not recipient:
            raise ValidationError({"phone": _("Confirm your mobile phone first: tests go to it only.")})
        refusal = bill.destination_refusal(recipient, shop)
        if refusal:
            raise ValidationError({"phone": refusal})
    else:
        recipient = by.email
    if not ratelimit.hit("campaign-test", str(shop.pk), limit=settings.CAMPAIGN_TESTS_PER_HOUR, window=3600):
        raise ValidationError(
            _("%(n)s tests were sent this hour: send the next one later.")
            % {"n": settings.CAMPAIGN_TESTS_PER_HOUR}
        )
    if person is None:
        first, _sep, last = (getattr(by, "full_name", "") or "").partition(" ")
        person = content.Person(first_name=first, last_name=last)
    rendered = rendered_for(shop, campaign, person)
    note = _("[test: each customer gets their own link here]")
    for mark in (UNSUBSCRIBE_LINK, PREFERENCES_LINK):
        rendered.text = rendered.text.replace(mark, note)
        rendered.html = rendered.html.replace(mark, "#")
    if campaign.channel == Channel.EMAIL:
        rendered.subject = _("[Test] %(subject)s") % {"subject": rendered.subject}
    return message_queue(
        shop=shop,
        customer=None,
        channel=campaign.channel,
        kind=OutboundMessage.Kind.CAMPAIGN_TEST,
        recipient=recipient,
        rendered=rendered,
        by=by,
    )


# --- results ------------------------------------------------------------------------------------------

RESULT_STATUSES = {
    # shown as: the outbox statuses it counts
    "queued": (OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING),
    # Everything that left: sent, and what the provider said of it since.
    "sent": (
        OutboundMessage.Status.SENT,
        OutboundMessage.Status.DELIVERED,
        OutboundMessage.Status.BOUNCED,
        OutboundMessage.Status.DEFERRED,
    ),
    "delivered": (OutboundMessage.Status.DELIVERED,),
    "bounced": (OutboundMessage.Status.BOUNCED, OutboundMessage.Status.DEFERRED),
    "failed": (OutboundMessage.Status.FAILED,),
    "held": (OutboundMessage.Status.SUPPRESSED,),
    "cancelled": (OutboundMessage.Status.CANCELLED,),
    "unknown": (OutboundMessage.Status.UNKNOWN,),
}
# A sending campaign whose waiting messages have not moved for this long is said to be stalled.
STALLED_AFTER = dt.timedelta(minutes=2)


def campaign_results(*, shop, campaign: Campaign) -> dict[str, int]:
    """Per campaign: its messages by what became of them, and how many recipients unsubscribed (or
    replied STOP, or complained) on its channel since it started."""
    counts = dict(
        _campaign_messages(shop, campaign)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    results = {key: sum(counts.get(s, 0) for s in statuses) for key, statuses in RESULT_STATUSES.items()}
    results["total"] = sum(counts.values())
    opted_out = 0
    if campaign.started_at is not None:
        opted_out = (
            ConsentEvent.objects.filter(
                shop=shop,
                channel=campaign.channel,
                purpose=consent.MARKETING,
                action__in=[ConsentEvent.Action.WITHDRAWN, ConsentEvent.Action.COMPLAINED],
                at__gte=campaign.started_at,
                customer_id__in=_campaign_messages(shop, campaign).values("customer_id"),
            )
            .values("customer_id")
            .distinct()
            .count()
        )
    results["opted_out"] = opted_out
    results["stalled_since"] = _stalled_since(shop, campaign) if results["queued"] else None
    return results


def _stalled_since(shop, campaign: Campaign) -> dt.datetime | None:
    """When its waiting messages last moved, if that is over STALLED_AFTER ago and none of them waits for a
    time of its own (the send window, a cap): the workers or the provider are down, and the sweeper will
    publish them again."""
    from django.db.models import Max, Q

    now = timezone.now()
    moving = _campaign_messages(shop, campaign).aggregate(
        last=Max("updated_at"),
        later=Count("pk", filter=Q(status=OutboundMessage.Status.QUEUED, not_before__gt=now)),
    )
    if moving["later"] or moving["last"] is None or moving["last"] > now - STALLED_AFTER:
        return None
    return moving["last"]


@transaction.atomic
def campaign_retry_failed(*, shop, campaign: Campaign) -> int:
    """Send again the campaign's messages that really failed (the provider refused them or kept failing):
    not those that may have gone (UNKNOWN), were held back or cancelled. Each goes back to the queue with
    its attempts reset, published on the bulk queue once this commits. Returns how many."""
    now = timezone.now()
    failed = _campaign_messages(shop, campaign).filter(status=OutboundMessage.Status.FAILED)
    ids = list(failed.values_list("pk", flat=True))
    OutboundMessage.objects.filter(shop=shop, pk__in=ids).update(
        status=OutboundMessage.Status.QUEUED, attempts=0, last_error="", handover_at=None, updated_at=now
    )
    if ids:
        transaction.on_commit(lambda: outbox.message_publish([(pk, shop.pk) for pk in ids], bulk=True))
    return len(ids)
