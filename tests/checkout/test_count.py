"""The till says how many customers match in all when its cards are full."""

import pytest
from django.urls import reverse

from tests.conftest import add_customer as add

pytestmark = pytest.mark.django_db


def test_fewer_cards_than_room_are_the_whole_count(client_fr, shop_fr):
    add(shop_fr, first_name="Jean", last_name="Martin")
    html = client_fr.post(reverse("checkout:who"), {"q": "mart"}, HTTP_HX_REQUEST="true").content.decode()
    assert "1 client" in html and "checkout/count" not in html


def test_full_cards_ask_for_the_real_count(client_fr, shop_fr):
    for i in range(15):
        add(shop_fr, first_name=f"Prenom{i}", last_name="Martin", email=f"m{i}@example.org")
    add(shop_fr, first_name="Jean", last_name="de la Martinière")
    html = client_fr.post(reverse("checkout:who"), {"q": "mart"}, HTTP_HX_REQUEST="true").content.decode()
    assert reverse("checkout:count") in html and "12 affichés" in html
    counted = client_fr.post(reverse("checkout:count"), {"q": "mart"}).content.decode()
    assert "12 affichés sur 16" in counted


def test_the_count_reads_only_this_shop(client_fr, shop_fr):
    from tests.conftest import make_shop

    other = make_shop(name="Autre")
    for i in range(20):
        add(other, first_name=f"P{i}", last_name="Martin")
    assert "sur 0" in client_fr.post(reverse("checkout:count"), {"q": "mart"}).content.decode()
    assert client_fr.get(reverse("checkout:count")).status_code == 405
