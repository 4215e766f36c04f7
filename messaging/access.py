"""Everything the shop holds about one customer (GDPR art. 15 and 20), as plain data: shown to the admin
(customers' data page) and to the customer (their preferences page and the copy they ask for), and
downloadable as JSON. One selector, so the pages and the file never disagree. It reads customers' models;
messaging owns it because the customer reaches it through messaging's links."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from customers.models import Customer, CustomerChange
from messaging.models import ConsentEvent, ErasureRequest, OutboundMessage


def _when(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _changes(details: dict) -> list[dict]:
    """A history line's {field: [old, new]} (or {"pet": name}) as a list of {field, old, new}."""
    return [
        {"field": field, "old": value[0], "new": value[1]}
        if isinstance(value, list) and len(value) == 2
        else {"field": field, "old": "", "new": str(value)}
        for field, value in (details or {}).items()
    ]


def customer_data(*, shop, customer: Customer) -> dict:
    """The customer's record, pets, tags, visits and history, consent ledger, messages and requests, with
    dates in the shop's time zone. Reads only `shop`'s rows."""
    if customer.shop_id != shop.pk:
        raise Customer.DoesNotExist
    changes = list(CustomerChange.objects.filter(shop=shop, customer=customer).select_related("by"))
    return {
        "shop": {"name": shop.name, "contact_email": shop.contact_email, "contact_phone": shop.contact_phone},
        "exported_at": _when(timezone.now()),
        "customer": {
            "number": customer.number,
            "type": customer.get_type_display(),
            "civility": customer.get_civility_display() if customer.civility else "",
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "company_name": customer.company_name,
            "company_registration": customer.company_registration,
            "internal_id": customer.internal_id,
            "email": customer.email,
            "other_emails": list(customer.secondary_emails),
            "also_on_this_account": customer.also_name,
            "mobile_phone": str(customer.phone or ""),
            "mobile_phone_national": customer.phone_national,
            "address_line1": customer.address_line1,
            "address_line2": customer.address_line2,
            "postal_code": customer.postal_code,
            "city": customer.city,
            "notes": customer.notes,
            "email_status": customer.get_email_status_display(),
            "sms_status": customer.get_sms_status_display(),
            "created_at": _when(customer.created_at),
            "last_visit_at": _when(customer.last_visit_at),
        },
        "tags": [tag.name for tag in customer.tags.all()],
        "pets": [
            {
                "name": pet.name,
                "species": pet.get_species_display(),
                "breed": pet.breed,
                "birth_month": pet.birth_month,
                "birth_year": pet.birth_year,
            }
            for pet in customer.pets.all()
        ],
        "visits": [_when(c.at) for c in changes if c.action == CustomerChange.Action.VISIT],
        "history": [
            {"at": _when(c.at), "action": c.get_action_display(), "changes": _changes(c.details)}
            for c in changes
        ],
        "consent": [
            {
                "at": _when(e.at),
                "channel": e.get_channel_display(),
                "purpose": e.purpose,
                "action": e.get_action_display(),
                "source": e.get_source_display(),
                "wording": e.wording,
                "wording_version": e.wording_version,
                "detail": e.detail,
                "ip_address": e.ip_address or "",
            }
            for e in ConsentEvent.objects.filter(shop=shop, customer=customer).order_by("at", "pk")
        ],
        "messages": [
            {
                "at": _when(m.created_at),
                "channel": m.get_channel_display(),
                "kind": m.get_kind_display(),
                "to": m.recipient,
                "status": m.get_status_display(),
                "subject": m.subject,
                "text": m.body_text,
            }
            for m in OutboundMessage.objects.filter(shop=shop, customer=customer).order_by("created_at", "pk")
        ],
        "erasure_requests": [
            _when(r.at) for r in ErasureRequest.objects.filter(shop=shop, customer=customer).order_by("at")
        ],
    }


def data_response(request, data: dict, *, template: str, context: dict) -> HttpResponse:
    """The data as a readable page, or (`?format=json`) as a JSON file to keep or take elsewhere."""
    if request.GET.get("format") == "json":
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="customer-{data["customer"]["number"]}.json"'
        return response
    return render(request, template, {"data": data, **context})
