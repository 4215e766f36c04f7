import redis
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.http import urlsafe_base64_decode
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shopcrm import invitations, selectors, services
from shopcrm.decorators import admin_required, shop_required
from shopcrm.forms import LanguageForm, ShopSettingsForm, StaffInviteForm, form_add_errors
from shopcrm.http import found_or_404, redirect_back
from shopcrm.middleware import SESSION_SHOP_KEY
from shopcrm.models import Role, StaffMembership


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


@require_GET
@login_required
def invitation_list(request):
    """The invitations waiting for the signed-in person's answer."""
    return render(
        request,
        "shopcrm/invitations.html",
        {"invitations": selectors.invitation_list(user=request.user), "memberships": request.memberships},
    )


@require_POST
@login_required
def invitation_answer(request, pk):
    accept = request.POST.get("answer") == "accept"
    if request.POST.get("answer") not in ("accept", "decline"):
        raise Http404
    try:
        membership = services.staff_invitation_answer(user=request.user, membership_id=pk, accept=accept)
    except StaffMembership.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
        return redirect("invitations")
    if accept:
        request.session[SESSION_SHOP_KEY] = membership.shop_id
        flash.success(request, _("You now work at %(shop)s.") % {"shop": membership.shop.name})
        return redirect("home")
    flash.success(request, _("Invitation from %(shop)s declined.") % {"shop": membership.shop.name})
    return redirect("invitations" if len(request.invitations) > 1 else "home")


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_account(request, shop_id, pk, token):
    """The link of an invitation that created an account: its owner chooses the first password, which
    accepts the invitation, and is signed in. The link works once and for INVITATION_LINK_DAYS."""
    membership = selectors.invitation_for_link(shop_id=shop_id, pk=pk)
    if not invitations.account_link_open(membership, token):
        return render(request, "registration/invitation_account.html", {"validlink": False}, status=410)
    form = SetPasswordForm(membership.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_account_activate(
                membership=membership, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            login(request, user, backend="shopcrm.backends.AccountBackend")
            request.session[SESSION_SHOP_KEY] = membership.shop_id
            flash.success(request, _("Welcome to %(shop)s.") % {"shop": membership.shop.name})
            return redirect("home")
    return render(
        request,
        "registration/invitation_account.html",
        {"validlink": True, "form": form, "membership": membership},
    )


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
    response = redirect_back(request, "/")
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


@require_http_methods(["GET", "POST"])
@admin_required
def shop_settings(request):
    """The shop's settings (editable), its staff (invite, role, deactivate) and pending erasure requests."""
    shop = request.shop
    form = ShopSettingsForm(request.POST or None, instance=shop)
    if request.method == "POST" and form.is_valid():
        try:
            services.shop_update(shop=shop, **{f: form.cleaned_data[f] for f in form.Meta.fields})
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            flash.success(request, _("Settings saved."))
            return redirect("shop_settings")
    if request.method == "POST":
        # Nothing was saved: show the shop as it is stored next to the form's errors.
        shop.refresh_from_db()
    return _settings_page(request, form=form)


def _settings_page(request, *, form=None, invite_form=None, status=200):
    return render(
        request,
        "shopcrm/settings.html",
        {
            "form": form or ShopSettingsForm(instance=request.shop),
            "invite_form": invite_form or StaffInviteForm(),
            "staff": selectors.staff_list(shop=request.shop),
            # Panels other apps add to this page (settings.SHOP_SETTINGS_PANELS): the platform knows none.
            "panels": [import_string(path)(request) for path in settings.SHOP_SETTINGS_PANELS],
            "roles": Role.choices,
        },
        status=status,
    )


@require_POST
@admin_required
def staff_invite(request):
    form = StaffInviteForm(request.POST)
    if form.is_valid():
        try:
            services.staff_invite(shop=request.shop, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            flash.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("shop_settings")
    return _settings_page(request, invite_form=form)


def _membership_or_404(request, pk):
    return found_or_404(selectors.staff_get, shop=request.shop, pk=pk)


@require_POST
@admin_required
def staff_update(request, pk):
    """Change someone's role, deactivate or reactivate them (the button pressed says which)."""
    membership = _membership_or_404(request, pk)
    action = request.POST.get("action", "")
    try:
        if action == "role":
            services.staff_role_set(
                shop=request.shop, membership=membership, role=request.POST.get("role", "")
            )
            flash.success(request, _("Role changed for %(email)s.") % {"email": membership.user.email})
        elif action == "deactivate":
            pending = membership.accepted_at is None
            services.staff_deactivate(shop=request.shop, membership=membership)
            if pending:
                flash.success(
                    request, _("Invitation to %(email)s withdrawn.") % {"email": membership.user.email}
                )
            else:
                flash.success(
                    request, _("%(email)s no longer works in this shop.") % {"email": membership.user.email}
                )
        elif action == "reactivate":
            services.staff_reactivate(shop=request.shop, membership=membership)
            flash.success(request, _("%(email)s can sign in again.") % {"email": membership.user.email})
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            flash.error(request, message)
        return redirect("shop_settings")
    if membership.user_id == request.user.pk and action == "deactivate":
        return redirect("home")  # no longer in this shop; perhaps in another
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


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: the same icon, cached like any static file
    (resolved per request, so a missing static manifest cannot stop the app from starting)."""
    return redirect(static("favicon.svg"), permanent=True)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page, reading the account a reset link names as its owner: row-level security shows an
    account to nobody else, and the link's token is checked against it right after."""

    def get_user(self, uidb64):
        try:
            uid = urlsafe_base64_decode(uidb64).decode()
        except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
            return None
        return selectors.account_get(user_id=uid)
