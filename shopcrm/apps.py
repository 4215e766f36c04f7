from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopcrmConfig(AppConfig):
    name = "shopcrm"
    verbose_name = _("Shops and staff")

    def ready(self):
        # Load the Celery app in every Django process so that tasks publish to our broker.
        # (Not imported from shopcrm/__init__.py: importing the package must not set DJANGO_SETTINGS_MODULE.)
        from django.db.models.signals import post_migrate

        from shopcrm import celery, checks, dbroles  # noqa: F401

        post_migrate.connect(dbroles.post_migrate, sender=self, dispatch_uid="shopcrm.dbroles")
