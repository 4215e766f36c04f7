"""What the shop tells its customers beyond the welcome: service notices (order ready) and campaigns."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messaging.models import Channel
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


class Campaign(models.Model):
    """An email or a text an admin writes once for many customers: a segment, or the list's filters.

    It goes only to customers whose marketing consent on its channel is confirmed and proven
    (messaging.marketing); each message is a row of the outbox, written set-based, at most one per
    customer (its `source` is `source_key`), linked to the consent it relies on.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        # Its messages are being written to the outbox (and sent as they are).
        SENDING = "sending", _("Sending")
        # Every message is in the outbox; the results say how many have gone.
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    name = models.CharField(_("Name"), max_length=120)
    channel = models.CharField(_("Channel"), max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    subject = models.CharField(_("Subject"), max_length=200, blank=True)
    body = models.TextField(_("Message"))
    # The audience: a segment (its filters as they are when it is sent), else the list's filters saved
    # with the campaign. `filters` also keeps the segment's filters as they were when last saved here.
    segment = models.ForeignKey(
        "customers.Segment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filters = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # How far the writing went (customer ids are written in order), and how many messages it wrote.
    cursor = models.BigIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)
    # The eligible count the admin confirmed when sending (or scheduling).
    audience_count = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["shop", "-created_at"], name="campaign_shop_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)

    @property
    def source_key(self) -> str:
        """What its outbox rows carry as their source."""
        return f"campaign:{self.pk}"


class Automation(models.Model):
    """A message the shop sends by itself, on a rule: the pet-birthday promotion, once a month to the owners
    of pets born that month who agreed to marketing on its channel. One per shop and kind."""

    class Kind(models.TextChoices):
        PET_BIRTHDAY = "pet_birthday", _("Pet birthday promotion")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("Send it every month"), default=False)
    channel = models.CharField(_("Channel"), max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    subject = models.CharField(_("Subject"), max_length=200, blank=True)
    body = models.TextField(_("Message"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "kind"], name="automation_once_per_shop")]

    def __str__(self) -> str:
        return self.get_kind_display()


class AutomationRun(models.Model):
    """One month of an automation: unique per automation and month; its messages, one per customer, carry
    `source_key`."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs", db_index=False)
    period = models.CharField(max_length=7)  # "2026-12", in the shop's time zone
    month = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=5, choices=Channel.choices)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    cursor = models.BigIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["automation", "period"], name="automation_run_once_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.automation_id}:{self.period}"

    @property
    def source_key(self) -> str:
        """What this month's outbox rows carry as their source (one per customer)."""
        return f"pet-birthday:{self.automation_id}:{self.period}"
