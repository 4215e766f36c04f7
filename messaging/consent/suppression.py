"""The suppression list: addresses of a shop that must not be contacted again on a channel, for the
purposes each reason blocks. Keyed by the address's hash (an HMAC keyed by CONSENT_HASH_KEY, salted with
the shop), so no edit of a customer clears it, and it still works once the plain address is erased.

Who adds and lifts entries, and what a status becomes when its address is suppressed, is
`messaging.consent`'s: it is the one place consent changes.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from django.conf import settings

from messaging import channels
from messaging.consent import wording
from messaging.models import Suppression

Reason = Suppression.Reason

# Which reasons stop which purpose. Marketing and consent requests: all but "service off". Service
# messages (order ready, appointments): all but a marketing unsubscribe. Strongest reason first.
MARKETING, SERVICE = wording.MARKETING, wording.SERVICE
BLOCKING = {
    MARKETING: [
        Reason.ERASED,
        Reason.COMPLAINT,
        Reason.BOUNCE,
        Reason.SOFT_BOUNCES,
        Reason.STOP,
        Reason.UNSUBSCRIBE,
    ],
    SERVICE: [
        Reason.ERASED,
        Reason.COMPLAINT,
        Reason.BOUNCE,
        Reason.SOFT_BOUNCES,
        Reason.STOP,
        Reason.SERVICE_OFF,
    ],
}


def strongest(reasons, purpose: str) -> str | None:
    return next((r for r in BLOCKING[purpose] if r in reasons), None)


# --- addresses ------------------------------------------------------------------------------------------


def address_normal(channel: str, address) -> str:
    """The form an address is compared in: an email lower-cased, a phone in E.164."""
    return channels.channel_of(channel).normal(address)


@cache
def hash_key(configured: str, secret: str) -> bytes:
    return hashlib.sha256(b"shopcrm consent address:" + (configured or secret).encode()).digest()


def address_hash(shop_id: int, channel: str, address) -> str:
    """The address as the ledger and the suppression list keep it for good: an HMAC, salted with the shop
    (the same person in two shops gives two unrelated hashes). Empty for an empty address."""
    normal = address_normal(channel, address)
    if not normal:
        return ""
    key = hash_key(settings.CONSENT_HASH_KEY, settings.SECRET_KEY)
    return hmac.new(key, f"{shop_id}:{channel}:{normal}".encode(), hashlib.sha256).hexdigest()


# --- the suppression list ------------------------------------------------------------------------------


def suppression_add(*, shop, channel: str, address, reason: str) -> None:
    """Never contact this address on this channel again for the purposes `reason` blocks (until the
    customer's own opt-in, for the reasons a customer may lift). Idempotent."""
    digest = address_hash(shop.pk, channel, address)
    if not digest:
        return
    Suppression.objects.get_or_create(
        shop=shop,
        channel=channel,
        address_hash=digest,
        reason=reason,
        defaults={"address": address_normal(channel, address)},
    )


def suppression_reason(*, shop, channel: str, address, purpose: str = MARKETING) -> str | None:
    """Why this address must not be contacted for `purpose`, or None."""
    digest = address_hash(shop.pk, channel, address)
    if not digest:
        return None
    reasons = Suppression.objects.filter(shop=shop, channel=channel, address_hash=digest).values_list(
        "reason", flat=True
    )
    return strongest(set(reasons), purpose)


def suppression_reasons(*, shop, addresses: dict[str, object]) -> dict[str, str]:
    """For several channels at once ({channel: address}), in one query: {channel: reason} of those that
    may not be asked for or sent marketing."""
    wanted = {
        channel: digest
        for channel, address in addresses.items()
        if (digest := address_hash(shop.pk, channel, address))
    }
    if not wanted:
        return {}
    rows = Suppression.objects.filter(shop=shop, address_hash__in=wanted.values()).values_list(
        "channel", "address_hash", "reason"
    )
    found: dict[str, set] = {}
    for channel, digest, reason in rows:
        if wanted.get(channel) == digest:
            found.setdefault(channel, set()).add(reason)
    return {channel: r for channel, reasons in found.items() if (r := strongest(reasons, MARKETING))}


def suppression_reasons_of(shop, items: list[tuple[str, object, str]]) -> list[str | None]:
    """For several messages at once ([(channel, address, purpose)]), in one query: why each address must
    not be contacted for its purpose, or None."""
    digests = [address_hash(shop.pk, channel, address) for channel, address, _purpose in items]
    wanted = {d for d in digests if d}
    found: dict[tuple[str, str], set] = {}
    if wanted:
        rows = Suppression.objects.filter(shop=shop, address_hash__in=wanted).values_list(
            "channel", "address_hash", "reason"
        )
        for channel, digest, reason in rows:
            found.setdefault((channel, digest), set()).add(reason)
    return [
        strongest(found.get((channel, digest), set()), purpose) if digest else None
        for (channel, _address, purpose), digest in zip(items, digests, strict=True)
    ]


def suppression_hashes(*, shop, channel: str) -> dict[str, str]:
    """Every address hash of the shop on a channel that may not be subscribed → its reason (for an
    import's many rows)."""
    found: dict[str, set] = {}
    rows = Suppression.objects.filter(shop=shop, channel=channel, reason__in=BLOCKING[MARKETING])
    for digest, reason in rows.values_list("address_hash", "reason"):
        found.setdefault(digest, set()).add(reason)
    return {digest: strongest(reasons, MARKETING) for digest, reasons in found.items()}
