"""Merging two customers from the client list, and undoing it. Thin: parse, call, render."""

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from customers import selectors
from desk import duplicates, merge
from shopcrm.decorators import admin_required
from shopcrm.http import found_or_404


@require_http_methods(["GET", "POST"])
@admin_required
def customer_merge(request):
    """Two customers side by side: which record keeps its number, and which value wins for each field."""
    source = request.POST if request.method == "POST" else request.GET
    numbers = [n.upper() for n in source.getlist("customer") if n]
    back = reverse("customers:list") + (f"?{source['filters']}" if source.get("filters") else "")
    if len(set(numbers)) != 2:
        flash.error(request, _("Tick exactly two customers to merge them."))
        return redirect(back)
    pair = {c.number: c for c in selectors.customers_by_number(shop=request.shop, numbers=numbers)}
    if len(pair) != 2:
        raise Http404
    first, second = sorted(pair.values(), key=lambda c: (c.created_at, c.pk))
    keep = source.get("survivor", first.number)
    if keep not in pair:
        keep = first.number
    survivor = pair[keep]
    other = second if survivor is first else first
    if request.method == "POST" and "confirm" in request.POST:
        choices = {name: request.POST.get(f"field_{name}", "") for name in merge.CHOICE_FIELDS}
        try:
            merge.customers_merge(
                shop=request.shop, by=request.user, survivor=survivor, other=other, choices=choices
            )
        except ValidationError as exc:
            flash.error(request, " ".join(exc.messages))
            return redirect(back)
        flash.success(
            request,
            _("%(other)s was merged into this customer. You can undo it below.")
            % {"other": other.display_name},
        )
        return redirect("customers:detail", survivor.number)
    return render(
        request,
        "customers/merge.html",
        {
            "survivor": survivor,
            "other": other,
            "pair": [first, second],
            "rows": merge.merge_fields(survivor, other),
            "filters": source.get("filters", ""),
        },
    )


@require_POST
@admin_required
def merge_undo(request, pk):
    record = found_or_404(selectors.merge_get, shop=request.shop, pk=pk)
    try:
        restored = merge.merge_undo(shop=request.shop, by=request.user, merge=record)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect("customers:detail", record.survivor.number)
    flash.success(request, _("The merge was undone: %(name)s is back.") % {"name": restored.display_name})
    return redirect("customers:detail", restored.number)


@require_http_methods(["GET"])
@admin_required
def duplicate_list(request):
    """Suggested pairs of records of one person, strongest reasons first, each to review and merge or to
    dismiss."""
    return render(
        request,
        "customers/duplicates.html",
        {"suggestions": duplicates.duplicate_suggestions(shop=request.shop)},
    )


@require_POST
@admin_required
def duplicate_dismiss(request):
    """“Not the same person”: the pair is not suggested again."""
    numbers = [n.upper() for n in request.POST.getlist("customer") if n]
    pair = list(selectors.customers_by_number(shop=request.shop, numbers=numbers))
    if len(set(numbers)) != 2 or len(pair) != 2:
        raise Http404
    duplicates.duplicate_dismiss(shop=request.shop, by=request.user, first=pair[0], second=pair[1])
    flash.success(
        request,
        _("%(first)s and %(second)s will not be suggested again.")
        % {"first": pair[0].display_name, "second": pair[1].display_name},
    )
    return redirect("customers:duplicates")
