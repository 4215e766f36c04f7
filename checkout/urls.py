from django.urls import path

from checkout import views, views_loyalty

app_name = "checkout"

urlpatterns = [
    path("", views.who, name="who"),
    path("walk-in/", views.walk_in, name="walk_in"),
    path("count/", views.count, name="count"),
    path("<customer_number:number>/", views.customer, name="customer"),
    path("<customer_number:number>/prompts/", views.prompts, name="prompts"),
    path("<customer_number:number>/order-ready/", views.order_ready, name="order_ready"),
    path("<customer_number:number>/scan/", views_loyalty.scan, name="scan"),
    path(
        "<customer_number:number>/lines/<int:line_id>/refund/",
        views_loyalty.line_reverse,
        name="line_reverse",
    ),
    path("<customer_number:number>/cards/<int:card_id>/redeem/", views_loyalty.redeem, name="redeem"),
    path(
        "<customer_number:number>/points/<int:program_id>/redeem/",
        views_loyalty.points_redeem,
        name="points_redeem",
    ),
]
