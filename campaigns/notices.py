"""Service notices: “Order ready” for a ticket, from the checkout screen.

A service message, not marketing: it needs a way to reach the customer and no opt-out of service messages
(STOP, a complaint, a bounce, "no messages about my orders"), not marketing consent
(messaging.consent.service_allowed). By text when the customer has a mobile that takes them, else by
email; once per ticket. Services and selectors both; every function takes `shop`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from campaigns.models import Notice
from customers.normalise import phone_is_mobile
from messaging import consent
from messaging.models import Channel
from messaging.services import order_ready_queue

REFERENCE_MAX = Notice._meta.get_field("reference").max_length
WHAT_MAX = Notice._meta.get_field("what").max_length


def notice_channel(*, shop, customer) -> str | None:
    """The channel an order-ready notice would go by, or None when it cannot reach the customer."""
    mobile = bool(customer.phone) and phone_is_mobile(str(customer.phone))
    if mobile and consent.service_allowed(shop=shop, customer=customer, channel=Channel.SMS):
        return Channel.SMS
    if customer.email and consent.service_allowed(shop=shop, customer=customer, channel=Channel.EMAIL):
        return Channel.EMAIL
    return None


@transaction.atomic
def order_ready_notify(*, shop, by, customer, reference: str, what: str = "") -> Notice:
    """Tell `customer` (of `shop`) that the order `reference` is ready: one outbox row and its notice, in
    one transaction. Raises ValidationError next to the field: no reference, too long, already told for this
    ticket, or no way to reach them."""
    if customer.shop_id != shop.pk:
        raise customer.DoesNotExist
    reference = " ".join((reference or "").split())
    what = " ".join((what or "").split())
    if not reference:
        raise ValidationError({"reference": _("Type the ticket's reference.")})
    if len(reference) > REFERENCE_MAX:
        raise ValidationError({"reference": _("At most %(limit)d characters.") % {"limit": REFERENCE_MAX}})
    if len(what) > WHAT_MAX:
        raise ValidationError({"what": _("At most %(limit)d characters.") % {"limit": WHAT_MAX}})
    earlier = Notice.objects.filter(shop=shop, customer=customer, reference=reference).first()
    if earlier is not None:
        raise ValidationError({"reference": _already(earlier)})
    channel = notice_channel(shop=shop, customer=customer)
    if channel is None:
        raise ValidationError(
            {
                "reference": _(
                    "This customer cannot be told: add a mobile phone or an email (or they turned off "
                    "messages about their orders)."
                )
            }
        )
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                shop=shop, customer=customer, reference=reference, what=what, by=by
            )
    except IntegrityError:  # the same ticket, pressed twice at once
        raise ValidationError(
            {"reference": _already(Notice.objects.get(shop=shop, customer=customer, reference=reference))}
        ) from None
    notice.message = order_ready_queue(
        shop=shop, customer=customer, by=by, channel=channel, reference=reference, what=what
    )
    notice.save(update_fields=["message"])
    return notice


def _already(notice: Notice) -> str:
    when = formats.date_format(timezone.localtime(notice.created_at), "SHORT_DATETIME_FORMAT")
    return _("This customer was already told that order %(reference)s is ready (%(when)s).") % {
        "reference": notice.reference,
        "when": when,
    }


def notice_list(*, shop, customer, limit: int = 10) -> list[Notice]:
    """The customer's latest notices, with the message that carries each (its status)."""
    return list(Notice.objects.filter(shop=shop, customer=customer).select_related("message")[:limit])
