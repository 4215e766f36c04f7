"""Consent: its states, the only transitions between them, the ledger that proves each one, and the
suppression list that no edit can clear.

The customer's `email_status` / `sms_status` are a cached summary of what this module decided; the truth
is the ledger (`ConsentEvent`, append-only) and the suppression list (`Suppression`, per shop, channel and
normalised address). An opt-out is written to both, so changing a phone or an email and putting it back
finds the opt-out again, and so does a re-import or a re-creation of the same person.

Who may move which way:
- staff (till, resend) may only *ask*: none → pending;
- the customer (link, reply, preferences page) confirms and withdraws, and only the customer lifts their
  own opt-out;
- providers (bounces, complaints) withdraw;
- a changed address starts from that address's own state, and the change is a ledger event.

Addresses are kept hashed (HMAC keyed by CONSENT_HASH_KEY, salted with the shop) next to the plain value;
erasure blanks the plain value and the hash keeps doing its work. The list itself, and the hashing, are
`messaging.consent.suppression`; what each channel's statuses mean is its entry in `messaging.channels`.
"""

from __future__ import annotations

from django.db import transaction

from messaging import channels as registry
from messaging.consent import wording
from messaging.consent.states import EmailStatus, SmsStatus
from messaging.consent.suppression import (
    MARKETING,
    SERVICE,
    address_hash,
    address_normal,
    suppression_add,
    suppression_reason,
    suppression_reasons,
)
from messaging.models import MARKETING_KINDS, Channel, ConsentEvent, OutboundMessage, Suppression

Reason = Suppression.Reason


def _address(customer, channel: str):
    return getattr(customer, registry.channel_of(channel).address_field)


def _suppression_lift(*, shop, channel: str, address) -> None:
    Suppression.objects.filter(
        shop=shop,
        channel=channel,
        address_hash=address_hash(shop.pk, channel, address),
        reason__in=registry.channel_of(channel).lifted_by_customer,
    ).delete()


def status_of_suppressed(channel: str, reason: str | None) -> str | None:
    """The status an address starts from when it is suppressed for `reason` (None when it is not)."""
    return None if reason is None else registry.channel_of(channel).status_of_suppressed(reason)


# --- the ledger ----------------------------------------------------------------------------------------


def _event(*, shop, customer, channel, action, source, detail="", ip=None, user_agent="", **more):
    return ConsentEvent(
        shop=shop,
        customer=customer,
        channel=channel,
        action=action,
        source=source,
        address_hash=address_hash(shop.pk, channel, _address(customer, channel)),
        detail=detail[:200],
        ip_address=ip,
        user_agent=(user_agent or "")[:300],
        **more,
    )


def _set_status(customer, **fields) -> None:
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save(update_fields=list(fields))


def _status_field(channel: str) -> str:
    return registry.channel_of(channel).status_field


# --- what staff may do: ask ----------------------------------------------------------------------------


def statuses_requested(customer, channels) -> dict[str, str]:
    """Set (without saving) the status fields a staff request on `channels` changes, and return them.

    A status of none becomes pending. A customer who confirmed stays confirmed, and one who withdrew stays
    withdrawn: only the customer's own action ever opts them (back) in.
    """
    changes = {}
    for code in channels:
        channel = registry.channel_of(code)
        if channel.status(customer) == channel.status_none:
            changes[channel.status_field] = channel.status_pending
    for name, value in changes.items():
        setattr(customer, name, value)
    return changes


def request_refusal(*, shop, customer, channel: str) -> str | None:
    """Why staff may not ask this customer for consent on `channel` now (None: they may): the channel's
    own refusal (no address, withdrawn, the bill), or the address's suppression."""
    entry = registry.channel_of(channel)
    refusal = entry.request_refusal(shop, customer)
    if refusal:
        return refusal
    if suppression_reason(shop=shop, channel=channel, address=entry.address(customer)):
        return entry.refused_message()
    return None


# savepoint=False: these only write, and raise only on a bug, when the caller's transaction fails anyway.
@transaction.atomic(savepoint=False)
def requests_record(
    *, shop, customer, by, channels, messages=(), purpose=wording.MARKETING
) -> list[ConsentEvent]:
    """Staff asked the customer for consent (at the till, or by resending) on each of `channels`. One ledger
    event per channel, written in one statement, with the catalogue's current sentence and version (the
    one the till showed and the message says), each linked to the message of its channel in `messages`;
    statuses as `statuses_requested` (a caller that set them before inserting the customer saves an
    UPDATE)."""
    changes = statuses_requested(customer, channels)
    if changes:
        customer.save(update_fields=list(changes))
    by_channel = {m.channel: m for m in messages}
    events = []
    for channel in channels:
        said = wording.current(channel, purpose)
        events.append(
            _event(
                shop=shop,
                customer=customer,
                channel=channel,
                action=ConsentEvent.Action.REQUESTED,
                source=ConsentEvent.Source.TILL,
                by=by,
                purpose=purpose,
                wording=said.text(shop),
                wording_version=said.version,
                message=by_channel.get(channel),
            )
        )
    return ConsentEvent.objects.bulk_create(events)


def words_agreed(shop, customer, channel: str) -> dict:
    """What a customer who confirms on `channel` agreed to: the sentence and version of the last request
    they were sent there (its message said it), else the current one; and that message."""
    asked = (
        ConsentEvent.objects.filter(
            shop=shop, customer=customer, channel=channel, action=ConsentEvent.Action.REQUESTED
        )
        .exclude(wording_version="")
        .order_by("-at", "-pk")
        .first()
    )
    if asked is not None:
        return {
            "wording": asked.wording,
            "wording_version": asked.wording_version,
            "message_id": asked.message_id,
        }
    said = wording.current(channel)
    return {"wording": said.text(shop), "wording_version": said.version}


# --- contact changes -----------------------------------------------------------------------------------


def statuses_for_new_customer(*, shop, customer) -> dict[str, str]:
    """A customer about to be created starts from their addresses' own state: a number that replied STOP
    to this shop, or an address that unsubscribed or bounces, stays so (set, not saved). Returns the
    suppressed channels and why."""
    reasons = suppression_reasons(
        shop=shop, addresses={c.code: c.address(customer) for c in registry.channels()}
    )
    for channel, reason in reasons.items():
        setattr(customer, _status_field(channel), status_of_suppressed(channel, reason))
    return reasons


def contact_changed(*, shop, customer, by, channels) -> list[ConsentEvent]:
    """The customer's address changed on `channels` (already set on `customer`, not yet saved): each new
    address starts from its own state (suppressed, else no consent yet), never from the old address's.
    Returns the ledger events recording every status that moved, to be saved once the customer is."""
    events = []
    reasons = suppression_reasons(shop=shop, addresses={ch: _address(customer, ch) for ch in channels})
    for channel in channels:
        field = _status_field(channel)
        before = getattr(customer, field)
        reason = reasons.get(channel)
        after = status_of_suppressed(channel, reason) or registry.channel_of(channel).status_none
        if after == before:
            continue
        setattr(customer, field, after)
        events.append(
            _event(
                shop=shop,
                customer=customer,
                channel=channel,
                action=ConsentEvent.Action.ADDRESS_CHANGED,
                source=ConsentEvent.Source.STAFF_EDIT,
                by=by,
                detail=f"{before} → {after}" + (f" (suppressed: {reason})" if reason else ""),
            )
        )
    return events


def events_save(events: list[ConsentEvent]) -> None:
    if events:
        ConsentEvent.objects.bulk_create(events)


# --- what the customer does ----------------------------------------------------------------------------


def _customer_moves(*, shop, customer, channel, status, action, source, detail, ip, user_agent) -> None:
    """The customer's own move on `channel`: status, the suppression list, and its ledger event."""
    _set_status(customer, **{_status_field(channel): status})
    address = _address(customer, channel)
    agreed = {}
    if action == ConsentEvent.Action.CONFIRMED:
        _suppression_lift(shop=shop, channel=channel, address=address)
        agreed = words_agreed(shop, customer, channel)
    _event(
        shop=shop,
        customer=customer,
        channel=channel,
        action=action,
        source=source,
        detail=detail,
        ip=ip,
        user_agent=user_agent,
        **agreed,
    ).save()


def _suppress_own(shop, customer, channel: str, reason: str) -> None:
    address = _address(customer, channel)
    if address:
        suppression_add(shop=shop, channel=channel, address=address, reason=reason)


@transaction.atomic
def email_verify(*, shop, customer, ip=None, user_agent="") -> bool:
    """The customer clicked their verify link and confirmed. Returns False if it was already verified."""
    if customer.email_status == EmailStatus.VERIFIED:
        return False
    _customer_moves(
        shop=shop,
        customer=customer,
        channel=Channel.EMAIL,
        status=EmailStatus.VERIFIED,
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
    """Stop emails to this customer and this address, for good. Idempotent: returns False when they were
    already unsubscribed (the suppression is written either way)."""
    _suppress_own(shop, customer, Channel.EMAIL, Reason.UNSUBSCRIBE)
    if customer.email_status == EmailStatus.UNSUBSCRIBED:
        return False
    _customer_moves(
        shop=shop,
        customer=customer,
        channel=Channel.EMAIL,
        status=EmailStatus.UNSUBSCRIBED,
        action=ConsentEvent.Action.WITHDRAWN,
        source=source,
        detail=detail or "unsubscribe",
        ip=ip,
        user_agent=user_agent,
    )
    return True


@transaction.atomic
def email_resubscribe(*, shop, customer, ip=None, user_agent="") -> bool:
    """The customer opted back in from their preferences page (their own action). A bouncing address
    stays suppressed."""
    if customer.email_status in (EmailStatus.VERIFIED, EmailStatus.BOUNCED) or not customer.email:
        return False
    if suppression_reason(shop=shop, channel=Channel.EMAIL, address=customer.email) in (
        Reason.BOUNCE,
        Reason.SOFT_BOUNCES,
    ):
        return False
    _customer_moves(
        shop=shop,
        customer=customer,
        channel=Channel.EMAIL,
        status=EmailStatus.VERIFIED,
        action=ConsentEvent.Action.CONFIRMED,
        source=ConsentEvent.Source.CUSTOMER_LINK,
        detail="preferences page",
        ip=ip,
        user_agent=user_agent,
    )
    return True


@transaction.atomic
def sms_confirm(*, shop, customer, source, detail="", ip=None, user_agent="") -> bool:
    """The customer confirmed texts (YES/START reply, the link, the preferences page): their own opt-in,
    which also lifts their own earlier STOP. Returns False if already opted in."""
    if customer.sms_status == SmsStatus.OPTED_IN:
        return False
    _customer_moves(
        shop=shop,
        customer=customer,
        channel=Channel.SMS,
        status=SmsStatus.OPTED_IN,
        action=ConsentEvent.Action.CONFIRMED,
        source=source,
        detail=detail,
        ip=ip,
        user_agent=user_agent,
    )
    return True


@transaction.atomic
def sms_opt_out(*, shop, customer, source, detail="", ip=None, user_agent="") -> bool:
    """Stop texts to this number at once and for good (STOP reply, preferences page). Idempotent: returns
    False when already opted out (the suppression is written either way)."""
    _suppress_own(shop, customer, Channel.SMS, Reason.STOP)
    if customer.sms_status == SmsStatus.OPTED_OUT:
        return False
    _customer_moves(
        shop=shop,
        customer=customer,
        channel=Channel.SMS,
        status=SmsStatus.OPTED_OUT,
        action=ConsentEvent.Action.WITHDRAWN,
        source=source,
        detail=detail,
        ip=ip,
        user_agent=user_agent,
    )
    return True


def service_allowed(*, shop, customer, channel: str) -> bool:
    """Whether a service message (order ready, appointment) may go to the customer on `channel`: they have
    an address there, and neither turned service messages off nor stopped, complained, bounced or were
    erased. Marketing consent does not matter."""
    address = _address(customer, channel)
    return (
        bool(address)
        and suppression_reason(shop=shop, channel=channel, address=address, purpose=SERVICE) is None
    )


def _service_event(shop, customer, channel, action, detail, ip, user_agent):
    said = wording.current(channel, SERVICE)
    _event(
        shop=shop,
        customer=customer,
        channel=channel,
        action=action,
        source=ConsentEvent.Source.CUSTOMER_LINK,
        purpose=SERVICE,
        wording=said.text(shop),
        wording_version=said.version,
        detail=detail,
        ip=ip,
        user_agent=user_agent,
    ).save()


@transaction.atomic
def service_opt_out(
    *, shop, customer, channel: str, detail="preferences page", ip=None, user_agent=""
) -> bool:
    """The customer turns off service messages on `channel` (their marketing consent is unchanged)."""
    address = _address(customer, channel)
    if not address or not service_allowed(shop=shop, customer=customer, channel=channel):
        return False
    suppression_add(shop=shop, channel=channel, address=address, reason=Reason.SERVICE_OFF)
    _service_event(shop, customer, channel, ConsentEvent.Action.WITHDRAWN, detail, ip, user_agent)
    return True


@transaction.atomic
def service_opt_in(
    *, shop, customer, channel: str, detail="preferences page", ip=None, user_agent=""
) -> bool:
    """The customer turns service messages back on (only their own "off" is lifted, never a STOP or a
    bounce)."""
    address = _address(customer, channel)
    digest = address_hash(shop.pk, channel, address)
    gone, _n = Suppression.objects.filter(
        shop=shop, channel=channel, address_hash=digest, reason=Reason.SERVICE_OFF
    ).delete()
    if not gone:
        return False
    _service_event(shop, customer, channel, ConsentEvent.Action.CONFIRMED, detail, ip, user_agent)
    return True


# --- what providers report -----------------------------------------------------------------------------


@transaction.atomic
def email_bounced(*, shop, customer, address: str, complaint: bool, soft: bool = False, detail="") -> None:
    """A hard bounce, soft bounces in a row, or a complaint: the address is suppressed, so later sends make
    no provider call. The customer's status moves only if the address is still theirs."""
    reason = Reason.COMPLAINT if complaint else (Reason.SOFT_BOUNCES if soft else Reason.BOUNCE)
    suppression_add(shop=shop, channel=Channel.EMAIL, address=address, reason=reason)
    if customer is None or address_normal(Channel.EMAIL, customer.email) != address_normal(
        Channel.EMAIL, address
    ):
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
    ).save()


# --- at send time --------------------------------------------------------------------------------------

# Answers to the person's own request (HELP, an erasure, a copy of their data): they go even to an address
# that opted out, unless it cannot receive them.
_ANSWERS = {
    OutboundMessage.Kind.SMS_HELP,
    OutboundMessage.Kind.SMS_STOPPED,
    OutboundMessage.Kind.ERASURE_DONE,
    OutboundMessage.Kind.DATA_COPY,
}
_UNREACHABLE = {Reason.BOUNCE, Reason.SOFT_BOUNCES}
# Kinds that ask for or rely on consent; a reply to the customer's own text (HELP) and staff mail do not.
_CONSENT_KINDS = {OutboundMessage.Kind.WELCOME, OutboundMessage.Kind.SMS_OPT_IN, *MARKETING_KINDS}

# The ledger actions that give it.
CONSENT_ACTIONS = (ConsentEvent.Action.CONFIRMED, ConsentEvent.Action.IMPORTED)


def purpose_of(message: OutboundMessage) -> str:
    """Which consent a message depends on: marketing (and consent requests) or service."""
    return SERVICE if message.category == OutboundMessage.Category.TRANSACTIONAL else MARKETING


def send_refusal(message: OutboundMessage, *, suppressed: str | None, customer) -> str | None:
    """Why a queued message must not go now (None: it may), decided inside the worker's locking
    transaction: its address is suppressed, the customer withdrew since it was queued, or the customer's
    address is no longer the one it was written to."""
    if suppressed and not (message.kind in _ANSWERS and suppressed not in _UNREACHABLE):
        return f"suppressed: {suppressed}"
    if message.kind not in _CONSENT_KINDS or customer is None:
        return None
    entry = registry.channel_of(message.channel)
    current = entry.address(customer)
    if address_normal(message.channel, current) != address_normal(message.channel, message.recipient):
        return "the customer's address changed since this was queued"
    refusal = entry.refusal_to_send(message, customer)
    if refusal:
        return refusal
    if message.kind in MARKETING_KINDS and entry.status(customer) not in entry.consenting:
        return "no marketing consent any more"
    return None
