"""The campaign screens (admins): list, write, check the audience, preview, test, send or schedule,
cancel, results. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import csv
import io

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns import automations, content, services
from campaigns.forms import (
    ALL,
    FILTERS,
    AutomationForm,
    CampaignForm,
    ScheduleForm,
    TestCodeForm,
    TestPhoneForm,
)
from campaigns.models import Campaign
from customers import services as customer_services
from customers.models import Export
from customers.normalise import phone_display
from desk import segments
from desk.views.listing import list_params
from desk.views.segments import segment_description
from messaging import marketing, staff_phone
from messaging import render as message_render
from messaging.models import PREFERENCES_LINK, UNSUBSCRIBE_LINK, Channel
from messaging.sms import bill
from messaging.sms.segments import non_gsm_characters, sms_segments
from shopcrm.decorators import admin_required
from shopcrm.http import found_or_404, id_from
from shopcrm.spreadsheet import cell_neutralised
from shopcrm.tenancy import shop_context


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


@require_GET
@admin_required
def campaign_list(request):
    rows = [
        (campaign, _audience_label(request.shop, campaign))
        for campaign in services.campaign_list(shop=request.shop)
    ]
    pet = automations.pet_birthday_get(shop=request.shop) if request.shop.pets_enabled else None
    return render(request, "campaigns/list.html", {"rows": rows, "pet_birthday": pet})


def _audience_label(shop, campaign: Campaign) -> str:
    if campaign.segment_id:
        return _("Segment: %(name)s") % {"name": campaign.segment.name} if campaign.segment else _("Segment")
    if campaign.filters:
        return _("Filtered customers")
    return _("All customers")


def _filters_label(shop, filters: str) -> str:
    if not filters:
        return ""
    described = segment_description(shop, _Filters(filters))
    return _("The list's filters: %(filters)s") % {"filters": "; ".join(described) or _("none")}


class _Filters:
    """Filters shaped like a segment, to describe them the way segments are described."""

    def __init__(self, filters: str):
        self.filters = filters


def _campaign_form(request, data=None, *, initial=None, filters=""):
    return CampaignForm(
        data,
        initial=initial,
        segments=segments.segment_list(shop=request.shop),
        filters_label=_filters_label(request.shop, filters),
    )


@require_http_methods(["GET", "POST"])
@admin_required
def campaign_new(request):
    """Write a campaign. Opened from the client list, the audience is that list's filters; from a segment,
    that segment."""
    if request.method == "POST":
        filters = request.POST.get("filters", "")
        form = _campaign_form(request, request.POST, filters=filters)
        if form.is_valid():
            try:
                campaign = services.campaign_create(
                    shop=request.shop, by=request.user, **_content_fields(form), **form.audience_fields()
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                flash.success(request, _("Campaign saved as a draft. Check who it reaches, then send it."))
                return redirect("campaigns:detail", campaign.pk)
    else:
        filters = ""
        if request.GET.get("filters"):
            filters = list_params(request, QueryDict(request.GET["filters"])).urlencode()
        audience = ALL
        if request.GET.get("segment"):
            segment = found_or_404(segments.segment_get, shop=request.shop, pk=request.GET["segment"])
            audience = f"segment:{segment.pk}"
        elif filters:
            audience = FILTERS
        form = _campaign_form(
            request,
            initial={"channel": Channel.EMAIL, "audience": audience, "filters": filters},
            filters=filters,
        )
    return render(request, "campaigns/edit.html", _edit_context(request, form, None))


def _content_fields(form) -> dict:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "channel": data["channel"],
        "subject": data["subject"],
        "body": data["body"],
    }


def _edit_context(request, form, campaign):
    # What every text adds around the message, for the editor's live counter.
    prefix, suffix = message_render.marketing_sms(request.shop, text="\0").text.split("\0")
    return {
        "form": form,
        "campaign": campaign,
        "fields": content.fields_allowed(request.shop),
        "shop_prefix": prefix,
        "stop_wording": suffix.strip(),
        "allowance": content.FIELD_ALLOWANCE,
        "max_segments": content.SMS_MAX_SEGMENTS,
    }


@require_http_methods(["GET", "POST"])
@admin_required
def campaign_edit(request, pk):
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    if not campaign.editable:
        flash.error(request, _("This campaign is already sending or sent: it can no longer be changed."))
        return redirect("campaigns:detail", campaign.pk)
    filters = "" if campaign.segment_id else campaign.filters
    if request.method == "POST":
        form = _campaign_form(request, request.POST, filters=request.POST.get("filters", filters))
        if form.is_valid():
            try:
                services.campaign_update(
                    shop=request.shop, campaign=campaign, **_content_fields(form), **form.audience_fields()
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                flash.success(request, _("Campaign saved."))
                return redirect("campaigns:detail", campaign.pk)
    else:
        audience = f"segment:{campaign.segment_id}" if campaign.segment_id else (FILTERS if filters else ALL)
        form = _campaign_form(
            request,
            initial={
                "name": campaign.name,
                "channel": campaign.channel,
                "subject": campaign.subject,
                "body": campaign.body,
                "audience": audience,
                "filters": filters,
            },
            filters=filters,
        )
    return render(request, "campaigns/edit.html", _edit_context(request, form, campaign))


def _detail_context(request, campaign, **more):
    shop = request.shop
    context = {"campaign": campaign, "audience_label": _audience_label(shop, campaign)}
    if campaign.editable:
        split = services.audience_split(shop=shop, campaign=campaign)
        context["split"] = split
        context["eligible"] = split[marketing.ELIGIBLE]
        context["excluded"] = [
            (value, label, split[value]) for value, label in marketing.Exclusion.choices if split[value]
        ]
        context["excluded_total"] = sum(count for _v, _l, count in context["excluded"])
        context["people"] = services.preview_people(shop=shop, campaign=campaign)
        context["window_note"] = services.window_note(shop, campaign, campaign.scheduled_at)
        context["schedule_form"] = more.pop("schedule_form", None) or ScheduleForm(
            initial={"seen": context["eligible"]}
        )
        if campaign.channel == Channel.SMS:
            context.update(_test_forms(request, campaign))
            context["sms_usage"] = bill.sms_usage(shop=shop)
    else:
        results = services.campaign_results(shop=shop, campaign=campaign)
        context["results"] = results
        context["cancellable"] = services.campaign_cancellable(campaign, results["queued"])
        context["people"] = services.recipients_first(shop=shop, campaign=campaign)
    person = None
    people = context.get("people") or []
    chosen = request.GET.get("as", "")
    person_of = next((p for p in people if str(p.pk) == chosen), people[0] if people else None)
    if person_of is not None:
        person = content.person_of(person_of)
    context["preview_as"] = person_of
    context["preview"] = _preview(shop, campaign, person or content.Person.placeholder())
    context.update(more)
    return context


def _preview(shop, campaign, person):
    rendered = services.rendered_for(shop, campaign, person)
    for mark in (UNSUBSCRIBE_LINK, PREFERENCES_LINK):
        rendered.html = rendered.html.replace(mark, "#")
    shown = {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}
    if campaign.channel == Channel.SMS:
        count = sms_segments(rendered.text)
        shown.update(
            {
                "segments": count.count,
                "encoding": count.encoding,
                "units": count.units,
                "non_gsm": "".join(non_gsm_characters(rendered.text)),
            }
        )
    return shown


@require_GET
@admin_required
def campaign_detail(request, pk):
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    context = _detail_context(request, campaign)
    template = "campaigns/detail.html"
    if request.htmx and request.GET.get("part") == "results":
        template = "campaigns/partials/_results.html"
    elif request.htmx and request.GET.get("part") == "preview":
        template = "campaigns/partials/_preview.html"
    return render(request, template, context)


@require_GET
@xframe_options_sameorigin
@admin_required
def campaign_preview_email(request, pk):
    """The email as the customer sees it, framed by the campaign page: its own policy lets its inline
    styles apply and nothing else (no script, no request out but images)."""
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    if campaign.channel != Channel.EMAIL:
        raise Http404
    person = content.Person.placeholder()
    chosen = id_from(request.GET.get("as", ""))
    if chosen is not None:
        customer = services.preview_customer(shop=request.shop, pk=chosen)
        if customer is not None:
            person = content.person_of(customer)
    response = HttpResponse(_preview(request.shop, campaign, person)["html"])
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
    )
    return response


def _seen(request) -> int | None:
    return id_from(request.POST.get("seen", ""))


@require_POST
@admin_required
def campaign_send(request, pk):
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    try:
        services.campaign_send(shop=request.shop, by=request.user, campaign=campaign, seen=_seen(request))
    except ValidationError as exc:
        context = _detail_context(request, campaign, send_errors=exc.messages)
        return render(request, "campaigns/detail.html", context, status=422)
    flash.success(request, _("The campaign is sending."))
    return redirect("campaigns:detail", campaign.pk)


@require_POST
@admin_required
def campaign_schedule(request, pk):
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            at = services.schedule_parse(request.shop, form.cleaned_data["scheduled_at"])
            services.campaign_schedule(
                shop=request.shop, by=request.user, campaign=campaign, at=at, seen=_seen(request)
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            flash.success(request, _("The campaign is scheduled."))
            return redirect("campaigns:detail", campaign.pk)
    context = _detail_context(request, campaign, schedule_form=form)
    return render(request, "campaigns/detail.html", context, status=422)


@require_POST
@admin_required
def campaign_unschedule(request, pk):
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    try:
        services.campaign_unschedule(shop=request.shop, campaign=campaign)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("The campaign is a draft again: nothing was sent."))
    return redirect("campaigns:detail", campaign.pk)


@require_POST
@admin_required
def campaign_cancel(request, pk):
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    try:
        held = services.campaign_cancel(shop=request.shop, campaign=campaign)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(
            request,
            _("Campaign cancelled: %(held)d messages that had not gone will not go.") % {"held": held},
        )
    return redirect("campaigns:detail", campaign.pk)


@require_POST
@admin_required
def campaign_retry(request, pk):
    """ "Retry failed": the messages that really failed go again."""
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    again = services.campaign_retry_failed(shop=request.shop, campaign=campaign)
    said = ngettext("%(n)d failed message goes again.", "%(n)d failed messages go again.", again)
    flash.success(request, said % {"n": again})
    return redirect("campaigns:detail", campaign.pk)


@require_POST
@admin_required
def campaign_test(request, pk):
    """A test copy to the admin: to their own email, or by text to their own confirmed mobile phone."""
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    try:
        message = services.campaign_test_send(shop=request.shop, by=request.user, campaign=campaign)
    except ValidationError as exc:
        context = _detail_context(request, campaign, test_errors=exc.messages)
        return render(request, "campaigns/detail.html", context, status=422)
    where = (
        phone_display(message.recipient, request.shop.country)
        if campaign.channel == Channel.SMS
        else message.recipient
    )
    flash.success(request, _("A test was sent to %(where)s.") % {"where": where})
    return redirect("campaigns:detail", campaign.pk)


@require_POST
@admin_required
def campaign_test_phone(request, pk):
    """Confirm one's own mobile phone for test texts: `action=code` texts a code to the number typed,
    `action=confirm` checks the code typed."""
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    if request.POST.get("action") == "confirm":
        form, key, done = (
            TestCodeForm(request.POST),
            "test_code_form",
            _("Your mobile phone is confirmed: tests by text go to it."),
        )

        def act(data):
            staff_phone.staff_phone_confirm(user=request.user, code=data["code"])
    else:
        form, key, done = (
            TestPhoneForm(request.POST),
            "test_phone_form",
            _("We texted you a code: type it below."),
        )

        def act(data):
            staff_phone.staff_phone_code_send(shop=request.shop, user=request.user, phone=data["phone"])

    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            flash.success(request, done)
            return redirect("campaigns:detail", campaign.pk)
    context = _detail_context(request, campaign, **{key: form})
    return render(request, "campaigns/detail.html", context, status=422)


def _test_forms(request, campaign) -> dict:
    if campaign.channel != Channel.SMS:
        return {}
    pending = staff_phone.pending_phone(user=request.user)
    return {
        "my_phone": phone_display(request.user.mobile_phone, request.shop.country),
        "test_phone_form": TestPhoneForm(initial={"phone": phone_display(pending, request.shop.country)}),
        "test_code_form": TestCodeForm() if pending else None,
    }


@require_POST
@never_cache
@admin_required
def campaign_audience(request, pk):
    """The audience as a CSV: customer number, name, and whether they get it (or why not). Customer data
    leaving the shop: a POST, recorded in the export log before the first byte."""
    campaign = found_or_404(services.campaign_get, shop=request.shop, pk=pk)
    shop = request.shop
    record = customer_services.export_record(
        shop=shop,
        by=request.user,
        fmt=Export.Format.CSV,
        filters=services.audience_params(campaign).urlencode(),
        expected_rows=sum(services.audience_split(shop=shop, campaign=campaign).values()),
    )
    body = _audience_csv(shop, campaign, record.pk, translation.get_language())
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-audience.csv"'
    return response


def _audience_csv(shop, campaign, export_id: int, language: str):
    """Streamed after the view's transaction committed the audit record: its own transaction, in the
    shop and the admin's language; the row count goes to the export log at the end."""
    with shop_context(shop), translation.override(language):
        labels = dict(marketing.Exclusion.choices)
        eligible = _("Receives it")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_("Customer number"), _("First name"), _("Last name"), _("Receives it?")])
        rows = 0
        for row in services.audience_rows(shop=shop, campaign=campaign):
            names = [cell_neutralised(row.first_name), cell_neutralised(row.last_name)]
            writer.writerow([row.number, *names, labels.get(row.reason, eligible)])
            rows += 1
            if out.tell() > 64_000:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()
        customer_services.export_finish(shop=shop, export_id=export_id, rows=rows)


@require_http_methods(["GET", "POST"])
@admin_required
def pet_birthday(request):
    """The pet-birthday promotion: switch it on, its channel and text, and what each month sent."""
    shop = request.shop
    if not shop.pets_enabled:
        raise Http404
    automation = automations.pet_birthday_get(shop=shop)
    if request.method == "POST":
        form = AutomationForm(request.POST)
        if form.is_valid():
            try:
                automation = automations.pet_birthday_save(shop=shop, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                flash.success(
                    request,
                    _("Saved: the promotion goes each month.")
                    if automation.enabled
                    else _("Saved: the promotion is switched off."),
                )
                return redirect("campaigns:pet_birthday")
    else:
        form = AutomationForm(
            initial={
                "enabled": automation.enabled,
                "channel": automation.channel,
                "subject": automation.subject,
                "body": automation.body,
            }
        )
    sample = content.Person(_("Kim"), "", _("Biscuit"))
    rendered = services.rendered_for(shop, automation, sample)
    context = {
        **_edit_context(request, form, None),
        "automation": automation,
        "runs": automations.pet_birthday_runs(shop=shop),
        "preview_text": rendered.text.replace(UNSUBSCRIBE_LINK, "…").replace(PREFERENCES_LINK, "…"),
        "preview_subject": rendered.subject,
    }
    return render(request, "campaigns/pet_birthday.html", context)
