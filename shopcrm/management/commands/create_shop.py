from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from shopcrm.management.commands._validation import as_command_error
from shopcrm.models import Role
from shopcrm.services import shop_create, staff_create


class Command(BaseCommand):
    help = "Create a shop with its first admin, and print the shop's slug."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--country", required=True, help="ISO code, e.g. FR or US")
        parser.add_argument("--language", required=True, choices=["fr", "en"])
        parser.add_argument("--timezone", required=True, help="e.g. Europe/Paris")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", required=True)

    def handle(self, *args, **opts):
        from django.db import transaction

        try:
            with transaction.atomic():
                shop = shop_create(
                    name=opts["name"],
                    country=opts["country"],
                    language=opts["language"],
                    timezone=opts["timezone"],
                )
                staff_create(
                    shop=shop,
                    email=opts["admin_email"],
                    password=opts["admin_password"],
                    role=Role.ADMIN,
                )
        except ValidationError as exc:
            raise as_command_error(exc) from exc
        self.stdout.write(shop.slug)
