"""What the shop tells its customers beyond the welcome: service notices (order ready) for now."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shopcrm.models import Shop


class Notice(models.Model):
    """“Order ready” for one ticket of one customer: a service message, sent once (campaigns.notices)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    reference = models.CharField(_("Ticket reference"), max_length=40)
    what = models.CharField(_("What it is"), max_length=100, blank=True, default="")
    # The outbox row that carries it (its status is the notice's); kept when the message is.
    message = models.ForeignKey(
        "messaging.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "customer", "reference"], name="notice_unique_per_ticket")
        ]

    def __str__(self) -> str:
        return self.reference
