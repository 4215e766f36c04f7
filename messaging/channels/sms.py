"""SMS: numbers compared in E.164, consent confirmed by a YES reply or the opt-in text's link, sent through
the `SMS_BACKEND` (Twilio in production) from the shop's own sender, paid by the platform within the
bill's limits, answered through Twilio's webhooks."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging.channels.base import MessageChannel, TransientSendError
from messaging.consent.states import SmsStatus
from messaging.models import Channel, OutboundMessage, Suppression
from messaging.sms import SmsError, SmsMessage, bill, send_sms
from messaging.sms.senders import sender_of

Reason = Suppression.Reason


class SmsChannel(MessageChannel):
    code = Channel.SMS
    address_field = "phone"
    status_field = "sms_status"
    status_none = SmsStatus.NONE
    status_pending = SmsStatus.PENDING
    consenting = (SmsStatus.OPTED_IN, SmsStatus.SUBSCRIBED)
    withdrawn = (SmsStatus.OPTED_OUT,)
    # START means every text again, the service ones included.
    lifted_by_customer = (Reason.STOP, Reason.ERASED, Reason.SERVICE_OFF)
    request_kind = OutboundMessage.Kind.SMS_OPT_IN
    withdrawn_reason = "the customer opted out of texts"

    def normal(self, address) -> str:
        return "".join(ch for ch in str(address or "").strip() if ch.isdigit() or ch == "+")

    def normal_sql(self, table: str) -> str:
        return f"regexp_replace({table}.phone, '[^0-9+]', '', 'g')"

    def status_of_suppressed(self, reason: str) -> str:
        return SmsStatus.OPTED_OUT

    def request_refusal(self, shop, customer) -> str | None:
        if not customer.phone:
            return _("There is no mobile phone to send to.")
        refusal = self.shop_refusal(shop) or bill.destination_refusal(str(customer.phone), shop)
        if refusal:
            return refusal
        if customer.sms_status in self.withdrawn:
            return self.refused_message()
        return None

    def shop_refusal(self, shop) -> str | None:
        # Texts must say how to reach the shop (the HELP reply gives it).
        return None if shop_reachable(shop) else str(NO_CONTACT)

    def refused_message(self) -> str:
        return _("This number opted out of texts: only the customer can opt back in (by replying START).")

    def refusal_to_send(self, message, customer) -> str | None:
        if not shop_reachable(message.shop):
            return "the shop has no contact for HELP replies"
        return super().refusal_to_send(message, customer)

    def request_render(self, shop, customer):
        from messaging import render

        return render.sms_opt_in(shop, customer)

    def sender_for(self, shop) -> str:
        """The shop's own sender, else the platform's number."""
        return sender_of(shop)

    def waits_for_window(self) -> bool:
        return settings.SMS_SEND_WINDOWS

    def connection_close(self, connection) -> None:
        return None

    def deliver(self, message, text: str, html: str, headers: dict, connection=None) -> str:
        try:
            result = send_sms(SmsMessage(to=message.recipient, body=text, sender=message.sender))
        except SmsError as exc:
            if exc.transient:
                raise TransientSendError(str(exc)) from exc
            raise
        return result.provider_id

    def bill_refusal(self, recipient: str, shop) -> str | None:
        return bill.destination_refusal(recipient, shop)

    def capped(self) -> bool:
        return True

    def webhook_urls(self) -> list:
        from django.urls import path

        from messaging.channels import sms_webhooks

        return [
            path("webhooks/twilio/inbound/", sms_webhooks.twilio_inbound, name="twilio_inbound"),
            path("webhooks/twilio/status/", sms_webhooks.twilio_status, name="twilio_status"),
        ]


def shop_reachable(shop) -> bool:
    """Texts go only from a shop that said how to reach it (the HELP reply gives it)."""
    return bool(shop.contact_phone or shop.contact_email)


NO_CONTACT = gettext_lazy(
    "The shop has no contact phone or email yet, and texts must say how to reach it: an admin adds one in "
    "Settings."
)
