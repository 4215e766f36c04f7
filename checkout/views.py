"""The till: “Who is this for?” search and the checkout screen for one customer."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import formats
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from campaigns import notices
from checkout.forms import OrderReadyForm
from checkout.selectors import checkout_prompts
from checkout.views_loyalty import loyalty_context, loyalty_notes
from customers import selectors as customer_selectors
from customers.search import COUNT_CAP, customer_search, customer_search_count
from customers.status import customer_status_icons
from shopcrm.decorators import shop_required
from shopcrm.forms import form_add_errors
from shopcrm.http import found_or_404

# A tablet shows about six cards; typing one more letter narrows faster than scrolling through more.
TILL_RESULTS = 12


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@shop_required
def who(request):
    """One box that finds any customer; results update as the cashier types (htmx fragment).

    The query travels in a POST body: a phone number or an email never lands in a URL or an access log.
    """
    query = request.POST.get("q", "")[:500] if request.method == "POST" else ""
    results = customer_search(shop=request.shop, query=query, limit=TILL_RESULTS) if query.strip() else []
    loyalty_notes(request.shop, results)
    context = {"query": query, "results": results, "full": len(results) >= TILL_RESULTS}
    if request.htmx:
        return render(request, "checkout/partials/_results.html", context)
    return render(request, "checkout/who.html", context)


@require_POST
@shop_required
def count(request):
    """How many customers the till's query matches in all, asked for only when the cards are full (the
    query in the POST body, like the search's)."""
    query = request.POST.get("q", "")[:500]
    total = customer_search_count(shop=request.shop, query=query) if query.strip() else 0
    return render(
        request,
        "checkout/partials/_count.html",
        {
            "shown": min(total, TILL_RESULTS),
            "total": total,
            "more": total > COUNT_CAP,
            "cap": formats.number_format(COUNT_CAP, force_grouping=True),
        },
    )


@require_GET
@shop_required
def customer(request, number):
    found = found_or_404(customer_selectors.customer_get, shop=request.shop, number=number)
    return render(
        request,
        "checkout/customer.html",
        {
            "customer": found,
            "icons": customer_status_icons(found, shop=request.shop),
            "prompts": checkout_prompts(shop=request.shop, customer=found),
            **_order_ready_context(request, found, OrderReadyForm()),
            **loyalty_context(request, found),
        },
    )


def _order_ready_context(request, customer, form, sent=None) -> dict:
    return {
        "order_form": form,
        "order_sent": sent,
        "notices": notices.notice_list(shop=request.shop, customer=customer),
        "notice_channel": notices.notice_channel(shop=request.shop, customer=customer),
    }


@require_POST
@shop_required
def order_ready(request, number):
    """“Order ready” for a ticket of this customer: a service message by text, else by email, once per
    ticket. Answers the section again (htmx), with the notice's status or the error next to the field."""
    found = found_or_404(customer_selectors.customer_get, shop=request.shop, number=number)
    form = OrderReadyForm(request.POST)
    sent = None
    if form.is_valid():
        try:
            sent = notices.order_ready_notify(
                shop=request.shop, by=request.user, customer=found, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            form = OrderReadyForm()
    context = {"customer": found, **_order_ready_context(request, found, form, sent)}
    if request.htmx:
        return render(request, "checkout/partials/_order_ready.html", context)
    return redirect("checkout:customer", found.number)


@require_GET
@shop_required
def walk_in(request):
    """An anonymous sale: no customer, so no message can reach them."""
    return render(request, "checkout/walk_in.html")


@require_GET
@shop_required
def prompts(request, number):
    """The checkout screen's prompts again (htmx), after the edit popup saved: a missing email just added
    is no longer asked for."""
    found = found_or_404(customer_selectors.customer_get, shop=request.shop, number=number)
    return render(
        request,
        "checkout/partials/_prompts.html",
        {"customer": found, "prompts": checkout_prompts(shop=request.shop, customer=found)},
    )
