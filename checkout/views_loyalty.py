"""The checkout screen's loyalty section: scan a line, refund one, redeem a reward (htmx fragments; each
falls back to a full page without JavaScript). Thin: parse, call `loyalty`'s services, render."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from checkout.forms import RedeemForm, ScanForm
from customers import selectors as customer_selectors
from loyalty import rewards, sales, selectors
from loyalty.sales import LineIn
from shopcrm.decorators import shop_required
from shopcrm.forms import form_add_errors
from shopcrm.http import found_or_404, id_from
from shopcrm.money import money


def loyalty_notes(shop, results) -> None:
    """Put each found customer's points and rewards waiting on their till card (`card_note`): two queries
    for the whole list, none when the shop runs no program."""
    summaries = selectors.loyalty_summaries(shop=shop, customer_ids=[c.pk for c in results])
    for customer in results:
        summary = summaries.get(customer.pk)
        if not summary:
            continue
        parts = []
        if summary["has_points"]:
            parts.append(
                ngettext("%(n)d point", "%(n)d points", summary["points"]) % {"n": summary["points"]}
            )
        if summary["waiting"]:
            parts.append(
                ngettext("%(n)d reward waiting", "%(n)d rewards waiting", summary["waiting"])
                % {"n": summary["waiting"]}
            )
        customer.card_note = " · ".join(parts)


def loyalty_context(
    request, customer, *, scan_form=None, done=None, redeem_forms=None, programs=None
) -> dict:
    """What the section shows: the scan box, rewards waiting (each with its redeem form), cards, points
    and today's purchases."""
    state = selectors.customer_loyalty(shop=request.shop, customer=customer, programs=programs)
    forms = redeem_forms or {}
    for card in state.waiting:
        card.form = forms.get(card.pk) or _redeem_form(
            request,
            card,
            initial={
                "item_code": card.items[0].code if card.items else "",
                "email": customer.email,
                "address": rewards.customer_address(customer),
            },
        )
    return {"customer": customer, "loyalty": state, "scan_form": scan_form or ScanForm(), "done": done}


def _redeem_form(request, card, *, data=None, initial=None) -> RedeemForm:
    return RedeemForm(
        data,
        card=card,
        items=card.items,
        money=lambda amount: money(amount, request.shop),
        initial=initial,
        prefix=f"card{card.pk}",
    )


def _section(request, customer, **context):
    if request.htmx:
        return render(
            request, "checkout/partials/_loyalty.html", loyalty_context(request, customer, **context)
        )
    return redirect("checkout:customer", customer.number)


@require_POST
@shop_required
def scan(request, number):
    """One line for this customer: the scanner's Enter (or the Add button) posts it; punches and points
    follow. The section comes back with the box empty and focused for the next scan."""
    customer = found_or_404(customer_selectors.customer_brief_get, shop=request.shop, number=number)
    form = ScanForm(request.POST)
    done = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = sales.sale_record(
                shop=request.shop,
                customer=customer,
                by=request.user,
                lines=[LineIn(code=data["code"], quantity=data["quantity"], amount=data["amount"])],
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            done = {"line": result.lines[0], "completed": result.completed, "points": result.points}
            form = ScanForm()
            return _section(request, customer, scan_form=form, done=done, programs=result.programs)
    return _section(request, customer, scan_form=form, done=done)


@require_POST
@shop_required
def line_reverse(request, number, line_id):
    """Refund a line, or undo a mistaken scan: reversed in the ledger, never deleted."""
    customer = found_or_404(customer_selectors.customer_brief_get, shop=request.shop, number=number)
    done = None
    try:
        refund = sales.line_reverse(
            shop=request.shop, by=request.user, customer=customer, line_id=id_from(line_id) or 0
        )
    except ValidationError as exc:
        done = {"error": " ".join(exc.messages)}
    else:
        done = {"refunded": refund}
    return _section(request, customer, done=done)


@require_POST
@shop_required
def redeem(request, number, card_id):
    """Give a completed card's reward: the free item the rule allows, and what the program needs recorded
    (an email, a postal address) asked for here."""
    customer = found_or_404(customer_selectors.customer_brief_get, shop=request.shop, number=number)
    card = selectors.reward_waiting(shop=request.shop, customer=customer, card_id=id_from(card_id) or 0)
    if card is None:
        return _section(
            request, customer, done={"error": _("This reward is no longer waiting: it was given already.")}
        )
    form = _redeem_form(request, card, data=request.POST)
    done = None
    if form.is_valid():
        try:
            entry = rewards.card_redeem(
                shop=request.shop,
                by=request.user,
                customer=customer,
                card_id=card.pk,
                item_code=form.cleaned_data.get("item_code", ""),
                email=form.cleaned_data.get("email", ""),
                address=form.cleaned_data.get("address", ""),
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            done = {"redeemed": entry, "program": card.program}
    forms = {} if done else {card.pk: form}
    return _section(request, customer, done=done, redeem_forms=forms)


@require_POST
@shop_required
def points_redeem(request, number, program_id):
    """Spend points on a reward of the program's catalogue."""
    customer = found_or_404(customer_selectors.customer_brief_get, shop=request.shop, number=number)
    try:
        entry = rewards.points_redeem(
            shop=request.shop,
            by=request.user,
            customer=customer,
            program_id=id_from(program_id) or 0,
            reward_points=id_from(request.POST.get("points", "")) or 0,
        )
    except ValidationError as exc:
        done = {"error": " ".join(exc.messages)}
    else:
        done = {"points_spent": entry}
    return _section(request, customer, done=done)
