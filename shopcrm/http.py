"""Small HTTP helpers shared by the views."""

import ipaddress

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request, fallback: str) -> HttpResponseRedirect:
    """Redirect to the form's `next` field when it is a path on this site, else to `fallback`.

    Only a path is accepted: another host would be an open redirect, and anything else (a bare word) is not a
    place to go back to."""
    target = request.POST.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        target = fallback
    return HttpResponseRedirect(target)


def id_from(value) -> int | None:
    """An id (or count) sent in a URL or a form: ASCII digits only, else None. `str.isdigit` alone also
    accepts "²" or "٣", which `int()` then refuses or reads as another number."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else None


def found_or_404(selector, **kwargs):
    """Call a `*_get` selector; a row that does not exist — or belongs to another shop — is a 404."""
    try:
        return selector(**kwargs)
    except ObjectDoesNotExist:
        raise Http404 from None


def client_ip(request) -> str | None:
    """The address of whoever sent the request. Behind `TRUSTED_PROXY_COUNT` proxies that each append the
    address they saw to X-Forwarded-For, the client is that many entries from the right: anything further
    left was written by the client itself and proves nothing. With no proxy, the connection's address."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(chain) < count:
        return remote  # not through the documented proxies: the proxy's header is missing
    candidate = chain[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
