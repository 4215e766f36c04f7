"""The five status icons (SMS, Email, Portal, Pets, Tags): a colour, a shape and words for each."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from messaging.consent import EmailStatus, SmsStatus

RED, YELLOW, GREEN = "red", "yellow", "green"


@dataclass(frozen=True)
class StatusIcon:
    key: str
    label: str
    state: str  # red | yellow | green
    reason: str


def customer_status_icons(customer, *, shop) -> list[StatusIcon]:
    icons = [_sms(customer), _email(customer), _portal(customer)]
    if shop.pets_enabled:
        icons.append(_pets(customer))
    icons.append(_tags(customer))
    return icons


def _sms(c) -> StatusIcon:
    if c.sms_status == SmsStatus.OPTED_IN:
        return StatusIcon("sms", _("SMS"), GREEN, _("Opted in to texts."))
    if c.sms_status == SmsStatus.OPTED_OUT:
        return StatusIcon("sms", _("SMS"), RED, _("Declined texts (opted out)."))
    if not c.phone:
        return StatusIcon("sms", _("SMS"), RED, _("No mobile phone on file."))
    if c.sms_status == SmsStatus.SUBSCRIBED:
        return StatusIcon(
            "sms", _("SMS"), YELLOW, _("Opted in in the previous software, not confirmed here.")
        )
    if c.sms_status == SmsStatus.PENDING:
        return StatusIcon("sms", _("SMS"), YELLOW, _("Opt-in text sent, not yet confirmed."))
    return StatusIcon("sms", _("SMS"), YELLOW, _("Mobile phone on file, no opt-in yet."))


def _email(c) -> StatusIcon:
    if c.email_status == EmailStatus.VERIFIED:
        return StatusIcon("email", _("Email"), GREEN, _("Email address verified."))
    if c.email_status == EmailStatus.UNSUBSCRIBED:
        return StatusIcon("email", _("Email"), RED, _("Unsubscribed from emails."))
    if c.email_status == EmailStatus.BOUNCED:
        return StatusIcon("email", _("Email"), RED, _("Emails to this address bounce."))
    if not c.email:
        return StatusIcon("email", _("Email"), RED, _("No email on file."))
    if c.email_status == EmailStatus.SUBSCRIBED:
        return StatusIcon(
            "email", _("Email"), YELLOW, _("Subscribed in the previous software, address not verified.")
        )
    if c.email_status == EmailStatus.PENDING:
        return StatusIcon("email", _("Email"), YELLOW, _("Welcome email sent, address not yet verified."))
    return StatusIcon("email", _("Email"), YELLOW, _("Email on file, not yet verified."))


def _portal(c) -> StatusIcon:
    if c.portal_joined_at:
        return StatusIcon("portal", _("Portal"), GREEN, _("Uses the customer portal."))
    if not c.email:
        return StatusIcon("portal", _("Portal"), RED, _("No email: cannot join the customer portal."))
    return StatusIcon("portal", _("Portal"), YELLOW, _("Has not joined the customer portal yet."))


def _pets(c) -> StatusIcon:
    pets = list(c.pets.all())
    if not pets:
        return StatusIcon("pets", _("Pets"), RED, _("No pets on file."))
    if any(not p.birth_month or not p.birth_year for p in pets):
        return StatusIcon("pets", _("Pets"), YELLOW, _("A pet's birth month or year is missing."))
    return StatusIcon("pets", _("Pets"), GREEN, _("Pets complete."))


def _tags(c) -> StatusIcon:
    if list(c.tags.all()):
        return StatusIcon("tags", _("Tags"), GREEN, _("Tagged."))
    return StatusIcon("tags", _("Tags"), RED, _("No tags yet."))
