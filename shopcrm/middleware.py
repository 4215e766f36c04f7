import logging
import time
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, transaction
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme

from shopcrm import selectors
from shopcrm.sql import connections_drop
from shopcrm.tenancy import no_scope, request_scope, shop_context, user_scope

SESSION_SHOP_KEY = "shop_id"
logger = logging.getLogger(__name__)


class TenantMiddleware:
    """Resolves `request.shop` from the signed-in user's memberships and runs the request inside it.

    The whole view runs in one transaction that entered the shop, so row-level security shows it that
    shop's rows only. A 5xx response rolls the transaction back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.shop = None
        request.membership = None
        request.memberships = []
        request.invitations = []
        user_id = _session_user_id(request)
        if user_id is None:
            return self.get_response(request)
        chosen = request.session.get(SESSION_SHOP_KEY)
        # The session's user and (optimistically) its shop in one round trip, before the account is read:
        # row-level security shows an account to its owner only. Corrected below if needed.
        with transaction.atomic(), request_scope(user_id, chosen):
            if not request.user.is_authenticated:
                # The account is gone, deactivated, or its password changed since: nobody, no shop.
                with no_scope():
                    return self.get_response(request)
            memberships = selectors.membership_list(user=request.user)
            # Open invitations give no access: they wait for the person to accept them.
            request.memberships = [m for m in memberships if m.accepted_at is not None]
            request.invitations = [m for m in memberships if m.accepted_at is None]
            membership = _choose(request, request.memberships)
            if membership is None:
                if chosen:
                    # The session named a shop the user no longer works in: no shop's rows.
                    with user_scope(request.user):
                        return self._respond(request, request.user.language or None)
                return self._respond(request, request.user.language or None)
            request.membership = membership
            request.shop = membership.shop
            with timezone.override(request.shop.tzinfo):
                if membership.shop_id != chosen:
                    with shop_context(request.shop, until_commit=True):
                        return self._respond(request, request.user.language or request.shop.language)
                return self._respond(request, request.user.language or request.shop.language)

    def _respond(self, request, language):
        # override, not activate: the language must not leak into whatever this thread runs next.
        with translation.override(language or translation.get_language()):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        if response.status_code >= 500:
            transaction.set_rollback(True)
        return response


def _session_user_id(request) -> int | None:
    """The account id the session names (not yet checked against the account: `request.user` does that)."""
    value = request.session.get(SESSION_KEY)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _choose(request, memberships):
    chosen = request.session.get(SESSION_SHOP_KEY)
    for membership in memberships:
        if membership.shop_id == chosen:
            return membership
    if len(memberships) == 1:
        request.session[SESSION_SHOP_KEY] = memberships[0].shop_id
        return memberships[0]
    return None


class DatabaseUnavailableMiddleware:
    """When PostgreSQL restarts (or cannot be reached), the requests in flight fail with a connection error.
    They get a short "try again" page (503, Retry-After) instead of a server error, and a request that
    changes nothing (GET, HEAD) is tried once more first, on a fresh connection. Nothing half-written is
    left either way: each request's writes are one transaction, rolled back with the connection.

    Outermost, so that it also covers the session and sign-in lookups the other middleware make."""

    IDEMPOTENT = ("GET", "HEAD", "OPTIONS")
    RETRY_AFTER_SECONDS = 0.5

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "_database_unavailable", False):
            return response
        connections_drop()
        if request.method in self.IDEMPOTENT:
            request._database_unavailable = False
            time.sleep(self.RETRY_AFTER_SECONDS)
            response = self.get_response(request)
            if not request._database_unavailable:
                return response
            connections_drop()
        logger.warning("database unavailable: %s %s answered 503", request.method, request.path)
        return database_unavailable_response(request)


@receiver(got_request_exception, dispatch_uid="shopcrm.database_unavailable")
def _mark_database_unavailable(sender, request=None, **kwargs):
    import sys

    error = sys.exc_info()[1]
    if request is not None and isinstance(error, OperationalError | InterfaceError):
        request._database_unavailable = True


def database_unavailable_response(request) -> HttpResponse:
    """Rendered without the database: no session, no user, no shop."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        template = "partials/_database_unavailable.html" if request.headers.get("HX-Request") else "503.html"
        response = HttpResponse(render_to_string(template), status=503)
    response["Retry-After"] = "5"
    response["Cache-Control"] = "no-store"
    return response


class HtmxSignInMiddleware:
    """An htmx request whose session has expired gets the sign-in *page*, not a sign-in form swapped into a
    fragment (where signing in would post the password to the fragment's URL): the login redirect becomes
    `HX-Redirect`, with `next` back to the page the person was on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code not in (301, 302):
            return response
        location = urlsplit(response.get("Location", ""))
        if location.path != resolve_url(settings.LOGIN_URL):
            return response
        page = request.headers.get("HX-Current-URL", "")
        current = urlsplit(page)
        back = urlunsplit(("", "", current.path, current.query, "")) or "/"
        if not url_has_allowed_host_and_scheme(page, {request.get_host()}):
            back = "/"
        redirect = HttpResponse(status=200)
        redirect["HX-Redirect"] = f"{location.path}?{urlencode({'next': back})}"
        return redirect
