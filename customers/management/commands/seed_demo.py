import random

from django.core.management.base import BaseCommand
from django.db import transaction

from customers import demo
from customers.models import Customer
from customers.services import DuplicateCustomer, customer_create, customer_tags_set, pet_create
from messaging import consent
from messaging.models import Channel, ConsentEvent
from shopcrm.models import Role
from shopcrm.selectors import shop_by_slug
from shopcrm.services import shop_create, staff_create
from shopcrm.tenancy import shop_context, shop_find

DEMO_CUSTOMERS = 250
DEMO_PASSWORD = "till-demo-2026"  # noqa: S105 (printed on purpose: demo data only)

DEMO_SHOPS = [
    {
        "slug": "pressing-des-lilas",
        "name": "Pressing des Lilas",
        "country": "FR",
        "language": "fr",
        "timezone": "Europe/Paris",
        "options": {
            "customer_first": True,
            "internal_id_enabled": True,
            "checkout_phone": "required",
            "checkout_email": "recommended",
            "contact_phone": "01 42 00 00 00",
            "contact_email": "bonjour@pressing-des-lilas.example",
            "postal_address": "12 rue des Lilas, 75019 Paris",
        },
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
        "options": {
            "pets_enabled": True,
            "show_customer_number": True,
            "checkout_email": "recommended",
            "checkout_address": "recommended",
            "contact_phone": "(718) 555-0100",
            "contact_email": "hello@happy-paws.example",
            "postal_address": "240 Court Street, Brooklyn, NY 11201",
        },
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
        existing = sum(shop_find(d["slug"]) is not None for d in DEMO_SHOPS)
        if opts["if_empty"] and existing == len(DEMO_SHOPS):
            return
        with transaction.atomic():
            for spec in DEMO_SHOPS:
                shop = shop_by_slug(spec["slug"]) or shop_create(
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
                _seed_customers(shop, DEMO_CUSTOMERS)
        self.stdout.write(self.style.SUCCESS("Demo shops ready."))
        if not opts["if_empty"]:
            self._print_logins()

    def _print_logins(self):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for spec in DEMO_SHOPS:
            for email, role, _name in spec["staff"]:
                self.stdout.write(f"  {spec['name']:<24} {role:<8} {email}")


def _seed_customers(shop, count: int) -> None:
    """A few hundred believable customers, the same on every machine (fixed seed); skipped if present."""
    rng = random.Random(shop.slug)
    with shop_context(shop):
        if Customer.objects.filter(shop=shop).exists():
            return
        firsts, lasts = demo.names_for(shop.country)
        tags = demo.FR_TAGS if shop.country == "FR" else demo.US_TAGS
        species = [s for s, w in demo.SPECIES_WEIGHTS for _ in range(w)]
        for n in range(count):
            first, last = rng.choice(firsts), rng.choice(lasts)
            try:
                customer = customer_create(
                    shop=shop,
                    by=None,
                    civility=demo.civility_for(first, rng),
                    first_name=first,
                    last_name=last,
                    phone=demo.mobile_number(shop.country, rng) if rng.random() < 0.85 else "",
                    email=demo.email_for(first, last, n, rng) if rng.random() < 0.6 else "",
                    internal_id=f"A{1000 + n}" if shop.internal_id_enabled and rng.random() < 0.7 else "",
                )
            except DuplicateCustomer:
                continue  # a random phone drawn twice
            _seed_consent(shop, customer, rng)
            if rng.random() < 0.3:
                customer_tags_set(
                    shop=shop, by=None, customer=customer, names=rng.sample(tags, rng.randint(1, 2))
                )
            if shop.pets_enabled and rng.random() < 0.7:
                for _ in range(rng.choice([1, 1, 1, 2, 3])):
                    pet_create(
                        shop=shop,
                        by=None,
                        owner=customer,
                        name=rng.choice(demo.PET_NAMES),
                        species=rng.choice(species),
                        birth_month=rng.randint(1, 12),
                        birth_year=rng.randint(2010, 2025),
                    )


def _seed_consent(shop, customer, rng: random.Random) -> None:
    """Consent as a shop that has used shopcrm for a while would have it, through the same services a
    customer's own clicks and replies go through (so the ledger holds every event a campaign relies on):
    about half confirmed, some still pending, a few who withdrew."""
    if customer.email:
        roll = rng.random()
        if roll < 0.6:
            consent.requests_record(shop=shop, customer=customer, by=None, channels=[Channel.EMAIL])
        if roll < 0.45:
            consent.email_verify(shop=shop, customer=customer, user_agent="demo data")
        if roll < 0.05:
            consent.email_unsubscribe(shop=shop, customer=customer, detail="demo data")
    if customer.phone:
        roll = rng.random()
        if roll < 0.55:
            consent.requests_record(shop=shop, customer=customer, by=None, channels=[Channel.SMS])
        if roll < 0.4:
            consent.sms_confirm(
                shop=shop, customer=customer, source=ConsentEvent.Source.SMS_REPLY, detail="demo"
            )
        if roll < 0.04:
            consent.sms_opt_out(
                shop=shop, customer=customer, source=ConsentEvent.Source.SMS_REPLY, detail="demo"
            )
