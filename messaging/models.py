"""The consent ledger, the outbox, suppressions and processed webhooks. Every table carries `shop`."""

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
        # An import's consent column: single opt-in given elsewhere, recorded as such, never as confirmed.
        IMPORTED = "imported", _("consent imported (single opt-in)")
        WITHDRAWN = "withdrawn", _("consent withdrawn")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("complaint")
        # Staff changed the address: the new one starts from its own state (see messaging.consent).
        ADDRESS_CHANGED = "address", _("address changed")

    class Source(models.TextChoices):
        TILL = "till", _("staff at the till")
        CUSTOMER_LINK = "customer_link", _("customer link")
        SMS_REPLY = "sms_reply", _("SMS reply")
        WEBHOOK = "webhook", _("provider webhook")
        IMPORT = "import", _("import")
        STAFF_EDIT = "staff_edit", _("staff edit")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    # Empty once the customer is erased: the event stays as proof, tied to the erasure's audit record.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_events",
    )
    erasure = models.ForeignKey("messaging.Erasure", on_delete=models.PROTECT, null=True, blank=True)
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
    # The address the event is about, as an HMAC (messaging.consent.suppression.address_hash): it stays when
    # the person is erased, so the proof keeps its meaning and cannot be read back.
    address_hash = models.CharField(max_length=64, blank=True)
    # The message this request caused (the welcome email, the opt-in text).
    message = models.ForeignKey(
        "messaging.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["customer", "-at"], name="consent_customer_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.action} ({self.source})"


INVITATION_LINK = "[[invitation-link]]"


class OutboundMessage(models.Model):
    """One email or SMS to one customer: written in the transaction that caused it, sent by a worker."""

    Channel = Channel

    class Kind(models.TextChoices):
        WELCOME = "welcome", _("welcome email")
        SMS_OPT_IN = "sms_opt_in", _("SMS opt-in text")
        SMS_HELP = "sms_help", _("SMS help reply")
        SMS_STOPPED = "sms_stopped", _("opt-out confirmation")
        STAFF_INVITE = "staff_invite", _("staff invitation")
        # Sent to an erased customer's address as it goes; the address is blanked once it is sent.
        ERASURE_DONE = "erasure_done", _("erasure confirmation")
        DATA_COPY = "data_copy", _("link to a copy of their data")
        # A service message (campaigns.notices): it needs a contact and no opt-out of service messages.
        ORDER_READY = "order_ready", _("order ready notice")
        # Marketing (campaigns): each relies on a confirmed consent, linked as `consent`.
        CAMPAIGN = "campaign", _("campaign")
        PET_BIRTHDAY = "pet_birthday", _("pet birthday promotion")
        # A campaign's test, to the admin who wrote it.
        CAMPAIGN_TEST = "campaign_test", _("campaign test")
        # The code that confirms a staff member's own mobile phone (put in by the worker, never stored).
        STAFF_CODE = "staff_code", _("staff phone code")

    class Category(models.TextChoices):
        TRANSACTIONAL = "transactional", _("transactional")
        CONSENT_REQUEST = "consent_request", _("consent request")
        MARKETING = "marketing", _("marketing")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        BOUNCED = "bounced", _("bounced")
        # A soft bounce (mailbox full, server busy): kept with its diagnostic, counted towards suppression.
        DEFERRED = "deferred", _("soft bounce")
        SUPPRESSED = "suppressed", _("suppressed")
        # A campaign cancelled before this message went.
        CANCELLED = "cancelled", _("cancelled")
        # The worker stopped while handing it to the provider: it may have gone. Never sent again by itself.
        UNKNOWN = "unknown", _("may have gone")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="messages", null=True, blank=True
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    kind = models.CharField(max_length=13, choices=Kind.choices)
    recipient = models.CharField(max_length=254)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A staff invitation's body holds INVITATION_LINK where the link goes: the worker puts it in when it
    # sends (the link may let someone choose a password; it is never stored here).
    staff_membership = models.ForeignKey(
        "shopcrm.StaffMembership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Written just before the worker hands the message (with the few after it) to the provider: a message
    # left SENDING without it never left and goes back to the queue; with it, it may have gone (UNKNOWN).
    handover_at = models.DateTimeField(null=True, blank=True)
    # A text that waits for the shop's send window (messaging.windows) stays queued until then.
    not_before = models.DateTimeField(null=True, blank=True)
    # What the message was about, as the customer's history shows it (a campaign's name).
    label = models.CharField(max_length=120, blank=True)
    # A message written with many others ("campaign:12", a month of an automation) and the customer it was
    # written for: at most one per source and customer (the constraint below), whatever reruns or double
    # presses; kept as written when a merge moves the message to the surviving customer.
    source = models.CharField(max_length=60, blank=True)
    written_for = models.BigIntegerField(null=True, blank=True)
    # The consent event a marketing message relied on: the customer's confirmation (or the import that
    # recorded theirs), with the words they agreed to. Kept when the message is erased with its customer.
    # No index: consent events are never deleted (erasure keeps them), so nothing looks messages up by it.
    consent = models.ForeignKey(
        ConsentEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "source", "written_for"],
                condition=~models.Q(source=""),
                name="outbox_once_per_source",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "channel", "-created_at"], name="outbox_customer_idx"),
            models.Index(
                fields=["status", "updated_at"],
                name="outbox_queued_idx",
                condition=models.Q(status__in=["queued", "sending"]),
            ),
            # Texts that left, per shop, by when: the daily and monthly caps count them (messaging.sms.bill).
            models.Index(
                fields=["shop", "sent_at"],
                name="outbox_sms_sent_idx",
                condition=models.Q(channel="sms", sent_at__isnull=False),
            ),
            # Only messages a provider took: a campaign's 200,000 queued rows add nothing to it.
            models.Index(
                fields=["provider_message_id"],
                name="outbox_provider_idx",
                condition=~models.Q(provider_message_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} #{self.pk} ({self.status})"

    @property
    def category(self) -> str:
        """What the message is, for the rules that depend on it (send windows): a consent request asks for
        consent, marketing relies on it, anything else answers something the person or the shop did."""
        if self.kind in (self.Kind.WELCOME, self.Kind.SMS_OPT_IN):
            return self.Category.CONSENT_REQUEST
        if self.kind in MARKETING_KINDS:
            return self.Category.MARKETING
        return self.Category.TRANSACTIONAL


MARKETING_KINDS = frozenset({OutboundMessage.Kind.CAMPAIGN, OutboundMessage.Kind.PET_BIRTHDAY})

# Put in by the worker as the message leaves (messaging.outbox): links are signed per customer, so a
# campaign's rows are written set-based without signing 200,000 tokens first.
UNSUBSCRIBE_LINK = "[[unsubscribe-link]]"
STAFF_CODE = "[[code]]"
PREFERENCES_LINK = "[[preferences-link]]"


class Suppression(models.Model):
    """An address of a shop that must not be contacted again on a channel: STOP, unsubscribe, complaint,
    bounce, erasure, or service messages turned off. Keyed by the address's hash
    (messaging.consent.suppression.address_hash), so no edit of a customer clears it, and it still works once
    the plain address is erased. One row per reason; which purposes a reason blocks is
    messaging.consent.suppression's.
    The worker checks it before every send."""

    class Reason(models.TextChoices):
        STOP = "stop", _("replied STOP")
        UNSUBSCRIBE = "unsubscribe", _("unsubscribed")
        COMPLAINT = "complaint", _("complaint")
        BOUNCE = "bounce", _("hard bounce")
        SOFT_BOUNCES = "soft_bounces", _("soft bounces in a row")
        # The person was erased: a re-import or a re-creation does not subscribe them again.
        ERASED = "erased", _("erased")
        # The customer turned off service messages (order ready, appointments) on this channel; marketing
        # consent is a separate matter.
        SERVICE_OFF = "service_off", _("turned off service messages")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    address_hash = models.CharField(max_length=64)
    # The normalised address, blank once its person is erased.
    address = models.CharField(max_length=254, blank=True)
    reason = models.CharField(max_length=40, choices=Reason.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "channel", "address_hash", "reason"], name="suppression_hash_reason_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.reason}"


class WebhookEvent(models.Model):
    """Provider events already processed, so a retried webhook changes nothing the second time."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class ErasureRequest(models.Model):
    """A customer asked, from their preferences page, for their data to be erased. The admin acts on it."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    erasure = models.ForeignKey("messaging.Erasure", on_delete=models.PROTECT, null=True, blank=True)

    def __str__(self) -> str:
        return f"erasure request {self.pk}"


class Erasure(models.Model):
    """The audit record of one erasure: who erased which customer number, when, why, and how many rows of
    each kind went. It holds no personal value; the consent ledger's events point to it."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("the customer asked")
        SHOP = "shop", _("decided by the shop")
        RETENTION = "retention", _("no activity for the retention period")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    customer_number = models.CharField(max_length=12)
    reason = models.CharField(max_length=10, choices=Reason.choices)
    # {"pets": 2, "messages": 3, …}: what was removed, for the audit.
    removed = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"erasure of {self.customer_number}"


class SenderChange(models.Model):
    """The log of a shop's SMS sender: every assignment and release, by whom, from what to what. A sender
    is the platform's to give (it lives in the platform's provider account) and belongs to one shop only
    (`shop_sms_sender_unique`); this is where a dispute about who texted as whom is settled."""

    class How(models.TextChoices):
        ASSIGNED = "assigned", _("assigned by the platform")
        RELEASED = "released", _("released by the platform")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    how = models.CharField(max_length=10, choices=How.choices)
    before = models.CharField(max_length=40, blank=True)
    after = models.CharField(max_length=40, blank=True)
    # Who at the platform did it (the operator's name as given to the command), and why.
    operator = models.CharField(max_length=120)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.before or '-'} → {self.after or '-'}"
