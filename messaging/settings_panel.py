"""What messaging adds to the shop's settings page: the customers' pending erasure requests."""

from django.http import Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from messaging.models import ErasureRequest
from messaging.selectors import erasure_requests_pending, erasures_recent
from messaging.services import erasure_request_handle
from shopcrm.decorators import admin_required


def erasure_panel(request) -> str:
    """The settings page's "Erasure requests" section, for the shop of the request."""
    return render_to_string(
        "messaging/partials/_erasure_panel.html",
        {
            "erasures": erasure_requests_pending(shop=request.shop),
            "erased": erasures_recent(shop=request.shop),
        },
        request=request,
    )


@require_POST
@admin_required
def erasure_handled(request, pk):
    try:
        erasure_request_handle(shop=request.shop, request_id=pk)
    except ErasureRequest.DoesNotExist:
        raise Http404 from None
    return redirect("shop_settings")
