"""Celery tasks of customers' core: the retention clean-up (the desk's exports and imports are
`desk.tasks`)."""

from celery import shared_task
from django.utils import translation

from customers import retention
from shopcrm.models import Shop
from shopcrm.tenancy import cross_shop, shop_context


@shared_task(name="customers.retention_run", ignore_result=True)
def retention_run() -> int:
    """Beat, daily: in every shop, erase the customers whose retention period is over (see
    `customers.retention`). Returns how many in all."""
    with cross_shop("retention: list the shops"):
        shops = list(Shop.objects.order_by("pk"))
    erased = 0
    for shop in shops:
        with shop_context(shop), translation.override(shop.language):
            erased += retention.retention_run(shop=shop)
    return erased
