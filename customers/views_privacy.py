"""A customer's data: what the shop holds (page and JSON, for the admin and, by a fresh link, for the
customer), and erasing it. Thin: parse, call, render."""

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from customers import selectors
from customers.erasure import customer_erase
from customers.forms import EraseForm
from customers.retention import retention_keep, retention_upcoming
from messaging.access import customer_data, data_response
from shopcrm.decorators import admin_required
from shopcrm.forms import form_add_errors
from shopcrm.http import found_or_404


@require_GET
@admin_required
@cache_control(no_store=True, private=True)
def customer_data_view(request, number):
    customer = found_or_404(selectors.customer_get, shop=request.shop, number=number)
    return data_response(
        request,
        customer_data(shop=request.shop, customer=customer),
        template="customers/data.html",
        context={"customer": customer},
    )


@require_http_methods(["GET", "POST"])
@admin_required
def customer_erase_view(request, number):
    """What an erasure removes and keeps, the reason, a confirmation; then the customer is gone."""
    customer = found_or_404(selectors.customer_get, shop=request.shop, number=number)
    requested = selectors.customer_erasure_requested(shop=request.shop, customer=customer)
    if request.method == "POST":
        form = EraseForm(request.POST)
        if form.is_valid():
            try:
                erasure = customer_erase(
                    shop=request.shop, by=request.user, customer=customer, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                flash.success(
                    request,
                    _("Customer № %(number)s is erased. A last email tells them so, if they had an address.")
                    % {"number": erasure.customer_number},
                )
                return redirect("customers:list")
    else:
        form = EraseForm(initial={"reason": "request" if requested else "shop"})
    return render(
        request, "customers/erase.html", {"customer": customer, "form": form, "requested": requested}
    )


@require_http_methods(["GET", "POST"])
@admin_required
def retention_list(request):
    """Who the retention rule erases within a month, with a "keep" form (a reason) for each."""
    errors = {}
    if request.method == "POST":
        customer = found_or_404(
            selectors.customer_get, shop=request.shop, number=request.POST.get("number", "")
        )
        try:
            retention_keep(
                shop=request.shop, by=request.user, customer=customer, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            errors = {customer.number: exc.message_dict.get("reason", exc.messages)}
        else:
            flash.success(
                request,
                _("%(name)s is kept until %(date)s.")
                % {"name": customer.full_name, "date": date_format(customer.kept_until)},
            )
            return redirect("customers:retention")
    customers, total = retention_upcoming(shop=request.shop)
    return render(
        request,
        "customers/retention.html",
        {"due": customers, "total": total, "errors": errors, "posted": request.POST},
        status=200,
    )
