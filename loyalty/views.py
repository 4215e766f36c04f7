"""The loyalty screens (admins): programs (list, new, edit, pause) and the product catalogue. Thin: parse,
call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loyalty import selectors, services
from loyalty.forms import ProductForm, ProgramForm
from loyalty.models import Product
from shopcrm.decorators import admin_required
from shopcrm.forms import form_add_errors
from shopcrm.http import found_or_404

PRODUCTS_SHOWN = 200


@require_GET
@admin_required
def programs(request):
    return render(request, "loyalty/programs.html", {"programs": selectors.program_list(shop=request.shop)})


def _rule_of(form: ProgramForm) -> dict:
    data = dict(form.cleaned_data)
    data.pop("name", None)
    data.pop("kind", None)
    return data


@require_http_methods(["GET", "POST"])
@admin_required
def program_new(request):
    form = ProgramForm(request.POST or None, initial={"points_per_unit": "1", "rounding": "down"})
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(
                shop=request.shop,
                by=request.user,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                **_rule_of(form),
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            flash.success(
                request,
                _("Program “%(name)s” saved: it counts from the next purchase.") % {"name": program.name},
            )
            return redirect("loyalty:programs")
    return render(request, "loyalty/program_form.html", {"form": form, "program": None})


@require_http_methods(["GET", "POST"])
@admin_required
def program_edit(request, pk):
    program = found_or_404(selectors.program_get, shop=request.shop, pk=pk)
    form = ProgramForm(request.POST or None, initial=ProgramForm.initial_of(program), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(
                shop=request.shop,
                by=request.user,
                program=program,
                name=form.cleaned_data["name"],
                **_rule_of(form),
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            flash.success(request, _("Program saved. Cards already started keep the rule they started with."))
            return redirect("loyalty:programs")
    return render(request, "loyalty/program_form.html", {"form": form, "program": program})


@require_POST
@admin_required
def program_pause(request, pk):
    program = found_or_404(selectors.program_get, shop=request.shop, pk=pk)
    paused = request.POST.get("paused") == "1"
    services.program_pause(shop=request.shop, program=program, paused=paused)
    if paused:
        flash.success(
            request,
            _("“%(name)s” is paused: nothing new is punched; its cards and rewards stay.")
            % {"name": program.name},
        )
    else:
        flash.success(request, _("“%(name)s” counts purchases again.") % {"name": program.name})
    return redirect("loyalty:programs")


@require_http_methods(["GET", "POST"])
@admin_required
def products(request):
    """The catalogue: search it, add a product (or change the one whose code is typed again)."""
    query = request.GET.get("q", "")[:100]
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_save(shop=request.shop, **form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            flash.success(request, _("“%(name)s” is in the catalogue.") % {"name": product.name})
            return redirect("loyalty:products")
    found = selectors.product_list(shop=request.shop, query=query)
    shown = list(found[: PRODUCTS_SHOWN + 1])
    return render(
        request,
        "loyalty/products.html",
        {
            "form": form,
            "products": shown[:PRODUCTS_SHOWN],
            "more": len(shown) > PRODUCTS_SHOWN,
            "query": query,
        },
    )


@require_http_methods(["GET", "POST"])
@admin_required
def product_edit(request, pk):
    product = found_or_404(Product.objects.get, shop=request.shop, pk=pk)
    initial = {
        "code": product.code,
        "name": product.name,
        "brand": product.brand,
        "size": product.size,
        "price": product.price or "",
    }
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_save(shop=request.shop, product=product, **form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            flash.success(request, _("Product saved."))
            return redirect("loyalty:products")
    return render(request, "loyalty/product_form.html", {"form": form, "product": product})
