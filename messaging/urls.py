from django.urls import path

from messaging import views
from messaging.channels import webhook_urls

app_name = "messaging"

urlpatterns = [
    path("m/v/<str:token>/", views.verify, name="verify"),
    path("m/u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("m/s/<str:token>/", views.sms_confirm, name="sms_confirm"),
    path("m/p/<str:token>/", views.preferences, name="preferences"),
    path("m/d/<str:token>/", views.data_copy, name="data_copy"),
    *webhook_urls(),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
    path("dev/outbox/<int:pk>/", views.dev_outbox_email, name="dev_outbox_email"),
]
