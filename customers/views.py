"""Customer pages: the 2-step create flow, the customer page and its edit popup. Thin: parse, call, render."""

from contextlib import suppress

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from customers import selectors, services
from customers.forms import AddressForm, CustomerCreateForm, CustomerEditForm, PetForm
from customers.history import history_lines
from customers.models import Customer, Pet
from customers.normalise import email_normalise, phone_display, phone_e164, phone_parse, prefill_from_query
from customers.status import customer_status_icons
from messaging.consent import wording
from messaging.render import welcome_email
from messaging.services import message_resend
from shopcrm.decorators import shop_required
from shopcrm.forms import form_add_errors
from shopcrm.http import found_or_404, redirect_back


def _customer_or_404(request, number) -> Customer:
    return found_or_404(selectors.customer_get, shop=request.shop, number=number)


def _landing_url(customer) -> str:
    """Where finishing a customer leads: the till's checkout screen for them."""
    return reverse("checkout:customer", args=[customer.number])


@require_http_methods(["GET", "POST"])
@shop_required
def customer_new(request):
    shop = request.shop
    existing = None
    if request.method == "POST" and "prefill" not in request.POST:
        form = CustomerCreateForm(request.POST, shop=shop)
        if form.is_valid():
            try:
                customer = services.customer_create(
                    shop=shop,
                    by=request.user,
                    **form.cleaned_data,
                )
            except services.DuplicateCustomer as exc:
                existing = exc.existing
                form_add_errors(form, exc)
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                return redirect("customers:details", customer.number)
    else:
        # Prefill comes by POST from the till's search box, so no phone or name lands in a URL.
        form = CustomerCreateForm(shop=shop, initial=_prefill(request))
    return render(
        request,
        "customers/new.html",
        {
            "form": form,
            "existing": existing,
            "icons": existing and customer_status_icons(existing, shop=shop),
            # The exact sentences the ledger will record for each box (messaging's catalogue).
            "statements": {ch: wording.current(ch).text(shop) for ch in ("sms", "email")},
        },
    )


def _prefill(request) -> dict:
    """From the till: what the cashier typed in its search box (`q`, split as the shop types names), or
    the fields themselves."""
    if request.method != "POST":
        return {}
    if request.POST.get("q"):
        return prefill_from_query(request.POST["q"], request.shop.name_order)
    return {
        field: request.POST.get(field, "")[:150]
        for field in ("last_name", "first_name", "phone", "email", "internal_id")
        if request.POST.get(field)
    }


@require_POST
@shop_required
def customer_check(request, field):
    """Traffic light under the phone or email field: valid, invalid, or already used by someone."""
    if field not in ("phone", "email"):
        raise Http404
    value = request.POST.get(field, "").strip()
    exclude = request.POST.get("customer", "")
    state, message, other = "empty", "", None
    if value:
        try:
            if field == "phone":
                normalised = phone_e164(phone_parse(value, request.shop.country))
            else:
                normalised = email_normalise(value)
        except ValidationError:
            state = "invalid"
            message = (
                _("Enter a valid phone number.") if field == "phone" else _("Enter a valid email address.")
            )
        else:
            found = selectors.customer_duplicates(shop=request.shop, **{field: normalised})
            other = found.get(field)
            if other is not None and other.number != exclude:
                state = "taken"
            else:
                other, state = None, "valid"
                message = _("Valid number") if field == "phone" else _("Valid address")
    return render(
        request,
        "customers/partials/_check.html",
        {"field": field, "state": state, "message": message, "other": other},
    )


@require_POST
@shop_required
def customer_email_preview(request):
    """Exactly the welcome email that would go, for the names and address typed so far (opens in a tab)."""
    email = ""
    with suppress(ValidationError):
        email = email_normalise(request.POST.get("email", ""))
    draft = Customer(
        shop=request.shop,
        first_name=" ".join(request.POST.get("first_name", "").split())[:150],
        last_name=" ".join(request.POST.get("last_name", "").split())[:150],
        email=email,
    )
    response = HttpResponse(welcome_email(request.shop, draft).html)
    # The email's own inline styles, nothing else; links inside are real but lead to a draft token.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@shop_required
def customer_matches(request):
    """Existing customers who may be the one being typed in (same phone, or similar last name)."""
    phone = ""
    with suppress(ValidationError):
        phone = phone_e164(phone_parse(request.POST.get("phone", ""), request.shop.country))
    matches = selectors.customer_matches(
        shop=request.shop, last_name=request.POST.get("last_name", "")[:150], phone=phone
    )
    return render(request, "customers/partials/_matches.html", {"matches": matches})


@require_http_methods(["GET", "POST"])
@shop_required
def customer_details(request, number):
    """Step 2: address and pets, all optional. The customer from step 1 is already saved."""
    customer = _customer_or_404(request, number)
    if request.method == "POST":
        form = AddressForm(request.POST)
        if form.is_valid():
            try:
                services.customer_update(
                    shop=request.shop, by=request.user, customer=customer, **form.cleaned_data
                )
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                return redirect(_landing_url(customer))
    else:
        form = AddressForm(initial={f: getattr(customer, f) for f in AddressForm.base_fields})
    return render(
        request,
        "customers/details.html",
        {
            "customer": customer,
            "form": form,
            "pet_form": PetForm(prefix="newpet"),
            "pets": list(customer.pets.all()),
        },
    )


@require_POST
@shop_required
def pet_add(request, number):
    customer = _customer_or_404(request, number)
    if not request.shop.pets_enabled:
        raise Http404
    form = PetForm(request.POST, prefix="newpet")
    if form.is_valid():
        try:
            services.pet_create(shop=request.shop, by=request.user, owner=customer, **form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            form = PetForm(prefix="newpet")
    return _pets_fragment(request, customer, form)


@require_POST
@shop_required
def pet_update(request, number, pet_id):
    customer = _customer_or_404(request, number)
    pet = _pet_or_404(customer, pet_id)
    form = PetForm(request.POST, prefix=f"pet{pet.pk}")
    errors = None
    if form.is_valid():
        try:
            services.pet_update(shop=request.shop, by=request.user, pet=pet, **form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
            errors = form
    else:
        errors = form
    return _pets_fragment(request, customer, PetForm(prefix="newpet"), editing=errors, editing_pet=pet)


@require_POST
@shop_required
def pet_delete(request, number, pet_id):
    customer = _customer_or_404(request, number)
    services.pet_delete(shop=request.shop, by=request.user, pet=_pet_or_404(customer, pet_id))
    return _pets_fragment(request, customer, PetForm(prefix="newpet"))


def _pet_or_404(customer, pet_id) -> Pet:
    pet = next((p for p in customer.pets.all() if p.pk == pet_id), None)
    if pet is None:
        raise Http404
    return pet


def _pets_fragment(request, customer, form, editing=None, editing_pet=None):
    customer = _customer_or_404(request, customer.number)
    return render(
        request,
        "customers/partials/_pets.html",
        {
            "customer": customer,
            "pets": list(customer.pets.all()),
            "pet_form": form,
            "editing": editing,
            "editing_pet": editing_pet,
        },
    )


@require_GET
@vary_on_headers("HX-Request")
@shop_required
def customer_detail(request, number):
    customer = _customer_or_404(request, number)
    context = {
        "customer": customer,
        "icons": customer_status_icons(customer, shop=request.shop),
        "history": history_lines(
            shop=request.shop, changes=selectors.customer_history(shop=request.shop, customer=customer)
        ),
        "consents": selectors.customer_consents(shop=request.shop, customer=customer),
        "outbox": selectors.customer_messages(shop=request.shop, customer=customer),
        "merges": selectors.merge_list(shop=request.shop, survivor=customer),
    }
    template = "customers/detail.html"
    if request.htmx:
        template = "customers/partials/_summary.html"
    else:
        # Sections of the layers above (loyalty's cards and purchases): customers know none of them.
        context["panels"] = [import_string(path)(request, customer) for path in settings.CUSTOMER_PAGE_PANELS]
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@shop_required
def customer_edit(request, number):
    """The edit popup: contact fields, tags and pets. Opened from the email line of a customer."""
    customer = _customer_or_404(request, number)
    existing = None
    if request.method == "POST":
        form = CustomerEditForm(request.POST, shop=request.shop)
        if form.is_valid():
            data = dict(form.cleaned_data)
            tags = data.pop("tags")
            try:
                services.customer_update(shop=request.shop, by=request.user, customer=customer, **data)
                services.customer_tags_set(shop=request.shop, by=request.user, customer=customer, names=tags)
            except services.DuplicateCustomer as exc:
                existing = exc.existing
                form_add_errors(form, exc)
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Trigger"] = "customer-saved"
                    return response
                return redirect("customers:detail", customer.number)
    else:
        form = CustomerEditForm(shop=request.shop, initial=_edit_initial(customer))
    template = "customers/partials/_edit_dialog.html" if request.htmx else "customers/edit.html"
    return render(
        request,
        template,
        {
            "customer": customer,
            "form": form,
            "existing": existing,
            "pet_form": PetForm(prefix="newpet"),
            "pets": list(customer.pets.all()),
            "tag_catalogue": selectors.tag_list(shop=request.shop),
            "outbox": selectors.customer_messages(shop=request.shop, customer=customer),
        },
    )


def _edit_initial(customer) -> dict:
    initial = {f: getattr(customer, f) for f in CustomerEditForm.base_fields if hasattr(customer, f)}
    initial["phone"] = phone_display(str(customer.phone or ""), customer.shop.country)
    initial["secondary_emails"] = "\n".join(customer.secondary_emails)
    initial["tags"] = ", ".join(t.name for t in customer.tags.all())
    return initial


@require_POST
@shop_required
def customer_resend(request, number, channel):
    """Resend the welcome email or the SMS opt-in (rate-limited by the service)."""
    customer = _customer_or_404(request, number)
    if channel not in ("email", "sms"):
        raise Http404
    try:
        message_resend(shop=request.shop, customer=customer, channel=channel, by=request.user)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("The message is on its way."))
    return redirect_back(request, _landing_url(customer))


@require_POST
@shop_required
def customer_visit(request, number):
    customer = _customer_or_404(request, number)
    try:
        services.customer_visit_record(shop=request.shop, by=request.user, customer=customer)
    except ValidationError as exc:
        # Back to the checkout screen, whose prompt offers the missing field right there ("Add it").
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("Visit recorded."))
    return redirect_back(request, _landing_url(customer))
