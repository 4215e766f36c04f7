"""The client list: filters in the URL, keyset pages, bulk tagging. Thin: parse, call, render."""

import tempfile
from urllib.parse import urlencode

import phonenumbers
from django.contrib import messages as flash
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from customers import selectors, services
from customers.models import Export
from customers.normalise import phone_display
from desk import export, listing, saved_search, segments, tasks
from desk.forms import BulkTagForm, SegmentForm, customer_filter_form
from messaging.consent import EmailStatus, SmsStatus
from shopcrm.decorators import admin_required, shop_required
from shopcrm.http import found_or_404
from shopcrm.tenancy import shop_context


def list_params(request, data: QueryDict) -> QueryDict:
    """The list's parameters from an address or a form's `filters` field: a segment opened as the filters
    it holds (`segment=<id>`, this shop's only), the saved search resolved."""
    data, _segment = _segment_opened(request, data)
    resolved, _unknown = saved_search.resolve(request.session, data)
    return resolved


def _segment_opened(request, data: QueryDict):
    if not data.get("segment"):
        return data, None
    segment = found_or_404(segments.segment_get, shop=request.shop, pk=data.get("segment"))
    return segments.segment_params(segment, data), segment


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@shop_required
def customer_list(request):
    """All customers of the shop, filtered, sorted and paged; admins also get export and bulk actions.

    The filter form posts (the search text, often a phone or an email, stays out of the address); the
    address then holds the filters and a key to the search kept in the session
    (`desk.saved_search`).
    An htmx request gets the results only, and the tidy address to push, so the back button and shared
    links show the same list.
    """
    segment = None
    if request.method == "POST":
        params = request.POST
        query = saved_search.address_query(request.session, params)
        if not request.htmx:
            return redirect(reverse("customers:list") + (f"?{query}" if query else ""))
        unknown_search = False
    else:
        if request.GET.get("q"):
            # An address that carries the text itself: move the text out of it.
            query = saved_search.address_query(request.session, request.GET)
            return redirect(reverse("customers:list") + (f"?{query}" if query else ""))
        data, segment = _segment_opened(request, request.GET)
        params, unknown_search = saved_search.resolve(request.session, data)
        query = saved_search.address_query(request.session, params)
    # The tag choices are only needed to draw the whole page or to check tags that were asked for.
    needs_tags = not request.htmx or request.htmx.history_restore_request or "tag" in params
    form = customer_filter_form(request.shop, params, tags=None if needs_tags else [])
    filters = form.to_filter()
    sort = form.sort_value
    page = listing.customer_page(
        shop=request.shop, filters=filters, sort=sort, cursor=params.get("cursor", "")
    )
    _present(page.rows, request.shop)
    # A list that fits on its first page is counted by the page query itself; a longer one gets its exact
    # count from a second request (customer_list_count), so the rows never wait for a count of the shop.
    exact = not page.next_cursor and not page.previous_cursor
    total = len(page.rows)
    context = {
        "form": form,
        "page": page,
        "total": total,
        "exact": exact,
        "query": query,
        "sort": sort,
        "tags": form.fields["tag"].choices,
        "bulk_form": BulkTagForm(),
        "unknown_search": unknown_search,
        "segment": segment,
        "segment_form": SegmentForm(initial={"filters": query}),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "customers/partials/_list_results.html", context)
        # The address bar gets the tidy URL (no empty fields), which is also what a shared link holds.
        cursor = params.get("cursor")
        tidy = query + (("&" if query else "") + urlencode({"cursor": cursor}) if cursor else "")
        response["HX-Push-Url"] = request.path + (f"?{tidy}" if tidy else "")
        return response
    return render(request, "customers/list.html", context)


def _present(rows, shop) -> None:
    """What each row shows, worked out once in Python: rendering 50 rows through template tags and
    filters cost more than finding them."""
    detail = reverse("customers:detail", args=["NUMBER"]).replace("NUMBER", "{}")
    email_word, sms_word, never = _("Email"), _("SMS"), "—"
    date_format = formats.get_format("SHORT_DATE_FORMAT")
    # Numbers of the shop's own country show as stored in national format (no parsing per row).
    local = f"+{phonenumbers.country_code_for_region(shop.country)}"
    tz = timezone.get_current_timezone()
    email_labels = {value: f"{email_word}: {label}" for value, label in EmailStatus.choices}
    sms_labels = {value: f"{sms_word}: {label}" for value, label in SmsStatus.choices}
    for row in rows:
        row.url = detail.format(row.number)
        row.select_label = _("Select %(name)s") % {"name": row.display_name}
        row.phone_shown = (
            row.phone_national if row.phone.startswith(local) else phone_display(row.phone, shop.country)
        )
        row.email_label = email_labels[row.email_status]
        row.sms_label = sms_labels[row.sms_status]
        row.created_shown = dateformat.format(row.created_at.astimezone(tz), date_format)
        row.visit_shown = (
            dateformat.format(row.last_visit_at.astimezone(tz), date_format) if row.last_visit_at else never
        )
        chips = []
        if shop.pets_enabled:
            chips += [(" chip--pet", f"{pet.name} · {pet.get_species_display()}") for pet in row.pets]
        row.chips = chips + [("", tag.name) for tag in row.tags]


@require_GET
@shop_required
def customer_list_count(request):
    """The exact number of customers matching the list's filters (loaded by the list when large)."""
    form = customer_filter_form(request.shop, list_params(request, request.GET))
    total = listing.customer_count(shop=request.shop, filters=form.to_filter())
    return render(request, "customers/partials/_list_count.html", {"total": total})


@require_POST
@admin_required
def customer_bulk_tag(request):
    """Add or remove a tag on the ticked customers, or on every customer matching the list's filters."""
    form = BulkTagForm(request.POST)
    query = form.data.get("filters", "")
    back = reverse("customers:list") + (f"?{query}" if query else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                flash.error(request, error)
        return redirect(back)
    if form.cleaned_data["all_matching"]:
        filters_form = customer_filter_form(
            request.shop, list_params(request, QueryDict(form.cleaned_data["filters"]))
        )
        customers = listing.customer_filter_queryset(shop=request.shop, filters=filters_form.to_filter())
    else:
        customers = selectors.customers_by_number(shop=request.shop, numbers=form.cleaned_data["customer"])
    add = form.cleaned_data["action"] == "add"
    try:
        changed = services.customers_tag_bulk(
            shop=request.shop,
            by=request.user,
            customers=customers,
            tag_name=form.cleaned_data["tag"],
            add=add,
        )
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
        return redirect(back)
    tag = form.cleaned_data["tag"].strip()
    if add:
        text = ngettext(
            "Tag “%(tag)s” added to %(count)d customer.",
            "Tag “%(tag)s” added to %(count)d customers.",
            changed,
        )
    else:
        text = ngettext(
            "Tag “%(tag)s” removed from %(count)d customer.",
            "Tag “%(tag)s” removed from %(count)d customers.",
            changed,
        )
    flash.success(request, text % {"tag": tag, "count": changed})
    return redirect(back)


@require_POST
@never_cache
@admin_required
def customer_export(request):
    """The filtered list (the list's `filters`) as CSV or XLSX. A POST: it writes the audit record, before
    the first byte; large ones go to a worker."""
    fmt = request.POST.get("format", "csv")
    if fmt not in Export.Format.values:
        fmt = Export.Format.CSV
    shop = request.shop
    params = list_params(request, QueryDict(request.POST.get("filters", "")))
    form = customer_filter_form(shop, params)
    filters, sort = form.to_filter(), form.sort_value
    record, inline = export.export_start(
        shop=shop, by=request.user, fmt=fmt, query=saved_search.audit_query(params), filters=filters
    )
    if not inline:
        return redirect("customers:export_status", record.pk)
    filename = export.export_filename(shop, fmt)
    if fmt == Export.Format.XLSX:
        # Closed by the response once sent.
        handle = tempfile.TemporaryFile()  # noqa: SIM115
        written = export.export_xlsx(shop, filters, sort, handle)
        services.export_finish(shop=shop, export_id=record.pk, rows=written)
        handle.seek(0)
        return FileResponse(handle, as_attachment=True, filename=filename)
    body = _csv_body(shop, record.pk, filters, sort, translation.get_language())
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_body(shop, export_id, filters, sort, language):
    """Streamed after the view's transaction has committed the audit record: its own transaction, in
    the shop, in the admin's language and the shop's time zone; the row count is recorded at the end."""
    with shop_context(shop), translation.override(language), timezone.override(shop.tzinfo):
        counter: dict = {}
        yield from export.export_csv(shop, filters, sort, counter)
        services.export_finish(shop=shop, export_id=export_id, rows=counter.get("rows"))


def _export_or_404(request, pk) -> Export:
    return found_or_404(selectors.export_get, shop=request.shop, pk=pk)


@require_GET
@admin_required
def export_list(request):
    """The export log: every export of customer data, who made it, with which filters, how many rows."""
    records = selectors.export_list(shop=request.shop)
    for record in records:
        record.described = customer_filter_form(request.shop, QueryDict(record.filters)).describe()
    return render(request, "customers/exports.html", {"records": records})


@require_GET
@never_cache
@admin_required
def export_status(request, pk):
    """A large export's progress bar (polled by htmx), then its download link."""
    record = _export_or_404(request, pk)
    done = cache.get(tasks.export_progress_key(record.pk)) or 0
    context = {"record": record, "done": done, "percent": progress_percent(done, record.expected_rows)}
    if request.htmx:
        return render(request, "customers/partials/_export_status.html", context)
    return render(request, "customers/export_status.html", context)


def progress_percent(done: int, total: int) -> int:
    """How far a background export or import is, for its progress bar."""
    return min(100, round(100 * done / total)) if total else 0


@require_GET
@admin_required
def export_download(request, pk):
    record = _export_or_404(request, pk)
    if record.status != Export.Status.DONE or not record.file or not default_storage.exists(record.file):
        raise Http404
    filename = export.export_filename(request.shop, record.format)
    return FileResponse(default_storage.open(record.file, "rb"), as_attachment=True, filename=filename)
