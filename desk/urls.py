"""The `customers:` URL names: the desk's pages (list, segments, exports, imports, merges, duplicates) and
customers' own, in one namespace (the names the pages and the outside rely on did not change when the desk
moved out of customers)."""

from django.urls import path

from customers.urls import urlpatterns as customer_patterns
from desk.views import imports as views_import
from desk.views import listing as views_list
from desk.views import merge as views_merge
from desk.views import segments as views_segments

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
    path("merges/<int:pk>/undo/", views_merge.merge_undo, name="merge_undo"),
    *customer_patterns,
]
