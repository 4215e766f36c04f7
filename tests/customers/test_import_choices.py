"""An import can leave existing customers as they are, and the columns chosen for a file are offered again
for the next file with the same headers."""

import pytest
from django.urls import reverse

from customers.models import Customer, ImportMapping
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.customers.test_import import job_of, upload

pytestmark = pytest.mark.django_db

FILE = (
    "Famille;Petit nom;Portable;Courriel\r\n"  # two headers nobody would guess
    "Martin;Léa;06 12 34 56 78;lea@example.fr\r\nNeuf;Paul;;paul@example.fr\r\n"
)


def check(client, shop, mapping, **extra):
    job = job_of(shop)
    data = {f"col_{i}": field for i, field in mapping.items()} | extra
    assert client.post(reverse("customers:import_map", args=[job.pk]), data).status_code == 302
    return job_of(shop)


def test_add_new_only_leaves_existing_customers_as_they_are(admin_client_fr, shop_fr):
    lea = add(shop_fr, first_name="Lea", last_name="Martin", email="lea@example.fr")
    upload(admin_client_fr, FILE.encode(), "a.csv")
    columns = {0: "last_name", 1: "first_name", 2: "phone", 3: "email"}
    job = check(admin_client_fr, shop_fr, columns, existing="keep")
    assert (job.check_result["new"], job.check_result["kept"], job.check_result["updated"]) == (1, 1, 0)
    admin_client_fr.post(reverse("customers:import_confirm", args=[job.pk]))
    with shop_context(shop_fr):
        lea.refresh_from_db()
        assert lea.first_name == "Lea" and not lea.phone  # untouched
        assert Customer.objects.filter(last_name="Neuf").exists()
    html = admin_client_fr.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert "laissé tel quel" in html


def test_the_columns_chosen_are_offered_again_for_the_same_headers(admin_client_fr, shop_fr):
    upload(admin_client_fr, FILE.encode(), "janvier.csv")
    first = job_of(shop_fr)
    assert "0" not in first.mapping and "1" not in first.mapping
    columns = {0: "last_name", 1: "first_name", 2: "phone", 3: "email"}
    check(admin_client_fr, shop_fr, columns, existing="keep")
    upload(admin_client_fr, FILE.replace("Léa", "Zoé").encode(), "fevrier.csv")
    second = job_of(shop_fr)
    assert second.pk != first.pk
    assert second.mapping == {"0": "last_name", "1": "first_name", "2": "phone", "3": "email"}
    assert second.update_existing is False
    html = admin_client_fr.get(reverse("customers:import_detail", args=[second.pk])).content.decode()
    assert 'id="import-remembered"' in html


def test_another_shop_does_not_get_this_shops_columns(admin_client_fr, shop_fr, client, shop_us, admin_us):
    upload(admin_client_fr, FILE.encode(), "a.csv")
    check(admin_client_fr, shop_fr, {0: "last_name", 1: "first_name", 2: "phone", 3: "email"})
    client.force_login(admin_us)
    upload(client, FILE.encode(), "b.csv")
    assert job_of(shop_us).mapping.get("0") != "last_name"  # the guess, not the other shop's choice
    with shop_context(shop_us):
        assert not ImportMapping.objects.exists()
    with shop_context(shop_fr):
        assert ImportMapping.objects.count() == 1
