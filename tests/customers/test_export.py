import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from customers.models import Customer, Export
from customers.services import customer_tags_set, pet_create
from desk import export
from desk.listing import CustomerFilter
from desk.tasks import build_export
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.conftest import export_post

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    text = body.decode("utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_csv_export_golden_rows(admin_client_us, shop_us):
    customer = add(
        shop_us,
        civility="mrs",
        first_name="Zoë",
        last_name="O'Brien",
        phone="(415) 555-0101",
        email="zoe@example.com",
    )
    with shop_context(shop_us):
        pet_create(
            shop=shop_us, by=None, owner=customer, name="Mia", species="cat", birth_month=3, birth_year=2020
        )
        pet_create(shop=shop_us, by=None, owner=customer, name="Rex", species="dog")
        customer_tags_set(shop=shop_us, by=None, customer=customer, names=["VIP", "Groomer"])
        Customer.objects.filter(pk=customer.pk).update(notes="Line one\nLine two; with, separators")
    response = export_post(admin_client_us, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    header, row = rows
    record = dict(zip(header, row, strict=True))
    assert record["Customer number"] == customer.number
    assert record["Civility"] == "Mrs"
    assert record["First name"] == "Zoë"
    assert record["Last name"] == "O'Brien"
    assert record["Mobile phone (international)"] == "+14155550101"
    assert record["Mobile phone (national)"] == "(415) 555-0101"
    assert record["Email"] == "zoe@example.com"
    assert record["Tags"] == "Groomer, VIP"
    assert record["Pets"] == "Mia (Cat, 03/2020); Rex (Dog)"
    assert record["Email status"] == "No email consent yet"
    assert record["Notes"] == "Line one\nLine two; with, separators"
    assert "Internal customer ID" not in header  # the flag is off in this shop
    with shop_context(shop_us):
        audit = Export.objects.get()
    assert (audit.format, audit.row_count, audit.status) == ("csv", 1, "done")


def test_csv_export_is_in_french_with_semicolons_and_the_shop_time_zone(client, shop_fr, admin_fr):
    customer = add(shop_fr, first_name="Hélène", last_name="Dupont", internal_id="A-12")
    import datetime

    with shop_context(shop_fr):
        Customer.objects.filter(pk=customer.pk).update(
            created_at=datetime.datetime(2026, 6, 30, 22, 30, tzinfo=datetime.UTC)
        )
    client.force_login(admin_fr)
    rows = read_csv(export_post(client, "csv"))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Prénom"] == "Hélène"
    assert record["N° client interne"] == "A-12"
    assert record["Créé"] == "2026-07-01 00:30"  # Paris, summer time


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR"],
)
def test_csv_export_neutralises_formula_cells_but_not_phones(admin_client_us, shop_us, value):
    customer = add(shop_us, first_name="Eve", last_name="Attack", phone="+14155550199")
    with shop_context(shop_us):
        Customer.objects.filter(pk=customer.pk).update(last_name=value, notes=value)
    rows = read_csv(export_post(admin_client_us, "csv"))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Last name"] == "'" + value
    assert record["Notes"] == "'" + value
    assert record["Mobile phone (international)"] == "+14155550199"


def test_the_export_follows_the_lists_filters(admin_client_us, shop_us):
    ann = add(shop_us, first_name="Ann", last_name="Able", email="ann@example.com")
    bob = add(shop_us, first_name="Bob", last_name="Baker")
    with shop_context(shop_us):
        customer_tags_set(shop=shop_us, by=None, customer=ann, names=["A-list"])
        customer_tags_set(shop=shop_us, by=None, customer=bob, names=["Walk-in"])
        pet_create(shop=shop_us, by=None, owner=bob, name="Rex", species="dog")
    rows = read_csv(export_post(admin_client_us, "csv", "has_email=no"))
    assert [r[rows[0].index("Last name")] for r in rows[1:]] == ["Baker"]
    assert rows[1][rows[0].index("Tags")] == "Walk-in"
    assert rows[1][rows[0].index("Pets")] == "Rex (Dog)"
    with shop_context(shop_us):
        audit = Export.objects.get()
    assert audit.filters == "has_email=no"
    assert audit.row_count == 1


def test_xlsx_export_has_customers_and_pets_sheets_and_keeps_formulas_as_text(admin_client_us, shop_us):
    customer = add(shop_us, first_name="=1+1", last_name="Smith", phone="+14155550101")
    with shop_context(shop_us):
        pet_create(shop=shop_us, by=None, owner=customer, name="Mia", species="cat")
    response = export_post(admin_client_us, "xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    customers, pets = book["Customers"], book["Pets"]
    header = [c.value for c in customers[1]]
    row = dict(zip(header, [c.value for c in customers[2]], strict=True))
    assert row["First name"] == "=1+1"
    assert customers.cell(2, header.index("First name") + 1).data_type == "s"
    assert row["Mobile phone (international)"] == "+14155550101"
    assert [c.value for c in pets[2]][:5] == [customer.number, "Smith", "=1+1", "Mia", "Cat"]


def test_xlsx_keeps_codes_and_phones_as_text_for_spreadsheets(admin_client_us, shop_us):
    customer = add(shop_us, first_name="Zip", last_name="Zero", phone="+14155550102")
    with shop_context(shop_us):
        Customer.objects.filter(pk=customer.pk).update(postal_code="01000")
    book = load_workbook(io.BytesIO(b"".join(export_post(admin_client_us, "xlsx").streaming_content)))
    sheet = book["Customers"]
    header = [c.value for c in sheet[1]]
    for column, value in (("Postal code", "01000"), ("Mobile phone (international)", "+14155550102")):
        cell = sheet.cell(2, header.index(column) + 1)
        assert (cell.value, cell.data_type) == (value, "s")


def test_cashiers_cannot_export(client_fr, shop_fr):
    add(shop_fr)
    assert export_post(client_fr, "csv").status_code == 403
    assert client_fr.get(reverse("customers:exports")).status_code == 403


def test_an_admin_of_another_shop_exports_nothing_of_this_one(client, shop_fr, shop_us, admin_us):
    theirs = add(shop_fr, last_name="Martin", email="martin@example.fr")
    client.force_login(admin_us)
    rows = read_csv(export_post(client, "csv", f"q={theirs.number}"))
    assert rows[1:] == []
    body = "".join(";".join(r) for r in read_csv(export_post(client, "csv")))
    assert "Martin" not in body
    with shop_context(shop_fr):
        Export.objects.create(shop=shop_fr, format="csv", file="exports/x.csv", status="done")
        record = Export.objects.get()
    assert client.get(reverse("customers:export_status", args=[record.pk])).status_code == 404
    assert client.get(reverse("customers:export_download", args=[record.pk])).status_code == 404


def test_a_large_export_runs_as_a_task_with_progress_then_a_download(
    admin_client_us, shop_us, monkeypatch, django_capture_on_commit_callbacks
):
    for i in range(3):
        add(shop_us, first_name=f"N{i}", last_name="Bulk")
    monkeypatch.setattr(export, "ROWS_PER_SECOND", {"csv": 0.1, "xlsx": 0.1})
    published = []
    monkeypatch.setattr(build_export, "apply_async", lambda args, **kw: published.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = export_post(admin_client_us, "xlsx")
    assert response.status_code == 302
    with shop_context(shop_us):
        record = Export.objects.get()
    assert response["Location"] == reverse("customers:export_status", args=[record.pk])
    assert published == [(record.pk, shop_us.pk)]
    page = admin_client_us.get(response["Location"]).content.decode()
    assert "<progress" in page
    assert build_export.run(record.pk, shop_us.pk) == 3
    page = admin_client_us.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "Download the file" in page
    download = admin_client_us.get(reverse("customers:export_download", args=[record.pk]))
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book["Customers"].max_row == 4


def test_the_export_log_lists_each_export_with_its_filters(admin_client_us, shop_us):
    add(shop_us)
    b"".join(export_post(admin_client_us, "csv", "has_email=no").streaming_content)
    html = admin_client_us.get(reverse("customers:exports")).content.decode()
    assert "boss@paws.example" in html
    assert "Has an email: No" in html


def test_csv_export_streams_without_loading_every_row(shop_us):
    for i in range(5):
        add(shop_us, first_name=f"N{i}", last_name="Stream")
    with shop_context(shop_us):
        counter = {}
        blocks = list(export.export_csv(shop_us, CustomerFilter(), "name", counter))
    assert counter["rows"] == 5
    assert len(blocks) >= 2  # header first, then PostgreSQL's blocks


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_export_files_older_than_a_day_are_purged_but_their_audit_stays(shop_us):
    import datetime

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from desk.tasks import purge_files

    old = default_storage.save("exports/test/old.csv", ContentFile(b"x"))
    new = default_storage.save("exports/test/new.csv", ContentFile(b"y"))
    now = timezone.now()
    with shop_context(shop_us):
        Export.objects.create(
            shop=shop_us, format="csv", file=old, status="done", finished_at=now - datetime.timedelta(days=2)
        )
        Export.objects.create(shop=shop_us, format="csv", file=new, status="done", finished_at=now)
    assert purge_files.run() == 1
    assert not default_storage.exists(old) and default_storage.exists(new)
    with shop_context(shop_us):
        assert sorted(Export.objects.values_list("file", flat=True)) == ["", new]
    default_storage.delete(new)
