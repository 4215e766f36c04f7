"""Small HTTP helpers shared by the views."""

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


def found_or_404(selector, **kwargs):
    """Call a `*_get` selector; a row that does not exist — or belongs to another shop — is a 404."""
    try:
        return selector(**kwargs)
    except ObjectDoesNotExist:
        raise Http404 from None
