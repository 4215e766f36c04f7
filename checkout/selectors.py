"""What the checkout screen shows about a customer: prompts the cashier should act on."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.services import checkout_missing
from messaging.consent import EmailStatus, SmsStatus


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
        for pet in customer.pets.all():
            if pet.has_birthday_in(month):
                prompts.append(
                    Prompt("birthday", "info", _("It is %(name)s's birthday month!") % {"name": pet.name})
                )
    if customer.email and customer.email_status == EmailStatus.PENDING:
        prompts.append(Prompt("unconfirmed", "info", _("The email address is not verified yet."), "email"))
    if customer.phone and customer.sms_status == SmsStatus.PENDING:
        prompts.append(Prompt("unconfirmed", "info", _("The SMS opt-in is not confirmed yet."), "sms"))
    return prompts
