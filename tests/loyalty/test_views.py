"""The loyalty screens and the checkout's loyalty section through HTTP: labels the outside relies on, errors
next to the field, and no way into another shop's programs, products, cards or lines."""

import pytest
from django.test import Client
from django.urls import reverse

from loyalty import sales, services
from loyalty.models import Card, LedgerEntry, Program, SaleLine
from loyalty.sales import LineIn
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def till_us(client, cashier_us):
    """A cashier of the English-speaking shop (the messages below are its)."""
    client.force_login(cashier_us)
    return client


CODE = "3017620422003"


def _program(shop, **rule):
    spec = {"purchases_needed": 2, "codes": CODE, "reward": "same_product", **rule}
    with shop_context(shop):
        services.product_save(shop=shop, code=CODE, name="Kibble 2 kg", brand="Acme", price="12.00")
        return services.program_create(shop=shop, by=None, name="Acme kibble", kind="frequent_buyer", **spec)


def test_an_admin_creates_a_program_with_the_labels_the_outside_relies_on(admin_client_us, shop_us):
    admin_client_fr, shop_fr = admin_client_us, shop_us  # an English-speaking shop: the contract's labels
    page = admin_client_fr.get(reverse("loyalty:programs")).content.decode()
    assert ">Loyalty<" in page and "New program" in page
    form = admin_client_fr.get(reverse("loyalty:program_new")).content.decode()
    for label in (
        "Name",
        "Type",
        "Frequent buyer",
        "Service card",
        "Cash back",
        "Points",
        "Purchases needed",
        "Qualifying product codes",
        "Save program",
    ):
        assert label in form, label
    response = admin_client_fr.post(
        reverse("loyalty:program_new"),
        {
            "name": "Acme",
            "kind": "frequent_buyer",
            "purchases_needed": "10",
            "codes": "012345678905\nGROOM",
            "reward": "same_product",
            "points_per_unit": "1",
            "rounding": "down",
        },
    )
    assert response.status_code == 302
    with shop_context(shop_fr):
        program = Program.objects.get()
        assert (program.current.purchases_needed, program.current.codes) == (10, ["0012345678905", "GROOM"])


def test_a_bad_program_is_refused_next_to_its_fields(admin_client_fr, shop_fr):
    response = admin_client_fr.post(
        reverse("loyalty:program_new"),
        {"name": "", "kind": "frequent_buyer", "purchases_needed": "0", "codes": "", "reward": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    for field in ("name", "purchases_needed", "codes", "reward"):
        assert f'id="field-{field}"' in page
        assert f'id="id_{field}_error"' in page, field
    with shop_context(shop_fr):
        assert not Program.objects.exists()


def test_cashiers_do_not_reach_the_loyalty_settings(client_fr):
    assert client_fr.get(reverse("loyalty:programs")).status_code == 403
    assert ">Loyalty<" not in client_fr.get(reverse("checkout:who")).content.decode()


def test_the_checkout_scans_a_line_and_shows_the_reward(till_us, shop_us):
    _program(shop_us)
    betty = add_customer(shop_us, email="betty@example.com")
    page = till_us.get(reverse("checkout:customer", args=[betty.number])).content.decode()
    assert "Scan or type a product code" in page
    url = reverse("checkout:scan", args=[betty.number])
    till_us.post(url, {"code": CODE, "quantity": "1"}, HTTP_HX_REQUEST="true")
    fragment = till_us.post(url, {"code": CODE, "quantity": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Reward earned" in fragment and ">Redeem<" in fragment and "Kibble 2 kg" in fragment
    with shop_context(shop_us):
        card = Card.objects.get()
    response = till_us.post(
        reverse("checkout:redeem", args=[betty.number, card.pk]),
        {f"card{card.pk}-item_code": CODE},
        HTTP_HX_REQUEST="true",
    )
    assert "Reward given" in response.content.decode()
    with shop_context(shop_us):
        assert LedgerEntry.objects.filter(kind="redemption", redeems=card).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "", "quantity": "1"}, "code", "required"),
        ({"code": CODE, "quantity": "0"}, "quantity", "At least 1"),
        ({"code": CODE, "quantity": "10000"}, "quantity", "At most"),
        ({"code": CODE, "quantity": "1", "amount": "-3"}, "amount", "negative"),
    ],
)
def test_a_bad_scan_is_refused_next_to_its_field(till_us, shop_us, data, field, message):
    _program(shop_us)
    betty = add_customer(shop_us)
    page = till_us.post(reverse("checkout:scan", args=[betty.number]), data, HTTP_HX_REQUEST="true")
    text = page.content.decode()
    assert page.status_code == 200 and f'id="id_{field}_error"' in text and message in text
    with shop_context(shop_us):
        assert not SaleLine.objects.exists()


def test_a_refund_from_the_checkout_is_a_reversal(till_us, shop_us):
    _program(shop_us)
    betty = add_customer(shop_us)
    with shop_context(shop_us):
        (line,) = sales.sale_record(shop=shop_us, customer=betty, by=None, lines=[LineIn(code=CODE)]).lines
    url = reverse("checkout:line_reverse", args=[betty.number, line.pk])
    assert "Refunded" in till_us.post(url, HTTP_HX_REQUEST="true").content.decode()
    again = till_us.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "already refunded" in again
    with shop_context(shop_us):
        assert SaleLine.objects.count() == 2
        assert sum(LedgerEntry.objects.values_list("punches", flat=True)) == 0


def test_another_shop_reaches_nothing_of_this_shops_loyalty(shop_fr, shop_us, admin_client_us):
    program = _program(shop_fr)
    betty = add_customer(shop_fr)
    with shop_context(shop_fr):
        result = sales.sale_record(
            shop=shop_fr, customer=betty, by=None, lines=[LineIn(code=CODE, quantity=2)]
        )
        card = Card.objects.get()
        product = services.product_save(shop=shop_fr, code="X1", name="Other")
    client = admin_client_us
    assert client.get(reverse("loyalty:program_edit", args=[program.pk])).status_code == 404
    assert (
        client.post(reverse("loyalty:program_pause", args=[program.pk]), {"paused": "1"}).status_code == 404
    )
    assert client.get(reverse("loyalty:product_edit", args=[product.pk])).status_code == 404
    assert CODE not in client.get(reverse("loyalty:products")).content.decode()
    # Betty's number does not exist in the other shop: every till URL with it is a 404.
    for url in (
        reverse("checkout:scan", args=[betty.number]),
        reverse("checkout:line_reverse", args=[betty.number, result.lines[0].pk]),
        reverse("checkout:redeem", args=[betty.number, card.pk]),
    ):
        assert client.post(url, {"code": CODE}).status_code == 404, url
    # With one of its own customers, the other shop's line and card ids are not found either.
    own = add_customer(shop_us, first_name="Own")
    refused = client.post(
        reverse("checkout:line_reverse", args=[own.number, result.lines[0].pk]), HTTP_HX_REQUEST="true"
    )
    assert "not one of this customer" in refused.content.decode()
    redeem = client.post(reverse("checkout:redeem", args=[own.number, card.pk]), HTTP_HX_REQUEST="true")
    assert "no longer waiting" in redeem.content.decode()
    with shop_context(shop_fr):
        assert Card.objects.get().status == "complete"
        assert not SaleLine.objects.filter(reverses__isnull=False).exists()
        assert Program.objects.get().paused_at is None


def test_the_till_card_and_the_customer_page_show_points_and_rewards(till_us, shop_us):
    with shop_context(shop_us):
        services.product_save(shop=shop_us, code=CODE, name="Kibble 2 kg", price="12.00")
        services.program_create(
            shop=shop_us,
            by=None,
            name="Kibble card",
            kind="frequent_buyer",
            purchases_needed=1,
            codes=CODE,
            reward="same_product",
        )
        services.program_create(
            shop=shop_us, by=None, name="Points", kind="points", points_per_unit="1", rewards="100 = A toy"
        )
    mia = add_customer(shop_us, first_name="Mia", last_name="Wong")
    with shop_context(shop_us):
        sales.sale_record(shop=shop_us, customer=mia, by=None, lines=[LineIn(code=CODE)])
    cards = till_us.post(reverse("checkout:who"), {"q": "wong"}, HTTP_HX_REQUEST="true").content.decode()
    assert "12 points · 1 reward waiting" in cards
    page = till_us.get(reverse("customers:detail", args=[mia.number])).content.decode()
    assert "Reward earned" in page and "88 more points to: A toy" in page and "Kibble 2 kg" in page


def test_a_card_or_points_of_another_customer_or_shop_cannot_be_given(till_us, shop_us, shop_fr, admin_fr):
    with shop_context(shop_us):
        services.product_save(shop=shop_us, code=CODE, name="Kibble 2 kg", price="12.00")
        services.program_create(
            shop=shop_us,
            by=None,
            name="Card",
            kind="frequent_buyer",
            purchases_needed=1,
            codes=CODE,
            reward="same_product",
        )
        points = services.program_create(
            shop=shop_us, by=None, name="Points", kind="points", points_per_unit="10", rewards="10 = A toy"
        )
    mia = add_customer(shop_us, first_name="Mia")
    bob = add_customer(shop_us, first_name="Bob", phone="+14155550111")
    with shop_context(shop_us):
        sales.sale_record(shop=shop_us, customer=mia, by=None, lines=[LineIn(code=CODE)])
        card = Card.objects.get(customer=mia, program__kind="frequent_buyer")
    # Mia's card through Bob's checkout screen, in the same shop.
    page = till_us.post(
        reverse("checkout:redeem", args=[bob.number, card.pk]),
        {f"card{card.pk}-item_code": CODE},
        HTTP_HX_REQUEST="true",
    )
    assert "no longer waiting" in page.content.decode()
    # Another shop's admin: their own customer, this shop's points program.
    admin_client_fr = Client()  # a browser of its own (`till_us` holds the shared client)
    admin_client_fr.force_login(admin_fr)
    own = add_customer(shop_fr, first_name="Léa")
    spent = admin_client_fr.post(
        reverse("checkout:points_redeem", args=[own.number, points.pk]),
        {"points": "10"},
        HTTP_HX_REQUEST="true",
    )
    assert spent.status_code == 200
    # …and this shop's customer as their training customer.
    named = admin_client_fr.post(reverse("loyalty:training_customer"), {"training_customer": mia.number})
    assert 'id="id_training_customer_error"' in named.content.decode()
    with shop_context(shop_us):
        assert not LedgerEntry.objects.filter(kind="redemption").exists()
        assert Card.objects.get(pk=card.pk).status == "complete"
        assert Card.objects.get(customer=mia, program=points).points == 120
