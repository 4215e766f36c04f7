"""The consent ledger (and, later, the outbox). Every table carries `shop`."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shopcrm.models import Shop


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class ConsentEvent(models.Model):
    """Append-only proof of consent: what was asked or given, by whom, through what, with which words.

    The customer's `email_status` / `sms_status` are derived from these events; nothing edits an event.
    """

    class Action(models.TextChoices):
        REQUESTED = "requested", _("consent requested")
        CONFIRMED = "confirmed", _("consent confirmed")
        WITHDRAWN = "withdrawn", _("consent withdrawn")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("complaint")

    class Source(models.TextChoices):
        TILL = "till", _("staff at the till")
        CUSTOMER_LINK = "customer_link", _("customer link")
        SMS_REPLY = "sms_reply", _("SMS reply")
        WEBHOOK = "webhook", _("provider webhook")
        IMPORT = "import", _("import")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="consent_events"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    purpose = models.CharField(max_length=40, default="marketing")
    action = models.CharField(max_length=12, choices=Action.choices)
    source = models.CharField(max_length=14, choices=Source.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The exact words the person saw (or a versioned key to them), so the shop can prove what was agreed.
    wording = models.TextField(blank=True)
    wording_version = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["customer", "-at"], name="consent_customer_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.action} ({self.source})"
