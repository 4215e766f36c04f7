"""Segments: save the list's filters under a name, list them with their live counts, delete them. Thin."""

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from desk import segments
from desk.forms import SegmentForm, customer_filter_form
from desk.views.listing import list_params
from shopcrm.decorators import admin_required
from shopcrm.http import found_or_404


@require_GET
@admin_required
def segment_list(request):
    rows = [
        (segment, segment_description(request.shop, segment))
        for segment in segments.segment_list(shop=request.shop)
    ]
    return render(request, "customers/segments.html", {"rows": rows})


def segment_description(shop, segment) -> list[str]:
    """The segment's filters in words: "Label: value" for each one it sets."""
    form = customer_filter_form(shop, segments.segment_params(segment))
    return [f"{label}: {value}" for label, value in form.describe()]


@require_http_methods(["POST"])
@admin_required
def segment_save(request):
    """Save the list's current filters (the form's hidden `filters`, the search text resolved from the
    session) as a segment. Answers the save box again: saved, or the error next to the name."""
    form = SegmentForm(request.POST)
    saved = None
    if form.is_valid():
        params = list_params(request, QueryDict(form.cleaned_data["filters"]))
        try:
            saved = segments.segment_save(
                shop=request.shop, by=request.user, name=form.cleaned_data["name"], params=params
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
    if saved is not None and not request.htmx:
        flash.success(request, _("Segment “%(name)s” saved.") % {"name": saved.name})
        return redirect("customers:segments")
    template = "customers/partials/_segment_save.html" if request.htmx else "customers/segment_save.html"
    return render(
        request, template, {"segment_form": form, "saved": saved, "query": request.POST.get("filters", "")}
    )


@require_POST
@admin_required
def segment_delete(request, pk):
    segment = found_or_404(segments.segment_get, shop=request.shop, pk=pk)
    segments.segment_delete(shop=request.shop, segment=segment)
    flash.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("customers:segments")
