from django.contrib.auth import views as auth_views
from django.urls import include, path

from shopcrm import views
from shopcrm.forms import EmailLoginForm, QueuedPasswordResetForm

accounts = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=EmailLoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page says: the same icon, cached like any static file.
    path("favicon.ico", views.favicon),
    path("accounts/", include(accounts)),
    path("shops/", views.shop_picker, name="shop_picker"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("invitations/<int:pk>/", views.invitation_answer, name="invitation_answer"),
    path(
        "accounts/invitation/<int:shop_id>/<int:pk>/<str:token>/",
        views.invitation_account,
        name="invitation_account",
    ),
    path("shops/<slug:slug>/switch/", views.shop_switch, name="shop_switch"),
    path("language/", views.language_switch, name="language_switch"),
    path("settings/", views.shop_settings, name="shop_settings"),
    path("settings/staff/invite/", views.staff_invite, name="staff_invite"),
    path("settings/staff/<int:pk>/", views.staff_update, name="staff_update"),
    path("healthz", views.healthz, name="healthz"),
    path("customers/", include("desk.urls")),  # the desk's pages and customers' own
    path("checkout/", include("checkout.urls")),
    path("loyalty/", include("loyalty.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("", include("messaging.urls")),
    path("", include("messaging.settings_urls")),
]
