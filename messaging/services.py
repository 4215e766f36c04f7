"""Consent and messages. Every consent change goes through here and appends a ConsentEvent; every message
is an outbox row written in the caller's transaction and published after commit."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging import outbox, render
from messaging.models import Channel, ConsentEvent, ErasureRequest, OutboundMessage, Suppression

RESEND_MIN_INTERVAL = timedelta(minutes=10)
RESEND_DAILY_CAP = 3


def _statuses():
    from customers.models import EmailStatus, SmsStatus

    return EmailStatus, SmsStatus


def _event(
    *,
    shop,
    customer,
    channel,
    action,
    source,
    by=None,
    wording="",
    wording_version="",
    detail="",
    ip=None,
    user_agent="",
):
    return ConsentEvent.objects.create(
        shop=shop,
        customer=customer,
        channel=channel,
        action=action,
        source=source,
        by=by,
        wording=wording,
        wording_version=wording_version,
        detail=detail[:200],
        ip_address=ip,
        user_agent=(user_agent or "")[:300],
    )


def _set_status(customer, **fields) -> None:
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save(update_fields=list(fields))


def consent_statuses_requested(customer, channels) -> dict[str, str]:
    """Set (without saving) the status fields a staff request on `channels` changes, and return them.

    A status of none becomes pending. A customer who confirmed stays confirmed, and one who withdrew stays
    withdrawn: only the customer's own action ever opts them (back) in.
    """
    EmailStatus, SmsStatus = _statuses()
    changes = {}
    if Channel.EMAIL in channels and customer.email_status == EmailStatus.NONE:
        changes["email_status"] = EmailStatus.PENDING
    if Channel.SMS in channels and customer.sms_status == SmsStatus.NONE:
        changes["sms_status"] = SmsStatus.PENDING
    for name, value in changes.items():
        setattr(customer, name, value)
    return changes


# savepoint=False: these only write, and raise only on a bug, when the caller's transaction fails anyway.
@transaction.atomic(savepoint=False)
def consent_requests_record(*, shop, customer, by, wordings: dict[str, str], wording_version: str = "v1"):
    """Staff asked the customer for consent (at the till) on each channel of `wordings` (channel → the text
    shown to the customer). One ledger event per channel, written in one statement; statuses as
    `consent_statuses_requested` (a caller that set them before inserting the customer saves an UPDATE)."""
    changes = consent_statuses_requested(customer, wordings)
    if changes:
        customer.save(update_fields=list(changes))
    return ConsentEvent.objects.bulk_create(
        [
            ConsentEvent(
                shop=shop,
                customer=customer,
                channel=channel,
                action=ConsentEvent.Action.REQUESTED,
                source=ConsentEvent.Source.TILL,
                by=by,
                wording=wording,
                wording_version=wording_version,
            )
            for channel, wording in wordings.items()
        ]
    )


def consent_request(*, shop, customer, channel: str, by, wording: str = "", wording_version: str = "v1"):
    """Staff asked the customer for consent on one channel; see `consent_requests_record`."""
    (event,) = consent_requests_record(
        shop=shop, customer=customer, by=by, wordings={channel: wording}, wording_version=wording_version
    )
    return event


def _outbound(*, shop, customer, channel, kind, recipient, rendered, by) -> OutboundMessage:
    now = timezone.now()
    headers = dict(rendered.headers)
    if channel == Channel.EMAIL and shop.contact_email:
        # Answers go to the shop, not to the platform's no-reply sender.
        headers.setdefault("Reply-To", shop.contact_email)
    return OutboundMessage(
        shop=shop,
        customer=customer,
        channel=channel,
        kind=kind,
        recipient=recipient,
        sender=outbox.sender_for(shop, channel),
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        headers=headers,
        by=by,
        created_at=now,
        updated_at=now,
    )


def _queue_one(**fields) -> OutboundMessage:
    message = _outbound(**fields)
    message.save(force_insert=True)
    return message


@transaction.atomic(savepoint=False)
def welcome_messages_queue(*, shop, customer, by, email: bool, sms: bool) -> list[OutboundMessage]:
    """Write the welcome email and/or the SMS opt-in text as outbox rows (one statement) in the current
    transaction; they are published to the workers only once it commits (a rollback leaves neither row nor
    task)."""
    messages = []
    if email and customer.email:
        messages.append(
            _outbound(
                shop=shop,
                customer=customer,
                channel=Channel.EMAIL,
                kind=OutboundMessage.Kind.WELCOME,
                recipient=customer.email,
                rendered=render.welcome_email(shop, customer),
                by=by,
            )
        )
    if sms and customer.phone:
        messages.append(
            _outbound(
                shop=shop,
                customer=customer,
                channel=Channel.SMS,
                kind=OutboundMessage.Kind.SMS_OPT_IN,
                recipient=str(customer.phone),
                rendered=render.sms_opt_in(shop, customer),
                by=by,
            )
        )
    if messages:
        messages = OutboundMessage.objects.bulk_create(messages)
    outbox.message_publish_on_commit([(m.pk, m.shop_id) for m in messages])
    return messages


@transaction.atomic
def message_resend(*, shop, customer, channel: str, by) -> OutboundMessage:
    """Send the welcome email or the SMS opt-in again, from the customer's popup (also its "Retry" after a
    failure). At most one per channel every 10 minutes and three a day, so a customer is never flooded;
    sends that failed or were held back never reached the customer and do not count."""
    EmailStatus, SmsStatus = _statuses()
    kind = OutboundMessage.Kind.WELCOME if channel == Channel.EMAIL else OutboundMessage.Kind.SMS_OPT_IN
    recent = OutboundMessage.objects.filter(shop=shop, customer=customer, channel=channel, kind=kind).exclude(
        status__in=[OutboundMessage.Status.FAILED, OutboundMessage.Status.SUPPRESSED]
    )
    now = timezone.now()
    if recent.filter(created_at__gte=now - RESEND_MIN_INTERVAL).exists():
        raise ValidationError(_("A message was sent less than 10 minutes ago. Please wait before resending."))
    if recent.filter(created_at__gte=now - timedelta(days=1)).count() >= RESEND_DAILY_CAP:
        raise ValidationError(_("This message was already sent three times today."))
    if channel == Channel.EMAIL:
        if not customer.email:
            raise ValidationError(_("There is no email address to send to."))
        if customer.email_status in (EmailStatus.UNSUBSCRIBED, EmailStatus.BOUNCED):
            raise ValidationError(_("This customer unsubscribed or their address bounces: no email is sent."))
    else:
        if not customer.phone:
            raise ValidationError(_("There is no mobile phone to send to."))
        if customer.sms_status == SmsStatus.OPTED_OUT:
            raise ValidationError(_("This customer opted out of texts: only they can opt back in."))
    consent_request(shop=shop, customer=customer, channel=channel, by=by)
    (message,) = welcome_messages_queue(
        shop=shop, customer=customer, by=by, email=channel == Channel.EMAIL, sms=channel == Channel.SMS
    )
    return message


@transaction.atomic
def email_verify(*, shop, customer, ip=None, user_agent="") -> bool:
    """The customer clicked their verify link and confirmed. Returns False if it was already verified."""
    EmailStatus, _sms = _statuses()
    if customer.email_status == EmailStatus.VERIFIED:
        return False
    _set_status(customer, email_status=EmailStatus.VERIFIED)
    _event(
        shop=shop,
        customer=customer,
        channel=Channel.EMAIL,
        action=ConsentEvent.Action.CONFIRMED,
        source=ConsentEvent.Source.CUSTOMER_LINK,
        detail="verify link",
        ip=ip,
        user_agent=user_agent,
    )
    return True


@transaction.atomic
def email_unsubscribe(
    *, shop, customer, source=ConsentEvent.Source.CUSTOMER_LINK, detail="", ip=None, user_agent=""
) -> bool:
    """Stop emails to this customer. Idempotent: returns False when they were already unsubscribed."""
    EmailStatus, _sms = _statuses()
    if customer.email_status == EmailStatus.UNSUBSCRIBED:
        return False
    _set_status(customer, email_status=EmailStatus.UNSUBSCRIBED)
    _event(
        shop=shop,
        customer=customer,
        channel=Channel.EMAIL,
        action=ConsentEvent.Action.WITHDRAWN,
        source=source,
        detail=detail or "unsubscribe",
        ip=ip,
        user_agent=user_agent,
    )
    return True


@transaction.atomic
def email_resubscribe(*, shop, customer, ip=None, user_agent="") -> bool:
    """The customer opted back in from their preferences page (their own action)."""
    EmailStatus, _sms = _statuses()
    if customer.email_status in (EmailStatus.VERIFIED, EmailStatus.BOUNCED) or not customer.email:
        return False
    _set_status(customer, email_status=EmailStatus.VERIFIED)
    _event(
        shop=shop,
        customer=customer,
        channel=Channel.EMAIL,
        action=ConsentEvent.Action.CONFIRMED,
        source=ConsentEvent.Source.CUSTOMER_LINK,
        detail="preferences page",
        ip=ip,
        user_agent=user_agent,
    )
    return True


@transaction.atomic
def email_bounced(*, shop, customer, address: str, complaint: bool, detail="") -> None:
    """A hard bounce or a complaint: the address is suppressed, so later sends make no provider call."""
    EmailStatus, _sms = _statuses()
    Suppression.objects.get_or_create(
        shop=shop,
        channel=Channel.EMAIL,
        address=address.lower(),
        defaults={"reason": "complaint" if complaint else "bounce"},
    )
    if customer is None:
        return
    status = EmailStatus.UNSUBSCRIBED if complaint else EmailStatus.BOUNCED
    if customer.email_status != status:
        _set_status(customer, email_status=status)
    _event(
        shop=shop,
        customer=customer,
        channel=Channel.EMAIL,
        action=ConsentEvent.Action.COMPLAINED if complaint else ConsentEvent.Action.BOUNCED,
        source=ConsentEvent.Source.WEBHOOK,
        detail=detail,
    )


@transaction.atomic
def sms_confirm(*, shop, customer, source, detail="", ip=None, user_agent="") -> bool:
    """The customer confirmed texts (YES/OUI reply or the link). Returns False if already opted in."""
    _email, SmsStatus = _statuses()
    if customer.sms_status == SmsStatus.OPTED_IN:
        return False
    _set_status(customer, sms_status=SmsStatus.OPTED_IN)
    Suppression.objects.filter(shop=shop, channel=Channel.SMS, address=str(customer.phone)).delete()
    _event(
        shop=shop,
        customer=customer,
        channel=Channel.SMS,
        action=ConsentEvent.Action.CONFIRMED,
        source=source,
        detail=detail,
        ip=ip,
        user_agent=user_agent,
    )
    return True


@transaction.atomic
def sms_opt_out(*, shop, customer, source, detail="", ip=None, user_agent="") -> bool:
    """Stop texts at once (STOP reply, preferences page). Idempotent."""
    _email, SmsStatus = _statuses()
    if customer.sms_status == SmsStatus.OPTED_OUT:
        return False
    _set_status(customer, sms_status=SmsStatus.OPTED_OUT)
    _event(
        shop=shop,
        customer=customer,
        channel=Channel.SMS,
        action=ConsentEvent.Action.WITHDRAWN,
        source=source,
        detail=detail,
        ip=ip,
        user_agent=user_agent,
    )
    return True


@transaction.atomic
def sms_help_queue(*, shop, customer, phone: str) -> OutboundMessage:
    """The answer to HELP, from `shop` (the one that texted the number last)."""
    return _reply_queue(shop=shop, customer=customer, phone=phone, rendered=render.sms_help(shop))


def sms_which_shop_queue(*, shop, customer, phone: str) -> OutboundMessage:
    """A YES that several shops wait for: the customer is asked to answer through each shop's link."""
    return _reply_queue(shop=shop, customer=customer, phone=phone, rendered=render.sms_which_shop(shop))


def _reply_queue(*, shop, customer, phone: str, rendered) -> OutboundMessage:
    message = _queue_one(
        shop=shop,
        customer=customer,
        channel=Channel.SMS,
        kind=OutboundMessage.Kind.SMS_HELP,
        recipient=phone,
        rendered=rendered,
        by=None,
    )
    outbox.message_publish_on_commit([(message.pk, message.shop_id)])
    return message


@transaction.atomic
def erasure_request_create(*, shop, customer) -> ErasureRequest:
    """The customer asked for their data to be erased; the shop's admin sees and handles it."""
    existing = ErasureRequest.objects.filter(shop=shop, customer=customer, handled_at__isnull=True).first()
    return existing or ErasureRequest.objects.create(shop=shop, customer=customer)


@transaction.atomic
def erasure_request_handle(*, shop, request_id: int) -> ErasureRequest:
    """The admin dealt with the request (erased or answered the customer); it leaves the pending list."""
    erasure = ErasureRequest.objects.select_for_update().get(shop=shop, pk=request_id)
    if erasure.handled_at is None:
        erasure.handled_at = timezone.now()
        erasure.save(update_fields=["handled_at"])
    return erasure


@transaction.atomic
def staff_invitation_queue(*, shop, membership, by) -> OutboundMessage:
    """Queue a staff invitation email through the outbox (sent by a worker after commit), in the current
    transaction, in `shop`. Its link is made when it is sent (see `shopcrm.invitations`)."""
    message = _outbound(
        shop=shop,
        customer=None,
        channel=Channel.EMAIL,
        kind=OutboundMessage.Kind.STAFF_INVITE,
        recipient=membership.user.email,
        rendered=render.staff_invitation(shop, membership, invited_by=by),
        by=by,
    )
    message.staff_membership = membership
    message.save(force_insert=True)
    outbox.message_publish_on_commit([(message.pk, message.shop_id)])
    return message
