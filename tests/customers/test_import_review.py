"""The check shows what an import would change, warns of spreadsheet damage, and the confirm writes only
what the check said."""

from html import unescape

import pytest
from django.urls import reverse

from customers.models import Customer
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.customers.test_import import run

pytestmark = pytest.mark.django_db

HEADER = "Nom;Prénom;Téléphone;Email;N° client;Code postal\r\n"


def test_the_check_lists_each_change_and_warns_of_lost_zeros(admin_client_fr, shop_fr):
    customer = add(shop_fr, first_name="Léa", last_name="Martin", internal_id="00042", email="lea@example.fr")
    with shop_context(shop_fr):
        Customer.objects.filter(pk=customer.pk).update(postal_code="01000")
    data = (HEADER + "Martin;Léa;06 12 34 56 78;lea@example.fr;00042;1000\r\n").encode()
    job = run(admin_client_fr, shop_fr, data, confirm=False)
    assert job.check_result["updated"] == 1
    html = unescape(admin_client_fr.get(reverse("customers:import_detail", args=[job.pk])).content.decode())
    assert 'id="import-changes"' in html and "Léa Martin" in html
    assert "Code postal" in html and "01000" in html and "06 12 34 56 78" in html
    assert "Zéros de tête perdus" in html


def test_a_row_that_became_something_else_since_the_check_is_not_imported(admin_client_fr, shop_fr):
    data = (HEADER + "Durand;Paul;06 98 76 54 32;;;75001\r\nPetit;Anne;06 11 22 33 44;;;75002\r\n").encode()
    job = run(admin_client_fr, shop_fr, data, confirm=False)
    assert job.check_result["new"] == 2
    # Meanwhile someone adds a customer with Paul's phone at the till.
    other = add(shop_fr, first_name="Paulette", last_name="Durand-Autre", phone="06 98 76 54 32")
    admin_client_fr.post(reverse("customers:import_confirm", args=[job.pk]))
    with shop_context(shop_fr):
        job.refresh_from_db()
        other.refresh_from_db()
        assert Customer.objects.filter(last_name="Petit").exists()
    assert job.result["new"] == 1 and job.result["updated"] == 0 and job.result["differs_count"] == 1
    assert other.first_name == "Paulette" and other.postal_code == ""  # not overwritten
    row, message = job.result["differs"][0]
    assert row == 2 and other.number in message
    html = unescape(admin_client_fr.get(reverse("customers:import_detail", args=[job.pk])).content.decode())
    assert 'id="import-differs"' in html


@pytest.mark.parametrize(
    ("cell", "hint"),
    [("3,36123E+10", "a perdu ses chiffres"), ("447911123456", "écrivez +447911123456")],
)
def test_phones_damaged_by_a_spreadsheet_say_so(admin_client_fr, shop_fr, cell, hint):
    # (33612345678, a French number without its +, is read as the French number it is.)
    data = (HEADER + f"Durand;Paul;{cell};;;\r\n").encode()
    job = run(admin_client_fr, shop_fr, data, confirm=False)
    assert job.check_result["invalid"] == 1
    assert hint in job.check_result["errors"][0][2], job.check_result["errors"]
