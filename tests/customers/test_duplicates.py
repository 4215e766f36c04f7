"""The duplicate finder suggests likely pairs of one shop, strongest first; a dismissed pair stays gone."""

import pytest
from django.urls import reverse

from customers.services import customer_update
from desk.duplicates import duplicate_dismiss, duplicate_suggestions
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.conftest import make_shop

pytestmark = pytest.mark.django_db


def located(shop, customer, **values):
    with shop_context(shop):
        return customer_update(shop=shop, by=None, customer=customer, **values)


@pytest.fixture
def lookalikes(shop_fr):
    a = add(shop_fr, first_name="Marie", last_name="Dupont", email="marie@example.fr")
    b = add(shop_fr, first_name="Marie", last_name="Dupont")
    located(shop_fr, a, postal_code="75011", address_line1="3 rue des Lilas")
    located(shop_fr, b, postal_code="75011", address_line1="12 rue Oberkampf")
    c = add(shop_fr, first_name="Jean", last_name="Lefebvre")
    d = add(shop_fr, first_name="Jean", last_name="Lefèbre")
    located(shop_fr, c, postal_code="69001", address_line1="8 quai Saint-Vincent")
    located(shop_fr, d, postal_code="69001", address_line1="8 Quai Saint-Vincent")
    e = add(shop_fr, first_name="Paul", last_name="Martin", email="paul@example.fr")
    f = add(shop_fr, first_name="P.", last_name="Martin-Durand")
    located(shop_fr, f, secondary_emails=["Paul@Example.fr"])
    add(shop_fr, first_name="Zoé", last_name="Seule", email="zoe@example.fr")
    return {"name_postal": (a, b), "typo_street": (c, d), "email": (e, f)}


def pairs(shop):
    with shop_context(shop):
        return [({s.first.pk, s.second.pk}, s.reasons) for s in duplicate_suggestions(shop=shop)]


def test_each_kind_of_lookalike_is_suggested_strongest_first(shop_fr, lookalikes):
    found = pairs(shop_fr)
    assert [reasons for _ids, reasons in found] == [["email"], ["name_postal"], ["typo_street"]]
    for ids, reasons in found:
        assert ids == {c.pk for c in lookalikes[reasons[0]]}


def test_a_dismissed_pair_is_not_suggested_again(shop_fr, lookalikes):
    first, second = lookalikes["name_postal"]
    with shop_context(shop_fr):
        duplicate_dismiss(shop=shop_fr, by=None, first=second, second=first)
        duplicate_dismiss(shop=shop_fr, by=None, first=first, second=second)  # twice is harmless
    assert [reasons for _ids, reasons in pairs(shop_fr)] == [["email"], ["typo_street"]]


def test_the_page_offers_review_and_dismiss(admin_client_fr, shop_fr, lookalikes):
    html = admin_client_fr.get(reverse("customers:duplicates")).content.decode()
    a, b = lookalikes["email"]
    assert (
        f"customer={a.number}&amp;customer={b.number}" in html
        or f"customer={b.number}&amp;customer={a.number}" in html
    )
    assert "Même adresse e-mail" in html
    response = admin_client_fr.post(
        reverse("customers:duplicate_dismiss"), {"customer": [a.number, b.number]}
    )
    assert response.status_code == 302
    assert [reasons for _ids, reasons in pairs(shop_fr)] == [["name_postal"], ["typo_street"]]


def test_another_shops_customers_are_never_paired_or_dismissed(client, shop_fr, lookalikes, admin_us):
    other = make_shop(name="Autre")
    twin = add(other, first_name="Marie", last_name="Dupont")
    located(other, twin, postal_code="75011")
    assert all(twin.pk not in ids for ids, _r in pairs(shop_fr))
    client.force_login(admin_us)
    a, _b = lookalikes["name_postal"]
    assert (
        client.post(reverse("customers:duplicate_dismiss"), {"customer": [a.number, twin.number]}).status_code
        == 404
    )


def test_cashiers_cannot_see_duplicates(client_fr):
    assert client_fr.get(reverse("customers:duplicates")).status_code == 403
