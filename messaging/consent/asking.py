"""The one way staff ask a customer for consent (the till's boxes, the popup's resend, a shop's import of
people to ask): every path goes through `consent_ask`, so a request is never sent without its ledger
event, nor recorded without the message that carries the sentence."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from messaging import channels, outbox
from messaging.consent import rules, wording
from messaging.models import OutboundMessage


def consent_ask(
    *, shop, customer, by, channel_codes, purpose=wording.MARKETING, refusals_checked=False
) -> list[OutboundMessage]:
    """Ask `customer` (saved) for consent on each of `channel_codes`, in the current transaction: a status of
    none becomes pending (a confirmed or withdrawn one stays as it is: only the customer moves it), the
    channel's asking message (welcome email, opt-in text) is written to the outbox and published after
    commit, and one ledger event per channel records the sentence and version that message says.

    Raises ValidationError({channel: why}) when staff may not ask on a channel now (no address, withdrawn,
    suppressed, the SMS bill), before writing anything; `refusals_checked` skips that for a caller that
    already refused field by field (the till's create form)."""
    if not refusals_checked:
        refusals = {
            code: refusal
            for code in channel_codes
            if (refusal := rules.request_refusal(shop=shop, customer=customer, channel=code))
        }
        if refusals:
            # Before any write and outside the atomic block: the caller's transaction stays usable.
            raise ValidationError(refusals)
    return _ask(shop=shop, customer=customer, by=by, channel_codes=channel_codes, purpose=purpose)


# savepoint=False: these only write, and raise only on a bug, when the caller's transaction fails anyway.
@transaction.atomic(savepoint=False)
def _ask(*, shop, customer, by, channel_codes, purpose) -> list[OutboundMessage]:
    messages = []
    for code in channel_codes:
        channel = channels.channel_of(code)
        if channel.address(customer):
            messages.append(
                outbox.message_new(
                    shop=shop,
                    customer=customer,
                    channel=code,
                    kind=channel.request_kind,
                    recipient=channel.address(customer),
                    rendered=channel.request_render(shop, customer),
                    by=by,
                )
            )
    if messages:
        messages = OutboundMessage.objects.bulk_create(messages)
        outbox.message_publish_on_commit([(m.pk, m.shop_id) for m in messages])
    rules.requests_record(
        shop=shop, customer=customer, by=by, channels=list(channel_codes), messages=messages, purpose=purpose
    )
    return messages
