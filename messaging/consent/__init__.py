"""Consent, in one package: its states (`states`), the only transitions between them and the ledger that
proves each one (`rules`), the suppression list no edit can clear (`suppression`), the versioned sentences a
customer agrees to (`wording`), and the one way staff ask a customer for it (`asking.consent_ask`).

`from messaging import consent` gives the rules and the states; `consent_ask` is imported from
`messaging.consent.asking` (it writes outbox rows, and the customer models import this package).
"""

from messaging.channels.sms import NO_CONTACT, shop_reachable
from messaging.consent.rules import (
    CONSENT_ACTIONS,
    MARKETING,
    SERVICE,
    Reason,
    contact_changed,
    email_bounced,
    email_resubscribe,
    email_unsubscribe,
    email_verify,
    events_save,
    purpose_of,
    request_refusal,
    requests_record,
    send_refusal,
    service_allowed,
    service_opt_in,
    service_opt_out,
    sms_confirm,
    sms_opt_out,
    status_of_suppressed,
    statuses_for_new_customer,
    statuses_requested,
    words_agreed,
)
from messaging.consent.states import EmailStatus, SmsStatus

__all__ = [
    "CONSENT_ACTIONS",
    "MARKETING",
    "NO_CONTACT",
    "SERVICE",
    "EmailStatus",
    "Reason",
    "SmsStatus",
    "contact_changed",
    "email_bounced",
    "email_resubscribe",
    "email_unsubscribe",
    "email_verify",
    "events_save",
    "purpose_of",
    "request_refusal",
    "requests_record",
    "send_refusal",
    "service_allowed",
    "service_opt_in",
    "service_opt_out",
    "shop_reachable",
    "sms_confirm",
    "sms_opt_out",
    "status_of_suppressed",
    "statuses_for_new_customer",
    "statuses_requested",
    "words_agreed",
]
