"""The product catalogue imported from a POS's or a distributor's file: columns found by their names in
English or French, UPCs kept as their EAN-13, existing codes updated, bad rows refused with their number."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from loyalty.catalogue_import import catalogue_import
from loyalty.models import Product
from shopcrm.tables.reading import ImportFileError
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db


def test_a_french_csv_with_a_upc_a_bad_price_and_a_repeated_code(shop_fr):
    data = (
        "Code barre;Désignation;Marque;Prix\r\n"
        "012345678905;Croquettes 10 kg;Acme;39,90\r\n"
        "TOILETTAGE;Toilettage chien;;25\r\n"
        "3017620422003;Friandises;Acme;douze\r\n"
        ";Sans code;;1\r\n"
        "TOILETTAGE;Doublon;;30\r\n"
    ).encode("cp1252")
    with shop_context(shop_fr):
        result = catalogue_import(shop=shop_fr, data=data, filename="catalogue.csv")
        assert (result.created, result.updated, result.rejected_count) == (2, 0, 3)
        assert [row for row, _why in result.rejected] == [4, 5, 6]
        assert "same code as row 3" in result.rejected[2][1]
        kibble = Product.objects.get(code="0012345678905")
        assert (kibble.name, kibble.brand, str(kibble.price)) == ("Croquettes 10 kg", "Acme", "39.90")


def test_an_excel_file_updates_what_is_there(shop_us):
    with shop_context(shop_us):
        Product.objects.create(shop=shop_us, code="SKU-1", name="Old name")
    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "Product name", "Brand", "Size", "Retail price"])
    sheet.append(["sku-1", "New name", "Acme", "2 lb", 9.5])
    buffer = io.BytesIO()
    book.save(buffer)
    with shop_context(shop_us):
        result = catalogue_import(shop=shop_us, data=buffer.getvalue(), filename="items.xlsx")
        assert (result.created, result.updated) == (0, 1)
        assert Product.objects.get(code="SKU-1").name == "New name"


def test_a_file_without_a_code_column_is_refused_as_a_whole(shop_us):
    with shop_context(shop_us), pytest.raises(ImportFileError, match="Code"):
        catalogue_import(shop=shop_us, data=b"Name,Price\nKibble,3\n", filename="x.csv")


def test_the_page_imports_and_says_what_it_did(admin_client_us, shop_us):
    upload = SimpleUploadedFile("c.csv", b"UPC,Name,Price\n012345678905,Kibble,12\n,No code,3\n")
    page = admin_client_us.post(reverse("loyalty:products_import"), {"file": upload}).content.decode()
    assert "Added: 1" in page and "refused: 1" in page and "Row 3: no code" in page
    bad = SimpleUploadedFile("c.csv", b"")
    page = admin_client_us.post(reverse("loyalty:products_import"), {"file": bad}).content.decode()
    assert 'id="id_file_error"' in page


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(admin_client_us, shop_us, monkeypatch):
    monkeypatch.setattr("loyalty.catalogue_import.MAX_BYTES", 100)
    upload = SimpleUploadedFile("big.csv", b"Code,Name\n" + b"X1,Kibble\n" * 50)
    page = admin_client_us.post(reverse("loyalty:products_import"), {"file": upload}).content.decode()
    assert 'id="id_file_error"' in page and "larger than 5 MB" in page
    with shop_context(shop_us):
        assert not Product.objects.exists()
