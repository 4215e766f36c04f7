"""Reads on messaging data. Every selector takes `shop`."""

from messaging.models import Erasure, ErasureRequest


def erasure_requests_pending(*, shop) -> list[ErasureRequest]:
    """Customers' erasure requests the shop's admin has not handled yet, oldest first."""
    return list(
        ErasureRequest.objects.filter(shop=shop, handled_at__isnull=True)
        .select_related("customer")
        .order_by("at")
    )


def erasures_recent(*, shop, limit: int = 20) -> list[Erasure]:
    """The shop's latest erasures (the audit: who erased which customer number, when, why)."""
    return list(Erasure.objects.filter(shop=shop).select_related("by")[:limit])
