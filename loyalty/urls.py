from django.urls import path

from loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("", views.programs, name="programs"),
    path("programs/new/", views.program_new, name="program_new"),
    path("training-customer/", views.training_customer, name="training_customer"),
    path("programs/<int:pk>/", views.program_edit, name="program_edit"),
    path("programs/<int:pk>/pause/", views.program_pause, name="program_pause"),
    path("products/", views.products, name="products"),
    path("products/import/", views.products_import, name="products_import"),
    path("products/<int:pk>/", views.product_edit, name="product_edit"),
    path("redemptions/", views.redemptions, name="redemptions"),
    path("redemptions/batches/", views.batch_create, name="batch_create"),
    path("redemptions/batches/<int:pk>/credited/", views.batch_credit, name="batch_credit"),
    path("redemptions/batches/<int:pk>.<str:fmt>", views.batch_download, name="batch_download"),
]
