"""Celery tasks for campaigns: an interface only, the logic is in campaigns.sending and .services."""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from campaigns import sending
from campaigns.models import Campaign
from shopcrm.tenancy import cross_shop, shop_context

# A campaign still SENDING this long after its last chunk lost its job (the worker died): start it again.
STALLED_AFTER = timedelta(minutes=5)


@shared_task(name="campaigns.send_campaign", acks_late=True, ignore_result=True)
def send_campaign(campaign_id: int, shop_id: int) -> int:
    """Write the campaign's outbox rows, chunk by chunk. Idempotent: delivered twice, or restarted after a
    worker died, it writes only the customers who have no message of this campaign yet."""
    return sending.campaign_write(campaign_id=campaign_id, shop_id=shop_id)


@shared_task(name="campaigns.launch_due", ignore_result=True)
def launch_due() -> int:
    """Beat, every minute: start the scheduled campaigns whose time has come, and restart the writing of
    any that stalled. Cross-shop by nature (it only reads ids); each start runs in its own shop."""
    now = timezone.now()
    with cross_shop("campaigns: start scheduled and stalled campaigns"):
        due = list(
            Campaign.objects.filter(status=Campaign.Status.SCHEDULED, scheduled_at__lte=now).values_list(
                "pk", "shop_id"
            )[:100]
        )
        stalled = list(
            Campaign.objects.filter(
                status=Campaign.Status.SENDING, updated_at__lt=now - STALLED_AFTER
            ).values_list("pk", "shop_id")[:100]
        )
    for campaign_id, shop_id in due:
        with shop_context(shop_id), transaction.atomic():
            started = Campaign.objects.filter(
                pk=campaign_id, status=Campaign.Status.SCHEDULED, scheduled_at__lte=now
            ).update(status=Campaign.Status.SENDING, started_at=now, updated_at=now)
        if started:
            send_campaign.apply_async(args=[campaign_id, shop_id], retry=False)
    for campaign_id, shop_id in stalled:
        send_campaign.apply_async(args=[campaign_id, shop_id], retry=False)
    return len(due) + len(stalled)


@shared_task(name="campaigns.pet_birthdays", acks_late=True, ignore_result=True)
def pet_birthdays() -> int:
    """Beat, every hour: each pet shop that switched the birthday promotion on writes this month's
    messages (once per customer and month; a rerun finds them done). Cross-shop only to list the shops."""
    from campaigns.automations import KIND, pet_birthday_write
    from campaigns.models import Automation

    with cross_shop("campaigns: pet-birthday promotions of the shops that switched them on"):
        shops = list(Automation.objects.filter(kind=KIND, enabled=True).values_list("shop_id", flat=True))
    for shop_id in shops:
        pet_birthday_write(shop_id=shop_id)
    return len(shops)
