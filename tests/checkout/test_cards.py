"""A till card says what matched: the digits typed, the word of the name, the pet, the other email."""

import pytest
from django.urls import reverse

from customers.services import customer_update, pet_create
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add

pytestmark = pytest.mark.django_db


def cards(client, query):
    return client.post(reverse("checkout:who"), {"q": query}, HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("06 12", "<mark>06 12</mark> 34 56 78"),
        ("+33 6 12 3", "<mark>06 12 3</mark>4 56 78"),
        ("5678", "06 12 34 <mark>56 78</mark>"),
        ("0612345678", "<mark>06 12 34 56 78</mark>"),
    ],
)
def test_the_digits_typed_are_marked_in_the_number(client_fr, shop_fr, query, shown):
    add(shop_fr, first_name="Hélène", last_name="Dupont", phone="06 12 34 56 78")
    assert shown in cards(client_fr, query)


def test_the_word_typed_is_marked_inside_the_name(client_fr, shop_fr):
    add(shop_fr, first_name="Jean", last_name="de la Fontaine")
    add(shop_fr, first_name="Hélène", last_name="Dupont")
    assert "de la <mark>Font</mark>aine" in cards(client_fr, "font")
    assert "<mark>Hél</mark>ène" in cards(client_fr, "hel")


def test_the_second_person_is_on_the_card_and_marked_when_they_matched(client_fr, shop_fr):
    add(shop_fr, first_name="Jean", last_name="Dupont", also_name="Marie")
    html = cards(client_fr, "marie")
    assert "Aussi sur ce compte : <mark>Marie</mark>" in html
    assert "Aussi sur ce compte : Marie" in cards(client_fr, "jean dupont")


def test_a_pet_and_another_email_say_so(client, shop_us, cashier_us):
    client.force_login(cashier_us)
    owner = add(shop_us, first_name="Ann", last_name="Lee")
    with shop_context(shop_us):
        pet_create(shop=shop_us, by=None, owner=owner, name="Biscuit", species="dog")
        customer_update(shop=shop_us, by=None, customer=owner, secondary_emails=["ann@work.example"])
    assert "Pet: <mark>Bisc</mark>uit" in cards(client, "bisc")
    assert "Other email: <mark>ann@wo</mark>rk.example" in cards(client, "ann@wo")


def test_a_typo_match_says_it_is_a_similar_name(client_fr, shop_fr):
    add(shop_fr, first_name="Hélène", last_name="Dupont")
    assert "Nom proche" in cards(client_fr, "duppont")
