"""Reads on messaging data. Every selector takes `shop`."""

from messaging.models import ErasureRequest


def erasure_requests_pending(*, shop) -> list[ErasureRequest]:
    """Customers' erasure requests the shop's admin has not handled yet, oldest first."""
    return list(
        ErasureRequest.objects.filter(shop=shop, handled_at__isnull=True)
        .select_related("customer")
        .order_by("at")
    )
