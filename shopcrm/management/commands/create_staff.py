from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shopcrm.management.commands._validation import as_command_error
from shopcrm.models import Role
from shopcrm.selectors import shop_by_slug
from shopcrm.services import staff_create


class Command(BaseCommand):
    help = "Give a person (new or existing account) a role in a shop."

    def add_arguments(self, parser):
        parser.add_argument("--shop", required=True, help="the shop's slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args, **opts):
        shop = shop_by_slug(opts["shop"])
        if shop is None:
            raise CommandError(f"No shop with the slug “{opts['shop']}”.")
        try:
            membership = staff_create(
                shop=shop, email=opts["email"], password=opts["password"], role=opts["role"]
            )
        except ValidationError as exc:
            raise as_command_error(exc) from exc
        self.stdout.write(f"{membership.user.email} is {membership.role} of {shop.slug}")
