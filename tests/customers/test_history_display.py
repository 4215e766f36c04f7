"""The history reads as the rest of the page: translated field names, national phones, lists as text,
choices by their labels, and the import's lines."""

from html import unescape

from django.urls import reverse

from customers.models import Customer
from customers.services import customer_update
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.customers.test_import import run


def test_changes_show_translated_names_and_formatted_values(admin_client_fr, shop_fr):
    customer = add(shop_fr, first_name="Hélène", last_name="Dupont", phone="0612345678")
    with shop_context(shop_fr):
        customer_update(
            shop=shop_fr,
            by=None,
            customer=customer,
            phone="07 98 76 54 32",
            secondary_emails=["h.dupont@example.com", "helene@example.org"],
            civility="mrs",
        )
    page = unescape(admin_client_fr.get(reverse("customers:detail", args=[customer.number])).content.decode())
    assert "Téléphone mobile" in page and "06 12 34 56 78" in page and "07 98 76 54 32" in page
    assert "+33798765432" not in page.split('class="history"')[1]
    assert "h.dupont@example.com, helene@example.org" in page and "['" not in page
    assert "Civilité" in page and "Mme" in page


def test_an_imports_lines_say_which_file(admin_client_fr, shop_fr):
    run(admin_client_fr, shop_fr, "Nom;Prénom\r\nDurand;Paul\r\n".encode(), name="ancien-logiciel.csv")
    with shop_context(shop_fr):
        paul = Customer.objects.get(last_name="Durand")
    page = unescape(admin_client_fr.get(reverse("customers:detail", args=[paul.number])).content.decode())
    history = page.split('class="history"')[-1]
    assert "ancien-logiciel.csv" in history and "Import" in history
