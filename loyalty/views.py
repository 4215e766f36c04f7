"""The loyalty screens (admins): programs (list, new, edit, pause), the product catalogue, and the
redemption reports with their credit batches. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loyalty import catalogue_import, reports, selectors, services
from loyalty.forms import (
    CatalogueImportForm,
    CreditForm,
    PeriodForm,
    ProductForm,
    ProgramForm,
    TrainingCustomerForm,
)
from loyalty.models import Product
from shopcrm.decorators import admin_required
from shopcrm.forms import form_add_errors
from shopcrm.http import found_or_404, id_from
from shopcrm.spreadsheet import csv_blocks, xlsx_write
from shopcrm.tables.reading import ImportFileError

PRODUCTS_SHOWN = 200


@require_GET
@admin_required
def programs(request):
    return _programs_page(request)


def _programs_page(request, training_form=None):
    training = selectors.training_customer(shop=request.shop)
    return render(
        request,
        "loyalty/programs.html",
        {
            "programs": selectors.program_list(shop=request.shop),
            "training": training,
            "training_form": training_form
            or TrainingCustomerForm(initial={"training_customer": training.number if training else ""}),
        },
    )


@require_POST
@admin_required
def training_customer(request):
    form = TrainingCustomerForm(request.POST)
    if form.is_valid():
        try:
            services.training_customer_set(shop=request.shop, number=form.cleaned_data["training_customer"])
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            flash.success(request, _("Training customer saved."))
            return redirect("loyalty:programs")
    return _programs_page(request, training_form=form)


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
    return _products_page(request, form=form, query=query)


def _products_page(request, *, form=None, query: str = "", import_form=None, imported=None):
    found = selectors.product_list(shop=request.shop, query=query)
    shown = list(found[: PRODUCTS_SHOWN + 1])
    return render(
        request,
        "loyalty/products.html",
        {
            "form": form or ProductForm(),
            "import_form": import_form or CatalogueImportForm(),
            "imported": imported,
            "products": shown[:PRODUCTS_SHOWN],
            "more": len(shown) > PRODUCTS_SHOWN,
            "query": query,
        },
    )


@require_POST
@admin_required
def products_import(request):
    """Import a product list (CSV or Excel); the page then says what was added, updated and refused."""
    form = CatalogueImportForm(request.POST, request.FILES)
    imported = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            catalogue_import.size_check(upload.size)
            imported = catalogue_import.catalogue_import(
                shop=request.shop, data=upload.read(), filename=upload.name
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
    return _products_page(request, import_form=form if imported is None else None, imported=imported)


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


def _period(request) -> tuple[PeriodForm, dt.date | None, dt.date | None]:
    """The report's period from the address (default: this month so far)."""
    today = timezone.localdate(timezone=request.shop.tzinfo)
    data = request.GET if "start" in request.GET or "end" in request.GET else None
    form = PeriodForm(data, initial={"start": today.replace(day=1), "end": today})
    if data is None:
        return form, today.replace(day=1), today
    if not form.is_valid():
        return form, None, None
    try:
        start, end = reports.period_checked(form.cleaned_data["start"], form.cleaned_data["end"])
    except ValidationError as exc:
        form_add_errors(form, exc)
        return form, None, None
    return form, start, end


@require_GET
@admin_required
def redemptions(request):
    """Redemptions per program, manufacturer and distributor over a period, the credit batches, and what
    the shop owes its customers now."""
    form, start, end = _period(request)
    groups = reports.report_groups(shop=request.shop, start=start, end=end) if start else []
    return render(
        request,
        "loyalty/redemptions.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "groups": groups,
            "batches": reports.batches(shop=request.shop),
            "liability": reports.liability(shop=request.shop),
            "credit_form": CreditForm(),
        },
    )


@require_POST
@admin_required
def batch_create(request):
    form = PeriodForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose the period again."))
        batch = reports.batch_create(
            shop=request.shop,
            by=request.user,
            program_id=id_from(request.POST.get("program", "")) or 0,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(
            request,
            ngettext(
                "Batch made: %(n)d redemption for %(distributor)s.",
                "Batch made: %(n)d redemptions for %(distributor)s.",
                batch.count,
            )
            % {"n": batch.count, "distributor": batch.distributor or batch.program.name},
        )
    query = f"?start={request.POST.get('start', '')}&end={request.POST.get('end', '')}"
    return redirect(reverse("loyalty:redemptions") + query)


@require_POST
@admin_required
def batch_credit(request, pk):
    form = CreditForm(request.POST)
    reference = form.cleaned_data["reference"] if form.is_valid() else ""
    try:
        reports.batch_credit(shop=request.shop, batch_id=pk, reference=reference)
    except ValidationError:
        raise Http404 from None
    flash.success(request, _("Batch marked credited."))
    return redirect("loyalty:redemptions")


@require_GET
@admin_required
def batch_download(request, pk, fmt):
    """A batch as CSV (straight to the browser) or XLSX, for the distributor's claim form."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    batch, header, rows = found_or_404(reports.batch_rows, shop=request.shop, batch_id=pk)
    name = f"redemptions-{request.shop.slug}-{batch.program.name}-{batch.period_start:%Y%m%d}-{batch.pk}"
    name = slugify(name)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_blocks(request.shop, header, rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    buffer = io.BytesIO()
    xlsx_write(buffer, [(_("Redemptions"), header, rows)])
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
