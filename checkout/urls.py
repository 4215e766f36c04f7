from django.urls import path

from checkout import views

app_name = "checkout"

urlpatterns = [
    path("", views.who, name="who"),
    path("walk-in/", views.walk_in, name="walk_in"),
    path("count/", views.count, name="count"),
    path("<customer_number:number>/", views.customer, name="customer"),
    path("<customer_number:number>/prompts/", views.prompts, name="prompts"),
    path("<customer_number:number>/order-ready/", views.order_ready, name="order_ready"),
]
