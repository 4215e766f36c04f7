"""The SMS channel's webhooks: Twilio inbound texts and status callbacks.

Providers know a phone number or a message id, not a shop, so finding the rows is cross-shop by nature
(logged); every change is then made inside the owning shop's context and appends a ConsentEvent.
"""

from __future__ import annotations

import itertools
import logging
import unicodedata

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from customers.models import Customer
from messaging import consent, services
from messaging.channels.webhook_events import first_time, message_by_provider_id
from messaging.consent import SmsStatus
from messaging.models import ConsentEvent, OutboundMessage
from messaging.sms.senders import is_service
from shopcrm.models import Shop
from shopcrm.tenancy import cross_shop, shop_context

logger = logging.getLogger(__name__)

# Replies are read as words (accents, case and punctuation ignored). Opting out is honoured whenever a short
# reply says so ("STOP", "Stop.", "STOP SMS", "opt out please"), or a long one starts with it; the other
# keywords count only as the first word of a short reply, and an opt-out word always wins.
STOP_WORDS = {
    "STOP", "STOPALL", "STOPSMS", "ARRET", "ARRETER", "ARRETEZ", "UNSUBSCRIBE", "END", "QUIT", "CANCEL",
    "REVOKE", "OPTOUT", "DESABONNER", "DESINSCRIRE", "DESINSCRIPTION", "DESABONNEMENT",
}  # fmt: skip
# The opt-out keywords Twilio handles itself (it confirms them and blocks further texts from the number).
PROVIDER_STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
STOP_PHRASES = {("OPT", "OUT"), ("SE", "DESABONNER")}
CONFIRM_WORDS = {"YES", "OUI", "Y", "O"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "AIDE", "INFO"}
SHORT_REPLY = 5


def keyword(body: str) -> str | None:
    """What a reply asks for: "stop", "confirm", "start", "help", or None."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", body) if not unicodedata.combining(c))
    words = "".join(c if c.isalnum() else " " for c in plain.upper()).split()
    if not words:
        return None
    short = len(words) <= SHORT_REPLY
    pairs = set(itertools.pairwise(words))
    if words[0] in STOP_WORDS or (short and (STOP_WORDS.intersection(words) or pairs & STOP_PHRASES)):
        return "stop"
    if len(words) > 3:
        return None
    for name, vocabulary in (("confirm", CONFIRM_WORDS), ("start", START_WORDS), ("help", HELP_WORDS)):
        if words[0] in vocabulary:
            return name
    return None


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _twilio_signature_ok(request) -> bool:
    """Validate X-Twilio-Signature against the public URL (SITE_URL), right behind a TLS-terminating proxy."""
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = settings.SITE_URL + request.get_full_path()
    return RequestValidator(token).validate(url, request.POST.dict(), signature)


def _posted(request, name: str) -> str:
    """A field of the provider's (already authenticated) POST, without NUL bytes: PostgreSQL cannot store
    or compare them, and a STOP must be read even when a gateway slipped one in."""
    return request.POST.get(name, "").replace("\x00", "")


def _twiml() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_inbound(request):
    """Replies to our texts: YES/OUI confirms, STOP… opts out at once, START opts back in, HELP answers."""
    if not _twilio_signature_ok(request):
        return HttpResponseForbidden()
    phone = _posted(request, "From").strip()
    body = " ".join(_posted(request, "Body").split())
    asked = keyword(body)
    if not phone or asked is None:
        return _twiml()
    to, service = _posted(request, "To").strip(), _posted(request, "MessagingServiceSid").strip()
    with cross_shop("twilio inbound: find the customers holding this phone and the shop texting from To"):
        holders = list(Customer.objects.filter(phone=phone).select_related("shop").order_by("pk"))
        owner = _sender_owner(service) or _sender_owner(to)
    holders = _answering(holders, owner)
    if not holders:
        return _twiml()
    with transaction.atomic():
        # Twilio retries a webhook it got no answer to: a reply is acted on once per MessageSid.
        if not first_time(holders[0].shop, "twilio-inbound", _posted(request, "MessageSid")):
            return _twiml()
        _act_on_reply(holders, asked, body[:100], phone)
    return _twiml()


def _sender_owner(sender: str) -> int | None:
    """The shop whose own sender (number or Messaging Service) this is; None for the shared number. One
    sender belongs to one shop at most (`shop_sms_sender_unique`)."""
    if not sender:
        return None
    return Shop.objects.filter(sms_sender=sender).values_list("pk", flat=True).first()


def _answering(holders: list[Customer], owner: int | None) -> list[Customer]:
    """The customers a reply can answer. Sent to a shop's own sender: that shop's customers only (another
    shop holding the same phone never texted from that number). Sent to the shared number: the customers
    of the shops texting from it or from a Messaging Service whose pool we do not know. A reply no shop
    can claim is taken as meant for all of them, so a STOP is never lost."""
    if owner is not None:
        return [c for c in holders if c.shop_id == owner]
    shared = [c for c in holders if not c.shop.sms_sender or is_service(c.shop.sms_sender)]
    return shared or holders


def _act_on_reply(holders: list[Customer], asked: str, body: str, phone: str) -> None:
    if asked == "stop":
        # Carriers apply STOP to the sender number as a whole: opt out everywhere we text this phone from.
        stopped = []
        for customer in holders:
            with shop_context(customer.shop):
                if consent.sms_opt_out(
                    shop=customer.shop, customer=customer, source=ConsentEvent.Source.SMS_REPLY, detail=body
                ):
                    stopped.append(customer)
        # Confirmed once: when the opt-out is new, and not for the provider's own keywords (Twilio answers
        # those itself and blocks anything more from the number).
        if stopped and body.strip().upper() not in PROVIDER_STOP_WORDS:
            target = _latest_asker(stopped)
            with shop_context(target.shop):
                services.sms_stopped_queue(
                    shop=target.shop, customer=target, phone=phone, several=len(holders) > 1
                )
        return
    if asked == "confirm":
        # With one sender number for every shop, a YES says nothing of which shop it answers: it is
        # credited only when exactly one shop is waiting for this number's answer.
        pending = [c for c in holders if c.sms_status == SmsStatus.PENDING]
        if len(pending) == 1:
            with shop_context(pending[0].shop):
                consent.sms_confirm(
                    shop=pending[0].shop,
                    customer=pending[0],
                    source=ConsentEvent.Source.SMS_REPLY,
                    detail=body,
                )
        elif pending:
            asker = _latest_asker(pending)
            with shop_context(asker.shop):
                services.sms_which_shop_queue(shop=asker.shop, customer=asker, phone=phone)
        return
    target = _latest_asker(holders)
    with shop_context(target.shop):
        if asked == "start":
            consent.sms_confirm(
                shop=target.shop, customer=target, source=ConsentEvent.Source.SMS_REPLY, detail=body
            )
        elif asked == "help":
            services.sms_help_queue(shop=target.shop, customer=target, phone=phone)


def _latest_asker(holders: list[Customer]) -> Customer:
    """Of the shops that hold this phone, the one that texted it last (else the most recent customer)."""
    with cross_shop("twilio inbound: which shop texted this phone last"):
        last = (
            OutboundMessage.objects.filter(customer__in=holders, channel="sms")
            .order_by("-created_at")
            .values_list("customer_id", flat=True)
            .first()
        )
    by_id = {c.pk: c for c in holders}
    return by_id.get(last) or max(holders, key=lambda c: c.created_at)


@csrf_exempt
@require_POST
def twilio_status(request):
    """Delivery receipts: delivered / failed / undelivered for a message we sent."""
    if not _twilio_signature_ok(request):
        return HttpResponseForbidden()
    sid = _posted(request, "MessageSid")
    status = _posted(request, "MessageStatus")
    mapping = {
        "delivered": OutboundMessage.Status.DELIVERED,
        "failed": OutboundMessage.Status.FAILED,
        "undelivered": OutboundMessage.Status.FAILED,
    }
    if sid and status in mapping:
        with cross_shop("twilio status: find the message by provider id"):
            message = message_by_provider_id(sid)
        if message is not None and _sent_from(message, request):
            with shop_context(message.shop_id):
                OutboundMessage.objects.filter(pk=message.pk).update(
                    status=mapping[status], last_error=_posted(request, "ErrorCode")[:500]
                )
    return HttpResponse(status=204)


def _sent_from(message: OutboundMessage, request) -> bool:
    """A receipt names the sender the text left from: it must be the one the message was sent with (a
    receipt for another sender's text is not this message's, whatever its id)."""
    said = {_posted(request, "From").strip(), _posted(request, "MessagingServiceSid").strip()} - {""}
    if not said or not message.sender or message.sender in said:
        return True
    logger.warning("twilio status for message %s names another sender: ignored", message.pk)
    return False
