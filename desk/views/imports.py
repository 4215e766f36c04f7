"""The import wizard: upload → columns → dry run → confirm → import. Thin: parse, call, render."""

from itertools import islice

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers import selectors
from customers.models import Import
from desk import imports
from desk.forms import ImportMappingForm, ImportUploadForm
from desk.imports import review as import_review
from desk.views.listing import progress_percent
from shopcrm.decorators import admin_required
from shopcrm.http import found_or_404
from shopcrm.tables import reading as tables

STEPS = {"uploaded": 2, "failed": 2, "checking": 3, "checked": 3, "importing": 4, "done": 4}


def _job_or_404(request, pk) -> Import:
    return found_or_404(selectors.import_get, shop=request.shop, pk=pk)


@require_http_methods(["GET", "POST"])
@admin_required
def import_start(request):
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = imports.import_upload(
                    shop=request.shop, by=request.user, upload=form.cleaned_data["file"]
                )
            except ValidationError as exc:
                form.add_error("file", exc.message_dict["file"])
            else:
                return redirect("customers:import_detail", job.pk)
    else:
        form = ImportUploadForm()
    return render(
        request,
        "customers/import_start.html",
        {"form": form, "jobs": selectors.import_list(shop=request.shop), "max_rows": tables.MAX_ROWS},
    )


@require_GET
@never_cache
@admin_required
def import_detail(request, pk):
    """Wherever the import stands: columns to map, a progress bar, the dry run's report, or the result."""
    job = _job_or_404(request, pk)
    running = job.status in (Import.Status.CHECKING, Import.Status.IMPORTING)
    if request.htmx and not running:
        # The worker finished: show the whole page for the new step.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    done = cache.get(imports.progress_key(job.pk)) or 0
    context = {
        "job": job,
        "step": STEPS[job.status],
        "running": running,
        "percent": progress_percent(done, job.total_rows),
        "done_rows": done,
    }
    if request.htmx:
        return render(request, "customers/partials/_import_progress.html", context)
    if job.status in (Import.Status.UPLOADED, Import.Status.FAILED, Import.Status.CHECKED):
        context["mapping_form"] = ImportMappingForm(job=job, samples=_samples(job))
        context["source"] = imports.import_source(job.headers)
        context["remembered"] = imports.mapping_remembered(shop=request.shop, headers=job.headers) is not None
    if job.status in (Import.Status.CHECKED, Import.Status.DONE):
        context["already"] = selectors.import_same_file_done(shop=request.shop, job=job)
        context["changes"] = import_review.changes_shown(
            (job.check_result or {}).get("changes"), region=request.shop.country
        )
    return render(request, "customers/import_detail.html", context)


def _samples(job: Import) -> list[list[str]]:
    """The first three rows, to show under each column while mapping."""
    try:
        data = default_storage.open(job.file, "rb").read()
        table = tables.Table(job.headers, job.encoding, job.delimiter, job.total_rows)
        return list(islice(tables.iter_rows(data, table), 3))
    except (OSError, ValueError, tables.ImportFileError):
        return []


@require_POST
@admin_required
def import_map(request, pk):
    """Save the columns and start the dry run."""
    job = _job_or_404(request, pk)
    form = ImportMappingForm(request.POST, job=job, samples=_samples(job))
    if form.is_valid():
        try:
            imports.import_map(
                shop=request.shop, job=job, mapping=form.mapping(), update_existing=form.update_existing()
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            imports.import_launch(shop=request.shop, job=job, commit=False)
            return redirect("customers:import_detail", job.pk)
    return render(
        request,
        "customers/import_detail.html",
        {"job": job, "step": STEPS[job.status], "mapping_form": form, "running": False},
    )


@require_POST
@admin_required
def import_confirm(request, pk):
    """After the dry run: import for real."""
    job = _job_or_404(request, pk)
    try:
        job = imports.import_confirm(shop=request.shop, job=job)
    except ValidationError:
        return redirect("customers:import_detail", job.pk)
    imports.import_launch(shop=request.shop, job=job, commit=True)
    return redirect("customers:import_detail", job.pk)


@require_GET
@admin_required
def import_rejected(request, pk, step):
    """The rejected rows of the dry run (`check`) or of the import (`result`), with their reasons."""
    job = _job_or_404(request, pk)
    result = job.check_result if step == "check" else job.result
    name = (result or {}).get("rejected_file")
    if not name or not default_storage.exists(name):
        raise Http404
    filename = f"rejected-rows-{job.pk}.csv"
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=filename)
