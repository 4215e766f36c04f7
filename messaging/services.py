"""Consent: every change of a customer's email / SMS consent goes through here and leaves a ledger entry."""

from django.db import transaction

from messaging.models import Channel, ConsentEvent


@transaction.atomic
def consent_request(*, shop, customer, channel: str, by, wording: str = "", wording_version: str = "v1"):
    """Staff asked the customer for consent on `channel` (at the till).

    A status of none becomes pending. A customer who confirmed stays confirmed, and one who withdrew stays
    withdrawn: only the customer's own action ever opts them (back) in.
    """
    from customers.models import EmailStatus, SmsStatus

    event = ConsentEvent.objects.create(
        shop=shop,
        customer=customer,
        channel=channel,
        action=ConsentEvent.Action.REQUESTED,
        source=ConsentEvent.Source.TILL,
        by=by,
        wording=wording,
        wording_version=wording_version,
    )
    if channel == Channel.EMAIL and customer.email_status == EmailStatus.NONE:
        customer.email_status = EmailStatus.PENDING
        customer.save(update_fields=["email_status"])
    if channel == Channel.SMS and customer.sms_status == SmsStatus.NONE:
        customer.sms_status = SmsStatus.PENDING
        customer.save(update_fields=["sms_status"])
    return event
