from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shopcrm.models import StaffMembership
from shopcrm.selectors import shop_by_slug
from shopcrm.tenancy import account_find, shop_context, shop_find

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def create_shop_args(**kw):
    spec = {
        "--name": "Boulangerie Martin",
        "--country": "fr",
        "--language": "fr",
        "--timezone": "Europe/Paris",
        "--admin-email": "Owner@Martin.example",
        "--admin-password": "pain-au-chocolat-42",
    }
    spec.update(kw)
    return [item for pair in spec.items() for item in pair]


def test_create_shop_prints_the_slug_and_creates_its_admin():
    slug = run("create_shop", *create_shop_args())
    assert slug == "boulangerie-martin"
    shop = shop_by_slug(slug)
    assert (shop.country, shop.language, shop.timezone) == ("FR", "fr", "Europe/Paris")
    with shop_context(shop):
        membership = StaffMembership.objects.select_related("user").get()
    assert membership.role == "admin"
    assert membership.user.check_password("pain-au-chocolat-42")


def test_create_shop_twice_with_the_same_name_gets_a_distinct_slug():
    first = run("create_shop", *create_shop_args())
    second = run("create_shop", *create_shop_args(**{"--admin-email": "b@martin.example"}))
    assert first != second


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--country", "XX", "not a known country"),
        ("--timezone", "Mars/Olympus", "not a known time zone"),
        ("--admin-password", "123", "password"),
        ("--admin-email", "not-an-email", "email"),
    ],
)
def test_create_shop_with_bad_input_fails_clearly_and_creates_nothing(flag, value, message):
    with pytest.raises(CommandError, match=message):
        run("create_shop", *create_shop_args(**{flag: value}))
    assert shop_find("boulangerie-martin") is None
    assert account_find("owner@martin.example") is None


def test_create_shop_with_an_unknown_language_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        run("create_shop", *create_shop_args(**{"--language": "de"}))
    assert shop_find("boulangerie-martin") is None


def test_create_staff_adds_a_cashier_and_is_idempotent(shop_fr):
    args = [
        "--shop",
        shop_fr.slug,
        "--email",
        "Zoe@Test.example",
        "--password",
        "tickets-and-tills",
    ]
    run("create_staff", *args, "--role", "cashier")
    run("create_staff", *args, "--role", "admin")
    with shop_context(shop_fr):
        membership = StaffMembership.objects.get()
    assert membership.role == "admin"
    assert membership.user_id == account_find("ZOE@test.example")


def test_create_staff_with_an_unknown_shop_fails_clearly():
    with pytest.raises(CommandError, match="No shop"):
        run(
            "create_staff",
            "--shop",
            "nope",
            "--email",
            "a@b.example",
            "--password",
            "x-y-z-w-q-1",
            "--role",
            "cashier",
        )


def test_seed_demo_is_idempotent():
    run("seed_demo")
    run("seed_demo")
    assert shop_find("pressing-des-lilas-2") is None and shop_find("happy-paws-2") is None
    fr = shop_by_slug("pressing-des-lilas")
    us = shop_by_slug("happy-paws")
    assert (fr.country, fr.language, fr.timezone, fr.customer_first) == (
        "FR",
        "fr",
        "Europe/Paris",
        True,
    )
    assert (us.country, us.language, us.timezone, us.pets_enabled) == (
        "US",
        "en",
        "America/New_York",
        True,
    )
    for shop in (fr, us):
        with shop_context(shop):
            assert sorted(StaffMembership.objects.values_list("role", flat=True)) == [
                "admin",
                "cashier",
            ]
