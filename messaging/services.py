"""Messages: every one is an outbox row written in the caller's transaction and published after commit.
Consent itself (states, transitions, ledger, suppression, asking for it) is `messaging.consent`."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging import channels, consent, outbox, render
from messaging.consent.asking import consent_ask
from messaging.models import Channel, ErasureRequest, OutboundMessage
from shopcrm import ratelimit

RESEND_MIN_INTERVAL = timedelta(minutes=10)
RESEND_DAILY_CAP = 3


def message_queue(**fields) -> OutboundMessage:
    """One outbox row (shop, customer, channel, kind, recipient, rendered, by), written in the current
    transaction and published once it commits."""
    message = outbox.message_new(**fields)
    message.save(force_insert=True)
    outbox.message_publish_on_commit([(message.pk, message.shop_id)])
    return message


@transaction.atomic
def message_resend(*, shop, customer, channel: str, by) -> OutboundMessage:
    """Send the welcome email or the SMS opt-in again, from the customer's popup (also its "Retry" after a
    failure). At most one per channel every 10 minutes and three a day, so a customer is never flooded;
    sends that failed or were held back never reached the customer and do not count. An address that
    opted out, unsubscribed or bounces is never asked again by staff."""
    refusal = consent.request_refusal(shop=shop, customer=customer, channel=channel)
    if refusal:
        raise ValidationError(refusal)
    kind = channels.channel_of(channel).request_kind
    recent = OutboundMessage.objects.filter(shop=shop, customer=customer, channel=channel, kind=kind).exclude(
        status__in=[OutboundMessage.Status.FAILED, OutboundMessage.Status.SUPPRESSED]
    )
    now = timezone.now()
    if recent.filter(created_at__gte=now - RESEND_MIN_INTERVAL).exists():
        raise ValidationError(_("A message was sent less than 10 minutes ago. Please wait before resending."))
    if recent.filter(created_at__gte=now - timedelta(days=1)).count() >= RESEND_DAILY_CAP:
        raise ValidationError(_("This message was already sent three times today."))
    (message,) = consent_ask(
        shop=shop, customer=customer, by=by, channel_codes=[channel], refusals_checked=True
    )
    return message


# Answers to texts anybody can send (HELP, an ambiguous YES): a few an hour per number, so that a stranger
# texting HELP in a loop does not make the platform pay for as many answers.
ANSWERS_AN_HOUR = 3


@transaction.atomic
def sms_help_queue(*, shop, customer, phone: str) -> OutboundMessage | None:
    """The answer to HELP, from `shop` (the one that texted the number last); None past the hour's few."""
    if not ratelimit.hit("sms-answer", phone, limit=ANSWERS_AN_HOUR, window=3600):
        return None
    return _reply_queue(shop=shop, customer=customer, phone=phone, rendered=render.sms_help(shop))


def sms_stopped_queue(*, shop, customer, phone: str, several: bool) -> OutboundMessage:
    """The one confirmation that a STOP was heard (from the shop that texted the number last)."""
    return _reply_queue(
        shop=shop,
        customer=customer,
        phone=phone,
        rendered=render.sms_stopped(shop, several=several),
        kind=OutboundMessage.Kind.SMS_STOPPED,
    )


def sms_which_shop_queue(*, shop, customer, phone: str) -> OutboundMessage | None:
    """A YES that several shops wait for: the customer is asked to answer through each shop's link (a few
    an hour per number)."""
    if not ratelimit.hit("sms-answer", phone, limit=ANSWERS_AN_HOUR, window=3600):
        return None
    return _reply_queue(shop=shop, customer=customer, phone=phone, rendered=render.sms_which_shop(shop))


def _reply_queue(
    *, shop, customer, phone: str, rendered, kind=OutboundMessage.Kind.SMS_HELP
) -> OutboundMessage:
    return message_queue(
        shop=shop,
        customer=customer,
        channel=Channel.SMS,
        kind=kind,
        recipient=phone,
        rendered=rendered,
        by=None,
    )


def order_ready_queue(*, shop, customer, by, channel: str, reference: str, what: str = "") -> OutboundMessage:
    """The "order ready" service message to `customer` on `channel`, as an outbox row of the current
    transaction (the caller, campaigns.notices, decided the channel may carry it)."""
    return message_queue(
        shop=shop,
        customer=customer,
        channel=channel,
        kind=OutboundMessage.Kind.ORDER_READY,
        recipient=channels.channel_of(channel).address(customer),
        rendered=render.order_ready(shop, customer, channel, reference=reference, what=what),
        by=by,
    )


# A link to one's data, to one address, a day (whoever presses the button: the page is reached by a link,
# which may have been forwarded).
DATA_COPIES_A_DAY = 5


@transaction.atomic
def data_copy_send(*, shop, customer) -> OutboundMessage | None:
    """The customer asked, from their preferences page, for a copy of their data: a fresh link goes to
    their email address. At most one every 10 minutes (a second press sends nothing new)."""
    if not customer.email:
        raise ValidationError(_("There is no email address to send the link to."))
    recent = OutboundMessage.objects.filter(
        shop=shop,
        customer=customer,
        kind=OutboundMessage.Kind.DATA_COPY,
        created_at__gte=timezone.now() - RESEND_MIN_INTERVAL,
    )
    if recent.exists():
        return None
    if not ratelimit.hit("data-copy", customer.email, limit=DATA_COPIES_A_DAY, window=86400):
        return None
    return message_queue(
        shop=shop,
        customer=customer,
        channel=Channel.EMAIL,
        kind=OutboundMessage.Kind.DATA_COPY,
        recipient=customer.email,
        rendered=render.data_copy(shop, customer),
        by=None,
    )


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
    message = outbox.message_new(
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
