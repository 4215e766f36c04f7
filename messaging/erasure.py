"""Messaging's part of erasing a customer: the last email, the suppression that outlives them, and a
ledger that keeps its proof without their personal values. `customers.erasure` calls this, then deletes
the customer (their messages go with them)."""

from __future__ import annotations

import ipaddress

from django.db import transaction
from django.utils import timezone

from messaging import consent, render
from messaging.consent import suppression
from messaging.models import Channel, ConsentEvent, Erasure, ErasureRequest, OutboundMessage, Suppression
from messaging.outbox import ERASED
from messaging.services import message_queue


def scrub(text: str, values: list[str]) -> str:
    """`text` with every one of `values` (case-insensitively) replaced by "[erased]"."""
    lowered = text.lower()
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        start = lowered.find(value.lower())
        while start != -1:
            text = text[:start] + ERASED + text[start + len(value) :]
            lowered = text.lower()
            start = lowered.find(value.lower(), start + len(ERASED))
    return text


def _network(ip: str | None) -> str | None:
    """An IP address cut to its network (/24, /48): the ledger still says where from, not who."""
    if not ip:
        return None
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


@transaction.atomic
def person_erase(
    *, shop, by, customer, values: list[str], addresses: dict[str, list], reason: str
) -> Erasure:
    """Everything messaging holds of `customer`, made impersonal, in the caller's transaction:

    - a last email to their address says it is done (sent by the worker, whose copy loses the address
      once it is sent);
    - each address (`addresses`: channel → its addresses) is suppressed by hash only, and any plain copy in
      the suppression list is blanked, so a re-import or a re-creation does not subscribe them again;
    - their consent events keep action, channel, purpose, wording, version, time and the address hash, lose
      `values` from their detail, the user agent and the host part of the IP, and point to the audit record;
    - pending erasure requests are marked handled by this erasure.
    Returns the audit record (its `removed` counts are completed by the caller)."""
    erasure = Erasure.objects.create(shop=shop, by=by, customer_number=customer.number, reason=reason)
    if customer.email and customer.email_status != consent.EmailStatus.BOUNCED:
        message_queue(
            shop=shop,
            customer=None,
            channel=Channel.EMAIL,
            kind=OutboundMessage.Kind.ERASURE_DONE,
            recipient=customer.email,
            rendered=render.erasure_done(shop),
            by=by,
        )
    for channel, found in addresses.items():
        for address in found:
            digest = suppression.address_hash(shop.pk, channel, address)
            if not digest:
                continue
            Suppression.objects.filter(shop=shop, channel=channel, address_hash=digest).update(address="")
            Suppression.objects.get_or_create(
                shop=shop, channel=channel, address_hash=digest, reason=Suppression.Reason.ERASED
            )
    events = list(ConsentEvent.objects.filter(shop=shop, customer=customer))
    for event in events:
        event.detail = scrub(event.detail, values)[:200]
        event.ip_address = _network(event.ip_address)
        event.user_agent = ""
        event.erasure = erasure
    ConsentEvent.objects.bulk_update(events, ["detail", "ip_address", "user_agent", "erasure"])
    ErasureRequest.objects.filter(shop=shop, customer=customer).update(
        erasure=erasure, handled_at=timezone.now()
    )
    erasure.removed = {
        "messages": OutboundMessage.objects.filter(shop=shop, customer=customer).count(),
        "consent_events_kept": len(events),
    }
    return erasure
