from django.urls import path

from customers import views, views_privacy
from customers.desk.views import imports as views_import
from customers.desk.views import listing as views_list
from customers.desk.views import merge as views_merge
from customers.desk.views import segments as views_segments

app_name = "customers"

urlpatterns = [
    path("", views_list.customer_list, name="list"),
    path("count/", views_list.customer_list_count, name="count"),
    path("segments/", views_segments.segment_list, name="segments"),
    path("segments/save/", views_segments.segment_save, name="segment_save"),
    path("segments/<int:pk>/delete/", views_segments.segment_delete, name="segment_delete"),
    path("bulk-tag/", views_list.customer_bulk_tag, name="bulk_tag"),
    path("export/", views_list.customer_export, name="export"),
    path("exports/", views_list.export_list, name="exports"),
    path("exports/<int:pk>/", views_list.export_status, name="export_status"),
    path("exports/<int:pk>/download/", views_list.export_download, name="export_download"),
    path("import/", views_import.import_start, name="import"),
    path("import/<int:pk>/", views_import.import_detail, name="import_detail"),
    path("import/<int:pk>/columns/", views_import.import_map, name="import_map"),
    path("import/<int:pk>/confirm/", views_import.import_confirm, name="import_confirm"),
    path("import/<int:pk>/rejected-<str:step>.csv", views_import.import_rejected, name="import_rejected"),
    path("merge/", views_merge.customer_merge, name="merge"),
    path("duplicates/", views_merge.duplicate_list, name="duplicates"),
    path("duplicates/dismiss/", views_merge.duplicate_dismiss, name="duplicate_dismiss"),
    path("retention/", views_privacy.retention_list, name="retention"),
    path("merges/<int:pk>/undo/", views_merge.merge_undo, name="merge_undo"),
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
