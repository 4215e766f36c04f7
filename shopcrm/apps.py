from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopcrmConfig(AppConfig):
    name = "shopcrm"
    verbose_name = _("Shops and staff")

    def ready(self):
        # Load the Celery app in every Django process so that tasks publish to our broker.
        # (Not imported from shopcrm/__init__.py: importing the package must not set DJANGO_SETTINGS_MODULE.)
        from shopcrm import celery  # noqa: F401
