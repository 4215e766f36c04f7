"""Routes of messaging's section of the settings page (names kept global: `erasure_handled`)."""

from django.urls import path

from messaging import settings_panel

urlpatterns = [
    path("settings/erasure/<int:pk>/handled/", settings_panel.erasure_handled, name="erasure_handled"),
]
