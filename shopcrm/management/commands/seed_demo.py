from django.core.management.base import BaseCommand
from django.db import transaction

from shopcrm.models import Role, Shop
from shopcrm.services import shop_create, staff_create

DEMO_PASSWORD = "till-demo-2026"  # noqa: S105 (printed on purpose: demo data only)

DEMO_SHOPS = [
    {
        "slug": "pressing-des-lilas",
        "name": "Pressing des Lilas",
        "country": "FR",
        "language": "fr",
        "timezone": "Europe/Paris",
        "options": {"customer_first": True, "internal_id_enabled": True},
        "staff": [
            ("admin@pressing-des-lilas.example", Role.ADMIN, "Claire Admin"),
            ("caisse@pressing-des-lilas.example", Role.CASHIER, "Hugo Caisse"),
        ],
    },
    {
        "slug": "happy-paws",
        "name": "Happy Paws Pet Supply",
        "country": "US",
        "language": "en",
        "timezone": "America/New_York",
        "options": {"pets_enabled": True, "show_customer_number": True},
        "staff": [
            ("admin@happy-paws.example", Role.ADMIN, "Dana Admin"),
            ("cashier@happy-paws.example", Role.CASHIER, "Sam Cashier"),
        ],
    },
]


class Command(BaseCommand):
    help = "Create the two demo shops (a French dry cleaner, a US pet store) and their staff. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the demo already exists")
        parser.add_argument("--print-logins", action="store_true", help="only print the demo logins")

    def handle(self, *args, **opts):
        if opts["print_logins"]:
            self._print_logins()
            return
        existing = Shop.objects.filter(slug__in=[d["slug"] for d in DEMO_SHOPS]).count()
        if opts["if_empty"] and existing == len(DEMO_SHOPS):
            return
        with transaction.atomic():
            for spec in DEMO_SHOPS:
                shop = Shop.objects.filter(slug=spec["slug"]).first() or shop_create(
                    name=spec["name"],
                    slug=spec["slug"],
                    country=spec["country"],
                    language=spec["language"],
                    timezone=spec["timezone"],
                    **spec["options"],
                )
                for email, role, full_name in spec["staff"]:
                    staff_create(
                        shop=shop,
                        email=email,
                        password=DEMO_PASSWORD,
                        role=role,
                        full_name=full_name,
                    )
        self.stdout.write(self.style.SUCCESS("Demo shops ready."))
        self._print_logins()

    def _print_logins(self):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for spec in DEMO_SHOPS:
            for email, role, _name in spec["staff"]:
                self.stdout.write(f"  {spec['name']:<24} {role:<8} {email}")
