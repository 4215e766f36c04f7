import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.services import customer_update, pet_create
from shopcrm.services import shop_update
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add

pytestmark = pytest.mark.django_db


def test_the_till_page_has_the_find_a_customer_box(client, cashier_us):
    client.force_login(cashier_us)
    html = client.get(reverse("checkout:who")).content.decode()
    assert "Find a customer" in html and "Continue without a customer" in html


def test_typing_returns_a_fragment_of_cards(client, shop_us, cashier_us):
    client.force_login(cashier_us)
    add(shop_us, phone="(201) 555-0123")
    response = client.post(reverse("checkout:who"), {"q": "0123"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    # The digits typed are marked in the number as shown.
    assert "Smith" in html and "(201) 555-<mark>0123</mark>" in html
    assert response.headers["Vary"].count("HX-Request") == 1


def test_cards_show_pets_tags_and_company_with_every_value_escaped(client, shop_us, cashier_us):
    from customers.services import customer_tags_set

    client.force_login(cashier_us)
    pro = add(
        shop_us,
        type="professional",
        first_name="<b>Al</b>",
        last_name="O'Connor & Sons",
        company_name="<script>x</script> Ltd",
        civility="mr",
    )
    with shop_context(shop_us):
        pet_create(shop=shop_us, by=None, owner=pro, name="Rex <i>", species="dog")
        customer_tags_set(shop=shop_us, by=None, customer=pro, names=["VIP <3"])
    html = client.post(reverse("checkout:who"), {"q": "oconnor"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<script>" not in html and "<b>Al" not in html and "<i>" not in html
    assert "&lt;b&gt;Al&lt;/b&gt; <strong><mark>O&#x27;Connor</mark> &amp; Sons</strong>" in html
    assert "&lt;script&gt;x&lt;/script&gt; Ltd" in html and "ccard--pro" in html and "Professional" in html
    assert "Rex &lt;i&gt; · Dog" in html and "VIP &lt;3" in html


def test_cards_in_a_french_shop_speak_french(client_fr, shop_fr):
    add(shop_fr, type="professional", company_name="Blanchisserie", internal_id="C-907")
    html = client_fr.post(reverse("checkout:who"), {"q": "C-907"}, HTTP_HX_REQUEST="true").content.decode()
    assert "N° <mark>C-907</mark>" in html and "Professionnel" in html


def test_without_htmx_the_search_renders_the_full_page(client, shop_us, cashier_us):
    client.force_login(cashier_us)
    add(shop_us)
    html = client.post(reverse("checkout:who"), {"q": "smi"}).content.decode()
    assert "<html" in html and "<mark>Smi</mark>th" in html


@pytest.mark.parametrize(
    ("query", "order", "fields"),
    [
        ("06 12 34 56 78", "first_last", {"phone": "06 12 34 56 78"}),
        ("dupont", "first_last", {"last_name": "dupont"}),
        ("a@b.fr", "first_last", {"email": "a@b.fr"}),
        ("Yann Le Gall", "first_last", {"first_name": "Yann", "last_name": "Le Gall"}),
        (
            "Jean-Pierre  de la Fontaine",
            "first_last",
            {"first_name": "Jean-Pierre", "last_name": "de la Fontaine"},
        ),
        ("Dupont Marie", "last_first", {"first_name": "Marie", "last_name": "Dupont"}),
        ("DUPONT Marie", "first_last", {"first_name": "Marie", "last_name": "DUPONT"}),
        ("Marie LE GALL", "last_first", {"first_name": "Marie", "last_name": "LE GALL"}),
    ],
)
def test_add_customer_from_the_search_carries_what_was_typed_split_in_the_shops_order(
    client_fr, shop_fr, query, order, fields
):
    shop_update(shop=shop_fr, name_order=order)
    html = unescape(
        client_fr.post(reverse("checkout:who"), {"q": query}, HTTP_HX_REQUEST="true").content.decode()
    )
    assert f'name="q" value="{query}"' in html
    form = unescape(client_fr.post(reverse("customers:new"), {"prefill": "1", "q": query}).content.decode())
    for field, value in fields.items():
        assert re.search(rf'name="{field}" value="{re.escape(value)}"', form), (field, value)
    assert "field__error" not in form


def test_the_headers_add_customer_opens_the_form_in_a_customer_first_shop(client_fr):
    html = client_fr.get(reverse("checkout:who")).content.decode()
    assert f'href="{reverse("customers:new")}" class="topbar__add"' in html


def test_a_customer_first_shop_opens_on_who_is_this_for(client_fr):
    assert client_fr.get("/").url == reverse("checkout:who")


def test_the_checkout_screen_says_no_email_on_file_and_prompts(client, shop_us, cashier_us):
    client.force_login(cashier_us)
    shop_update(shop=shop_us, checkout_email="required")
    customer = add(shop_us)
    with shop_context(shop_us):
        pet_create(
            shop=shop_us,
            by=None,
            owner=customer,
            name="Rex",
            species="dog",
            birth_month=timezone.localdate().month,
        )
    html = unescape(client.get(reverse("checkout:customer", args=[customer.number])).content.decode())
    assert "No email on file" in html
    assert "Required:" in html
    assert "Rex's birthday month" in html
    assert "Record visit" in html


def test_record_visit_sets_last_visit(client_fr, shop_fr):
    customer = add(shop_fr)
    url = reverse("customers:visit", args=[customer.number])
    response = client_fr.post(url, {"next": reverse("checkout:customer", args=[customer.number])})
    assert response.status_code == 302
    with shop_context(shop_fr):
        customer.refresh_from_db()
    assert customer.last_visit_at is not None


@pytest.mark.parametrize("next_url", ["0", "checkout", "//evil.example/", "https://evil.example/", "🙂"])
def test_record_visit_goes_back_only_to_a_path_of_this_site(client_fr, shop_fr, next_url):
    customer = add(shop_fr)
    response = client_fr.post(reverse("customers:visit", args=[customer.number]), {"next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/") and "evil" not in response.headers["Location"]


def test_walk_in_page_explains_no_message_can_reach_them(client_fr):
    html = unescape(client_fr.get(reverse("checkout:walk_in")).content.decode())
    assert "Client de passage" in html


@pytest.mark.parametrize("query", ["", " ", "%", "_", "\\", "🙂", "x" * 600, "<script>", "06\x0012"])
def test_odd_queries_never_500(client_fr, query):
    assert client_fr.post(reverse("checkout:who"), {"q": query}, HTTP_HX_REQUEST="true").status_code == 200


def test_a_required_field_must_be_filled_before_the_visit_is_recorded(client, shop_us, cashier_us):
    client.force_login(cashier_us)
    shop_update(shop=shop_us, checkout_email="required")
    customer = add(shop_us)
    screen = reverse("checkout:customer", args=[customer.number])
    refused = client.post(reverse("customers:visit", args=[customer.number]), {"next": screen}, follow=True)
    html = unescape(refused.content.decode())
    assert "Add what the shop requires first: No email on file." in html and "Add it" in html
    with shop_context(shop_us):
        customer.refresh_from_db()
        assert customer.last_visit_at is None
        customer_update(shop=shop_us, by=None, customer=customer, email="ann@example.com")
    # The edit popup's save asks for the prompts again: the one for the email is gone.
    prompts = unescape(
        client.get(
            reverse("checkout:prompts", args=[customer.number]), HTTP_HX_REQUEST="true"
        ).content.decode()
    )
    assert "No email on file" not in prompts and 'id="checkout-prompts"' in prompts
    done = client.post(reverse("customers:visit", args=[customer.number]), {"next": screen}, follow=True)
    assert "Visit recorded." in unescape(done.content.decode())
    with shop_context(shop_us):
        customer.refresh_from_db()
        assert customer.last_visit_at is not None


def test_another_shops_prompts_are_404(client_fr, shop_us):
    customer = add(shop_us)
    assert client_fr.get(reverse("checkout:prompts", args=[customer.number])).status_code == 404
