import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from messaging.models import ErasureRequest
from messaging.selectors import erasure_requests_pending
from messaging.services import erasure_request_handle
from shopcrm import selectors, services
from shopcrm.decorators import admin_required, shop_required
from shopcrm.forms import LanguageForm
from shopcrm.middleware import SESSION_SHOP_KEY


@require_GET
@shop_required
def home(request):
    if request.shop.customer_first:
        # "Our customers are mostly regulars": every ticket starts with "Who is this for?"
        return redirect("checkout:who")
    return render(request, "shopcrm/home.html")


@require_GET
@login_required
def shop_picker(request):
    return render(request, "shopcrm/shop_picker.html", {"memberships": request.memberships})


@require_POST
@login_required
def shop_switch(request, slug):
    membership = next((m for m in request.memberships if m.shop.slug == slug), None)
    if membership is None:
        raise Http404
    request.session[SESSION_SHOP_KEY] = membership.shop_id
    return redirect("home")


@require_POST
def language_switch(request):
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if not form.is_valid():
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_language_update(user=request.user, language=language)
    if not language and request.shop is not None:
        language = request.shop.language
    if language:
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=60 * 60 * 24 * 365,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response


@require_GET
@admin_required
def shop_settings(request):
    return render(
        request,
        "shopcrm/settings.html",
        {
            "staff": selectors.staff_list(shop=request.shop),
            "erasures": erasure_requests_pending(shop=request.shop),
        },
    )


@require_POST
@admin_required
def erasure_handled(request, pk):
    try:
        erasure_request_handle(shop=request.shop, request_id=pk)
    except ErasureRequest.DoesNotExist:
        raise Http404 from None
    return redirect("shop_settings")


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "degraded",
            **{k: "ok" if v else "down" for k, v in checks.items()},
        },
        status=200 if healthy else 503,
    )


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        return bool(client.ping())
    except redis.RedisError:
        return False
