from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("pet-birthday/", views.pet_birthday, name="pet_birthday"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/send/", views.campaign_send, name="send"),
    path("<int:pk>/schedule/", views.campaign_schedule, name="schedule"),
    path("<int:pk>/unschedule/", views.campaign_unschedule, name="unschedule"),
    path("<int:pk>/cancel/", views.campaign_cancel, name="cancel"),
    path("<int:pk>/retry/", views.campaign_retry, name="retry"),
    path("<int:pk>/test/", views.campaign_test, name="test"),
    path("<int:pk>/test/phone/", views.campaign_test_phone, name="test_phone"),
    path("<int:pk>/audience.csv", views.campaign_audience, name="audience"),
    path("<int:pk>/preview/", views.campaign_preview_email, name="preview_email"),
]
