from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from django.urls import register_converter

        from customers.converters import CustomerNumberConverter

        register_converter(CustomerNumberConverter, "customer_number")
