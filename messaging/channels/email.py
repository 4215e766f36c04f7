"""Email: addresses compared lower-cased, consent verified by the welcome email's link, sent through
Django's mail backend (anymail for an ESP), tracked by anymail's webhooks."""

from __future__ import annotations

import logging
import uuid
from email.utils import format_datetime, formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging.channels.base import MessageChannel, TransientSendError
from messaging.consent.states import EmailStatus
from messaging.models import Channel, OutboundMessage, Suppression

logger = logging.getLogger(__name__)
Reason = Suppression.Reason


class EmailChannel(MessageChannel):
    code = Channel.EMAIL
    address_field = "email"
    status_field = "email_status"
    status_none = EmailStatus.NONE
    status_pending = EmailStatus.PENDING
    consenting = (EmailStatus.VERIFIED, EmailStatus.SUBSCRIBED)
    withdrawn = (EmailStatus.UNSUBSCRIBED,)
    # A bouncing address is the mailbox's verdict, not the person's.
    unreachable = (EmailStatus.BOUNCED,)
    lifted_by_customer = (Reason.UNSUBSCRIBE, Reason.COMPLAINT, Reason.ERASED)
    request_kind = OutboundMessage.Kind.WELCOME
    withdrawn_reason = "the customer unsubscribed or the address bounces"

    def normal(self, address) -> str:
        return str(address or "").strip().lower()

    def normal_sql(self, table: str) -> str:
        return f"lower(btrim({table}.email))"

    def status_of_suppressed(self, reason: str) -> str:
        return (
            EmailStatus.BOUNCED
            if reason in (Reason.BOUNCE, Reason.SOFT_BOUNCES)
            else EmailStatus.UNSUBSCRIBED
        )

    def request_refusal(self, shop, customer) -> str | None:
        if not customer.email:
            return _("There is no email address to send to.")
        if customer.email_status in self.withdrawn + self.unreachable:
            return self.refused_message()
        return None

    def refused_message(self) -> str:
        return _("This customer unsubscribed or their address bounces: no email is sent.")

    def request_render(self, shop, customer):
        from messaging import render

        return render.welcome_email(shop, customer)

    def sender_for(self, shop) -> str:
        """The platform's address under the shop's sender name."""
        _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
        return formataddr((shop.display_sender, address)) if address else settings.DEFAULT_FROM_EMAIL

    def headers_for(self, shop) -> dict:
        # Answers go to the shop, not to the platform's no-reply sender.
        return {"Reply-To": shop.contact_email} if shop.contact_email else {}

    def unsubscribe_headers(self, unsubscribe_url: str) -> dict:
        # RFC 8058 one-click unsubscribe.
        return {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }

    def connection_open(self):
        """One connection to the mail provider for the batch (SMTP: one session, not one per message); None
        when it cannot open now, and each message then tries on its own (and fails or retries as such)."""
        mail = get_connection()
        try:
            mail.open()
        except Exception:
            logger.warning("could not open a mail connection for a batch; sending one by one")
            return None
        return mail

    def deliver(self, message, text: str, html: str, headers: dict, connection=None) -> str:
        # Dated when it leaves, in the shop's own zone (Django's default says -0000, "zone unknown").
        date = format_datetime(timezone.now().astimezone(message.shop.tzinfo))
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=text,
            from_email=message.sender or None,
            to=[message.recipient],
            headers={**headers, "Date": date},
            connection=connection,
        )
        if html:
            email.attach_alternative(html, "text/html")
        try:
            email.send()
        except OSError as exc:  # SMTP / network trouble
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status is not None and (status >= 500 or status == 429):
                raise TransientSendError(f"email provider {status}") from exc
            raise
        anymail_status = getattr(email, "anymail_status", None)
        # Without an ESP's id, a random one: a guessable id would let anyone who can post to a tracking
        # webhook aim at our messages.
        return getattr(anymail_status, "message_id", None) or f"mail-{uuid.uuid4().hex}"

    def webhook_urls(self) -> list:
        """anymail's tracking webhook of the configured ESP only (anymail.urls holds every ESP's, inbound
        ones too: the others would only be doors to nothing, some needing packages we do not install),
        when ESP_WEBHOOKS is on. The receiver itself is `email_webhooks.anymail_tracking`."""
        from django.urls import include, path

        if not settings.ESP_WEBHOOKS:
            return []
        return [path("anymail/", include(esp_tracking_urls()))]


def esp_tracking_urls() -> list:
    from anymail.urls import urlpatterns as anymail_urls

    from shopcrm.checks import esp_name, esp_ready

    if not esp_ready():
        return []
    esp = esp_name()
    return [p for p in anymail_urls if str(p.pattern).lstrip("^").startswith(f"{esp}/tracking")]
