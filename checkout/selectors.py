"""What the checkout screen shows about a customer: prompts the cashier should act on."""

from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from campaigns.automations import birthday_message
from customers.services import checkout_missing
from messaging.consent import EmailStatus, SmsStatus
from messaging.models import Channel


@dataclass(frozen=True)
class Prompt:
    kind: str  # missing | birthday | unconfirmed
    level: str  # required | recommended | info
    text: str
    channel: str = ""


def checkout_prompts(*, shop, customer) -> list[Prompt]:
    """Missing information the shop asks for at checkout, pets' birthday month, unconfirmed consents."""
    prompts = [
        Prompt("missing", level, text)
        for level, _field, text in checkout_missing(shop=shop, customer=customer)
    ]
    if shop.pets_enabled:
        month = timezone.localdate().month
        names = [pet.name for pet in customer.pets.all() if pet.has_birthday_in(month)]
        sent = birthday_message(shop=shop, customer=customer) if names else None
        for name in names:
            text = _("It is %(name)s's birthday month!") % {"name": name}
            if sent is not None:
                text += " " + _birthday_sent(sent)
            prompts.append(Prompt("birthday", "info", text))
    if customer.email and customer.email_status == EmailStatus.PENDING:
        prompts.append(Prompt("unconfirmed", "info", _("The email address is not verified yet."), "email"))
    if customer.phone and customer.sms_status == SmsStatus.PENDING:
        prompts.append(Prompt("unconfirmed", "info", _("The SMS opt-in is not confirmed yet."), "sms"))
    return prompts


def _birthday_sent(message) -> str:
    when = formats.date_format(timezone.localtime(message.created_at), "SHORT_DATE_FORMAT")
    if message.channel == Channel.SMS:
        return _("The birthday offer was sent by text on %(when)s.") % {"when": when}
    return _("The birthday offer was sent by email on %(when)s.") % {"when": when}
