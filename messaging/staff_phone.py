"""A staff member confirms their own mobile phone with a 6-digit code texted to it: campaign tests by text
go to that phone only, so "Send a test" cannot text a number nobody at the shop holds (SMS pumping bills the
platform for every such text).

The code is made by the worker as the text leaves and only its hash is kept, in the shared cache, for ten
minutes and five tries; the outbox row holds a placeholder. Codes are limited per person and per number.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from customers.normalise import phone_e164, phone_parse
from messaging.models import STAFF_CODE, Channel, OutboundMessage
from messaging.render import Rendered
from messaging.services import message_queue
from messaging.sms import bill
from shopcrm import ratelimit

CODE_SECONDS = 10 * 60
TRIES = 5
CODES_PER_HOUR = 3


def _key(user_id: int) -> str:
    return f"staff-phone:{user_id}"


def _digest(user_id: int, code: str) -> str:
    return salted_hmac("messaging.staff_phone", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def pending_phone(*, user) -> str:
    """The number a code was asked for and not confirmed yet ('' if none)."""
    pending = cache.get(_key(user.pk))
    return pending["phone"] if pending else ""


def staff_phone_code_send(*, shop, user, phone: str) -> str:
    """Text a code to `phone` (typed as staff type it, the shop's country by default) for `user` to confirm
    it as their own. Raises ValidationError (key `phone`) for a number texts may not go to, or past the
    limits (3 codes an hour per person and per number). Returns the number in E.164."""
    try:
        e164 = phone_e164(phone_parse(phone, shop.country))
    except ValidationError:
        e164 = ""
    if not e164:
        raise ValidationError({"phone": _("Type your mobile phone number.")})
    refusal = bill.destination_refusal(e164, shop)
    if refusal:
        raise ValidationError({"phone": refusal})
    if not ratelimit.hits("staff-phone-code", [f"user:{user.pk}", e164], limit=CODES_PER_HOUR, window=3600):
        raise ValidationError({"phone": _("Too many codes asked for: try again in an hour.")})
    cache.set(_key(user.pk), {"phone": e164, "digest": "", "tries": 0}, timeout=CODE_SECONDS)
    with translation.override(user.language or shop.language):
        text = _("%(code)s is your code to confirm this phone at %(shop)s. It works for 10 minutes.") % {
            "code": STAFF_CODE,
            "shop": shop.name,
        }
    message_queue(
        shop=shop,
        customer=None,
        channel=Channel.SMS,
        kind=OutboundMessage.Kind.STAFF_CODE,
        recipient=e164,
        rendered=Rendered(subject="", text=text),
        by=user,
    )
    return e164


def code_put_in(message: OutboundMessage) -> str:
    """The worker, as the text leaves: a new code for the person who asked, its hash kept, the text with it.
    A message whose request expired or was replaced by a newer one goes without a usable code."""
    pending = cache.get(_key(message.by_id)) if message.by_id else None
    if not pending or pending["phone"] != message.recipient:
        return message.body_text.replace(STAFF_CODE, "------")
    code = f"{secrets.randbelow(10**6):06d}"
    pending["digest"] = _digest(message.by_id, code)
    if settings.DEV_OUTBOX:  # development only: the outbox page shows what the phone received
        pending["dev_text"] = message.body_text.replace(STAFF_CODE, code)
    cache.set(_key(message.by_id), pending, timeout=CODE_SECONDS)
    return message.body_text.replace(STAFF_CODE, code)


def staff_phone_confirm(*, user, code: str):
    """`user` typed the code texted to the number they asked for: it becomes their confirmed mobile phone.
    Raises ValidationError (key `code`) for a wrong, expired or over-tried code."""
    pending = cache.get(_key(user.pk))
    code = "".join(ch for ch in (code or "") if ch.isascii() and ch.isdigit())
    if not pending or not pending["digest"]:
        raise ValidationError({"code": _("No code is waiting: ask for a new one.")})
    if pending["tries"] >= TRIES:
        cache.delete(_key(user.pk))
        raise ValidationError({"code": _("Too many wrong codes: ask for a new one.")})
    if not constant_time_compare(pending["digest"], _digest(user.pk, code)):
        pending["tries"] += 1
        cache.set(_key(user.pk), pending, timeout=CODE_SECONDS)
        raise ValidationError({"code": _("This is not the code we texted.")})
    cache.delete(_key(user.pk))
    user.mobile_phone = pending["phone"]
    user.mobile_phone_confirmed_at = timezone.now()
    user.save(update_fields=["mobile_phone", "mobile_phone_confirmed_at"])
    return user


def dev_text(message: OutboundMessage) -> str:
    """Development only (DEV_OUTBOX): the text as it left, while its code is still waiting."""
    pending = cache.get(_key(message.by_id)) if settings.DEV_OUTBOX and message.by_id else None
    return (pending or {}).get("dev_text", "") if pending and pending["phone"] == message.recipient else ""
