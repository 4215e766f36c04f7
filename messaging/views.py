"""Public pages behind the links in messages (no login, phone-first), and the dev outbox.

A GET never changes anything (link previewers and scanners open links); a POST does. The one exception is
the standard one: mail providers' one-click unsubscribe, a cookieless POST without a CSRF token (RFC 8058).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.html import urlize
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from customers.models import Customer
from messaging import consent, outbox, services, staff_phone, tokens
from messaging.access import customer_data, data_response
from messaging.consent import EmailStatus, SmsStatus, suppression, wording
from messaging.models import Channel, ConsentEvent, OutboundMessage
from shopcrm import ratelimit
from shopcrm.decorators import admin_required
from shopcrm.http import client_ip
from shopcrm.selectors import shop_get
from shopcrm.tenancy import shop_context


def _client(request) -> dict:
    return {
        "ip": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
    }


class _Link:
    """Resolve a token to (shop, customer) inside that shop's context, or say what is wrong with it."""

    def __init__(self, token: str, purpose: str):
        self.error = None
        self.shop = self.customer = None
        self.token = None
        try:
            self.token = tokens.read(token, purpose)
        except tokens.TokenExpired as exc:
            self.error = "expired"
            self.shop = shop_get(shop_id=exc.token.shop_id)
            return
        except tokens.TokenInvalid:
            self.error = "invalid"
            return
        self.shop = shop_get(shop_id=self.token.shop_id)
        if self.shop is None:
            self.error = "invalid"


def _page(request, link: _Link, template: str, context=None, status=200):
    language = link.shop.language if link.shop else None
    with translation.override(language or translation.get_language()):
        return render(
            request,
            template,
            {"public_shop": link.shop, "customer": link.customer, **(context or {})},
            status=status,
        )


def _problem(request, link: _Link):
    if link.error == "expired":
        return _page(request, link, "messaging/public/expired.html", status=410)
    if link.error == "gone":
        return _page(request, link, "messaging/public/gone.html", status=404)
    return _page(request, link, "messaging/public/invalid.html", status=400)


def _load_customer(link: _Link) -> None:
    link.customer = Customer.objects.filter(shop=link.shop, pk=link.token.customer_id).first()
    if link.customer is None:
        link.error = "gone"


@contextmanager
def _customer_link(request, token: str, purpose: str):
    """Resolve a link and, if it is good, enter its shop with its customer loaded. Yields (link, the page
    that says what is wrong with it, or None)."""
    link = _Link(token, purpose)
    if link.error:
        yield link, _problem(request, link)
        return
    with shop_context(link.shop):
        _load_customer(link)
        yield link, (_problem(request, link) if link.error else None)


def _single_use_link(request, token, *, purpose, done, ask_template, done_template, act):
    """A verify / confirm link: GET asks, POST acts once; a link whose state has moved on is expired."""
    with _customer_link(request, token, purpose) as (link, problem):
        if problem:
            return problem
        if done(link.customer):
            return _page(request, link, done_template, {"already": True})
        if link.token.state != tokens.state_hash(link.customer, purpose):
            # The address or its status changed since the link was sent: this link no longer applies.
            return _page(request, link, "messaging/public/expired.html", status=410)
        if request.method == "GET":
            channel = Channel.EMAIL if purpose == "verify" else Channel.SMS
            agreed = consent.words_agreed(link.shop, link.customer, channel)
            return _page(request, link, ask_template, {"statement": agreed["wording"]})
        act(link.shop, link.customer, _client(request))
        return _page(request, link, done_template, {"already": False})


@require_http_methods(["GET", "POST"])
def verify(request, token):
    return _single_use_link(
        request,
        token,
        purpose="verify",
        done=lambda c: c.email_status == EmailStatus.VERIFIED,
        ask_template="messaging/public/verify.html",
        done_template="messaging/public/verified.html",
        act=lambda shop, c, client: consent.email_verify(shop=shop, customer=c, **client),
    )


def _one_click(request) -> bool:
    """The RFC 8058 one-click POST a mail provider sends, without cookies, for a List-Unsubscribe-Post
    header: a form body (multipart or urlencoded) that is exactly `List-Unsubscribe=One-Click`."""
    return (
        request.method == "POST"
        and request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded")
        and request.POST.get("List-Unsubscribe") == "One-Click"
        and len(request.POST) == 1
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The unsubscribe link: GET asks, the page's form (CSRF-protected) unsubscribes; only the one-click
    POST of RFC 8058, which carries no cookie, is exempt from the CSRF check."""
    if _one_click(request):
        return _unsubscribe(request, token)
    return csrf_protect(_unsubscribe)(request, token)


def _unsubscribe(request, token):
    link = _Link(token, "unsubscribe")
    if link.error:
        if _one_click(request):
            return HttpResponse(status=400)
        return _problem(request, link)
    with shop_context(link.shop):
        _load_customer(link)
        if link.error:
            return _problem(request, link)
        if request.method == "GET":
            return _page(request, link, "messaging/public/unsubscribe.html")
        one_click = _one_click(request)
        consent.email_unsubscribe(
            shop=link.shop,
            customer=link.customer,
            detail="one-click (RFC 8058)" if one_click else "unsubscribe page",
            **_client(request),
        )
        if one_click:
            return HttpResponse("unsubscribed", content_type="text/plain", status=200)
        return _page(request, link, "messaging/public/unsubscribed.html")


@require_http_methods(["GET", "POST"])
def sms_confirm(request, token):
    return _single_use_link(
        request,
        token,
        purpose="sms",
        done=lambda c: c.sms_status == SmsStatus.OPTED_IN,
        ask_template="messaging/public/sms_confirm.html",
        done_template="messaging/public/sms_confirmed.html",
        act=lambda shop, c, client: consent.sms_confirm(
            shop=shop, customer=c, source=ConsentEvent.Source.CUSTOMER_LINK, detail="confirm link", **client
        ),
    )


@require_http_methods(["GET", "POST"])
@cache_control(no_store=True, private=True)
def preferences(request, token):
    """See and change email / SMS consent, see what the shop holds, ask for erasure. Never stored by a
    browser or proxy cache: it shows the customer's personal data."""
    with _customer_link(request, token, "preferences") as (link, problem):
        if problem:
            return problem
        shop, customer = link.shop, link.customer
        done = None
        if request.method == "POST":
            action = request.POST.get("action")
            client = _client(request)
            if action == "email_off":
                consent.email_unsubscribe(shop=shop, customer=customer, detail="preferences page", **client)
            elif action == "email_on":
                consent.email_resubscribe(shop=shop, customer=customer, **client)
            elif action == "sms_off":
                consent.sms_opt_out(
                    shop=shop,
                    customer=customer,
                    source=ConsentEvent.Source.CUSTOMER_LINK,
                    detail="preferences page",
                    **client,
                )
            elif action == "sms_on" and customer.phone:
                consent.sms_confirm(
                    shop=shop,
                    customer=customer,
                    source=ConsentEvent.Source.CUSTOMER_LINK,
                    detail="preferences page",
                    **client,
                )
            elif action in ("service_email_off", "service_sms_off", "service_email_on", "service_sms_on"):
                channel = Channel.EMAIL if "email" in action else Channel.SMS
                change = consent.service_opt_in if action.endswith("_on") else consent.service_opt_out
                change(shop=shop, customer=customer, channel=channel, **client)
            elif action == "erase":
                services.erasure_request_create(shop=shop, customer=customer)
            elif (
                action == "copy"
                and customer.email
                # The same page either way; past the limits nothing more is sent.
                and ratelimit.hit("data-copy-ip", client_ip(request) or "unknown", limit=30, window=3600)
            ):
                services.data_copy_send(shop=shop, customer=customer)
            done = action
        customer.refresh_from_db()
        return _page(
            request,
            link,
            "messaging/public/preferences.html",
            {
                "done": done,
                "shop": shop,
                "data": customer_data(shop=shop, customer=customer),
                # Per channel: None (service messages on), "service_off", or what else blocks them.
                "service": {
                    channel: suppression.suppression_reason(
                        shop=shop, channel=channel, address=address, purpose=consent.SERVICE
                    )
                    for channel, address in ((Channel.EMAIL, customer.email), (Channel.SMS, customer.phone))
                },
                "service_wording": {
                    channel: wording.current(channel, wording.SERVICE).text(shop)
                    for channel in (Channel.EMAIL, Channel.SMS)
                },
            },
        )


@require_GET
@cache_control(no_store=True, private=True)
def data_copy(request, token):
    """Everything the shop holds, for the customer who asked for it: a page and a JSON file, through a link
    emailed to them that works for a day and only while their address is the one it went to."""
    with _customer_link(request, token, "data") as (link, problem):
        if problem:
            return problem
        if link.token.state != tokens.state_hash(link.customer, "data"):
            return _page(request, link, "messaging/public/expired.html", status=410)
        language = link.shop.language or translation.get_language()
        with translation.override(language):
            return data_response(
                request,
                customer_data(shop=link.shop, customer=link.customer),
                template="messaging/public/data.html",
                context={"public_shop": link.shop, "customer": link.customer},
            )


@require_GET
@admin_required
def dev_outbox(request):
    """Development only: every message the shop sent, with its links clickable."""
    if not settings.DEV_OUTBOX:
        raise Http404
    messages = list(OutboundMessage.objects.filter(shop=request.shop).select_related("customer")[:200])
    for message in messages:
        if message.kind == OutboundMessage.Kind.STAFF_CODE:
            message.dev_text = staff_phone.dev_text(message)
    return render(request, "messaging/dev_outbox.html", {"outbox": messages})


@require_GET
@admin_required
def dev_outbox_email(request, pk):
    if not settings.DEV_OUTBOX:
        raise Http404
    message = (
        OutboundMessage.objects.filter(shop=request.shop, pk=pk, channel="email")
        .select_related("customer")
        .first()
    )
    if message is None:
        raise Http404
    # Development only (DEV_OUTBOX): the links are made here as the worker makes them when sending.
    text, html, _headers = outbox.content_to_send(message)
    response = HttpResponse(html or f"<pre>{urlize(text, autoescape=True)}</pre>")
    # The stored email as the customer sees it: no scripts, links open normally.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"
    )
    return response
