"""Customers' own pages (create, edit, history, privacy). The desk's pages join them under the same
`customers:` names in `desk.urls`, which the project mounts: customers never import the desk."""

from django.urls import path

from customers import views, views_privacy

urlpatterns = [
    path("retention/", views_privacy.retention_list, name="retention"),
    path("new/", views.customer_new, name="new"),
    path("new/matches/", views.customer_matches, name="matches"),
    path("email-preview/", views.customer_email_preview, name="email_preview"),
    path("check/<str:field>/", views.customer_check, name="check"),
    path("<customer_number:number>/", views.customer_detail, name="detail"),
    path("<customer_number:number>/details/", views.customer_details, name="details"),
    path("<customer_number:number>/edit/", views.customer_edit, name="edit"),
    path("<customer_number:number>/data/", views_privacy.customer_data_view, name="data"),
    path("<customer_number:number>/erase/", views_privacy.customer_erase_view, name="erase"),
    path("<customer_number:number>/visit/", views.customer_visit, name="visit"),
    path("<customer_number:number>/resend/<str:channel>/", views.customer_resend, name="resend"),
    path("<customer_number:number>/pets/add/", views.pet_add, name="pet_add"),
    path("<customer_number:number>/pets/<int:pet_id>/", views.pet_update, name="pet_update"),
    path("<customer_number:number>/pets/<int:pet_id>/delete/", views.pet_delete, name="pet_delete"),
]
