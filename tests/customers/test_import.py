import io
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from customers.models import Customer, CustomerTag, Import
from desk import imports
from desk.imports import jobs, writer
from messaging.models import ConsentEvent
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.conftest import export_post

pytestmark = pytest.mark.django_db

FR_HEADER = "Nom;Prénom;Téléphone;Email;N° client;Civilité;Etiquettes\r\n"


def fr_csv(*rows: str, header: str = FR_HEADER, encoding: str = "cp1252") -> bytes:
    return (header + "".join(r + "\r\n" for r in rows)).encode(encoding)


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, name: str = "clients.csv"):
    return client.post(reverse("customers:import"), {"file": SimpleUploadedFile(name, data)})


def job_of(shop) -> Import:
    with shop_context(shop):
        return Import.objects.latest("pk")


def run(client, shop, data: bytes, name: str = "clients.csv", confirm: bool = True) -> Import:
    """Upload, keep the guessed columns, check, and (optionally) confirm."""
    response = upload(client, data, name)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = job_of(shop)
    mapping = {f"col_{i}": field for i, field in job.mapping.items()}
    assert client.post(reverse("customers:import_map", args=[job.pk]), mapping).status_code == 302
    if confirm:
        assert client.post(reverse("customers:import_confirm", args=[job.pk])).status_code == 302
    return job_of(shop)


def test_french_headers_are_recognised():
    headers = [
        "Nom",
        "Prénom",
        "Téléphone",
        "E-mail",
        "N° client",
        "Code postal",
        "Ville",
        "Remarques",
        "Divers",
    ]
    assert imports.guess_mapping(headers) == {
        "0": "last_name",
        "1": "first_name",
        "2": "phone",
        "3": "email",
        "4": "internal_id",
        "5": "postal_code",
        "6": "city",
        "7": "notes",
    }
    english = ["Last Name", "First name", "Mobile phone", "Email address", "Customer ID", "ZIP"]
    assert list(imports.guess_mapping(english).values()) == [
        "last_name",
        "first_name",
        "phone",
        "email",
        "internal_id",
        "postal_code",
    ]


def test_a_latin1_semicolon_file_is_read_with_its_accents():
    data = fr_csv("Dupont;Hélène;06 12 34 56 78;;A1;Mme;")
    table = imports.read_table(data, "export.csv")
    assert (table.encoding, table.delimiter, table.row_count) == ("windows-1252", ";", 1)
    assert table.headers[1] == "Prénom"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "file is empty."),
        (b"   \r\n", "blank.csv", "The file is empty."),
        ("Nom;Prénom\r\n".encode(), "header.csv", "column names but no customers"),
        (b"PK\x03\x04this is not a zip", "broken.xlsx", "damaged or is not an .xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "old Excel file (.xls)"),
        (bytes(range(256)) * 10, "photo.csv", "not a text (CSV) or Excel"),
    ],
)
def test_bad_files_get_a_clear_message_next_to_the_file_field(admin_client_us, shop_us, data, name, message):
    response = upload(admin_client_us, data, name)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_file_error"' in html
    assert message in html.replace("&#x27;", "'")
    with shop_context(shop_us):
        assert not Import.objects.exists()


def test_a_50_mb_file_is_refused_before_it_is_read(admin_client_fr, shop_fr):
    big = b"Nom;Prenom\r\n" + b"Dupont;Jean\r\n" * (50 * 1024 * 1024 // 13)
    response = upload(admin_client_fr, big, "huge.csv")
    html = unescape(response.content.decode())
    assert "Le fichier fait 50,0\xa0Mio ; 20,0\xa0Mio au plus peuvent être importés." in html
    with shop_context(shop_fr):
        assert not Import.objects.exists()


def test_dry_run_counts_new_matched_and_invalid_rows_and_writes_nothing(admin_client_fr, shop_fr):
    existing = add(shop_fr, first_name="Jean", last_name="Martin", phone="06 11 11 11 11")
    data = fr_csv(
        "Dupont;Hélène;06 12 34 56 78;helene@example.fr;A1;Mme;VIP",  # new
        "Martin;Jean;06 11 11 11 11;jean@example.fr;;M.;",  # matched by phone, gets an email
        "Durand;;06 22 22 22 22;;;;",  # no first name
        "Petit;Luc;12;;;;",  # bad phone
        "Roux;Ana;;pas-un-email;;;",  # bad email
        "Leroy;Marc;06 12 34 56 78;;;;",  # same phone as row 2
        '=HYPERLINK("x");Eve;;;;;',  # a formula
    )
    job = run(admin_client_fr, shop_fr, data, confirm=False)
    assert job.status == "checked"
    result = job.check_result
    assert (result["new"], result["updated"], result["unchanged"], result["invalid"]) == (1, 1, 0, 5)
    rows = {row: (column, message) for row, column, message in result["errors"]}
    assert set(rows) == {4, 5, 6, 7, 8}
    assert rows[4][0] == "Prénom"
    assert rows[5][0] == "Téléphone"
    assert "row 2" in rows[7][1] or "ligne 2" in rows[7][1]
    with shop_context(shop_fr):
        assert list(Customer.objects.values_list("pk", flat=True)) == [existing.pk]
    rejected = admin_client_fr.get(reverse("customers:import_rejected", args=[job.pk, "check"]))
    body = b"".join(rejected.streaming_content).decode("utf-8-sig")
    assert body.count("\n") == 6 and "Petit" in body
    # The crafted row comes back shown, never run: neutralised like an export.
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body and '"=HYPERLINK' not in body


def test_import_creates_updates_and_rerunning_the_same_file_changes_nothing(admin_client_fr, shop_fr):
    add(shop_fr, first_name="Jean", last_name="Martin", phone="06 11 11 11 11")
    data = fr_csv(
        "Dupont;Hélène;06 12 34 56 78;helene@example.fr;A1;Mme;VIP, Fidèle",
        "Martin;Jean;06 11 11 11 11;jean@example.fr;;M.;",
    )
    job = run(admin_client_fr, shop_fr, data)
    assert job.status == "done"
    assert (job.result["new"], job.result["updated"], job.result["invalid"]) == (1, 1, 0)
    with shop_context(shop_fr):
        helene = Customer.objects.get(last_name="Dupont")
        assert (str(helene.phone), helene.email, helene.internal_id, helene.civility) == (
            "+33612345678",
            "helene@example.fr",
            "A1",
            "mrs",
        )
        assert sorted(helene.tags.values_list("name", flat=True)) == ["Fidèle", "VIP"]
        assert Customer.objects.get(last_name="Martin").email == "jean@example.fr"
        # Not subscribed: the file has no consent columns.
        assert helene.email_status == "none" and helene.sms_status == "none"
        assert not ConsentEvent.objects.exists()
        snapshot = list(Customer.objects.order_by("pk").values())
        tags = CustomerTag.objects.count()
    again = run(admin_client_fr, shop_fr, data)
    assert (again.result["new"], again.result["updated"], again.result["unchanged"]) == (0, 0, 2)
    with shop_context(shop_fr):
        assert list(Customer.objects.order_by("pk").values()) == snapshot
        assert CustomerTag.objects.count() == tags


def test_matching_uses_internal_id_first_then_phone_then_email(admin_client_fr, shop_fr):
    by_id = add(shop_fr, first_name="A", last_name="Alpha", internal_id="K9")
    by_email = add(shop_fr, first_name="C", last_name="Gamma", email="gamma@example.fr")
    other = add(shop_fr, first_name="D", last_name="Delta", phone="06 33 33 33 33")
    data = fr_csv(
        "Alpha;Albert;;;K9;;",  # internal ID: renames the first name
        "Gamma;Claire;;gamma@example.fr;;;",  # email
        "Alpha;Bis;06 33 33 33 33;;K9;;",  # ID says Alpha, phone says Delta: refused
    )
    job = run(admin_client_fr, shop_fr, data, confirm=False)
    assert job.check_result["invalid"] == 1  # row 4 repeats row 2's ID
    job = run(admin_client_fr, shop_fr, fr_csv("Alpha;Albert;;;K9;;", "Gamma;Claire;;gamma@example.fr;;;"))
    assert (job.result["new"], job.result["updated"]) == (0, 2)
    with shop_context(shop_fr):
        by_id.refresh_from_db()
        by_email.refresh_from_db()
        assert by_id.first_name == "Albert" and by_email.first_name == "Claire"
        assert Customer.objects.count() == 3
    job = run(admin_client_fr, shop_fr, fr_csv("Alpha;Bis;06 33 33 33 33;;K9;;"), confirm=False)
    assert job.check_result["invalid"] == 1
    with shop_context(shop_fr):
        assert Customer.objects.get(pk=other.pk).last_name == "Delta"


def test_consent_columns_subscribe_with_an_import_consent_event_naming_the_file(client, shop_us, admin_us):
    header = "Last name,First name,Mobile phone,Email,Email consent,SMS consent\r\n"
    data = (
        header
        + "Smith,Ann,(415) 555-0101,ann@example.com,yes,no\r\n"
        + "Jones,Bob,(415) 555-0102,bob@example.com,no,yes\r\n"
        + "Brown,Cy,,cy@example.com,maybe,\r\n"
    ).encode()
    client.force_login(admin_us)
    job = run(client, shop_us, data, name="old-crm.csv")
    assert (job.result["new"], job.result["invalid"]) == (2, 1)
    with shop_context(shop_us):
        ann = Customer.objects.get(last_name="Smith")
        bob = Customer.objects.get(last_name="Jones")
        # A single opt-in from the previous software: recorded as such, never as verified or confirmed.
        assert (ann.email_status, ann.sms_status) == ("subscribed", "none")
        assert (bob.email_status, bob.sms_status) == ("none", "subscribed")
        event = ConsentEvent.objects.get(customer=ann)
        assert (event.channel, event.action, event.source) == ("email", "imported", "import")
        assert event.wording_version == "import-1" and "previous software" in event.wording
        assert "old-crm.csv" in event.detail and job.sha256[:12] in event.detail


def test_an_old_file_never_overrides_a_customers_own_opt_out(client, shop_us, admin_us):
    ann = add(shop_us, first_name="Ann", last_name="Smith", email="ann@example.com")
    with shop_context(shop_us):
        Customer.objects.filter(pk=ann.pk).update(email_status="unsubscribed")
    client.force_login(admin_us)
    data = b"Last name,First name,Email,Email consent\r\nSmith,Ann,ann@example.com,yes\r\n"
    job = run(client, shop_us, data)
    assert job.result["unchanged"] == 1
    with shop_context(shop_us):
        assert Customer.objects.get(pk=ann.pk).email_status == "unsubscribed"


def test_xlsx_import_with_numbers_and_a_formula_cell(admin_client_fr, shop_fr):
    data = xlsx(
        [
            ["Nom", "Prénom", "Téléphone", "N° client"],
            ["Dupont", "Hélène", 612345678, 1001],
            ["Durand", "=A2", "0622222222", 1002],
        ]
    )
    job = run(admin_client_fr, shop_fr, data, name="clients.xlsx")
    assert job.encoding == "xlsx"
    assert (job.result["new"], job.result["invalid"]) == (1, 1)
    assert "formula" in job.result["errors"][0][2] or "formule" in job.result["errors"][0][2]
    with shop_context(shop_fr):
        helene = Customer.objects.get()
    assert (str(helene.phone), helene.internal_id) == ("+33612345678", "1001")


def test_a_failure_while_importing_leaves_nothing_half_imported(admin_client_fr, shop_fr, monkeypatch):
    from django.db import IntegrityError

    data = fr_csv(*[f"Nom{i};Jean;06 12 34 56 {i:02d};;;;" for i in range(10)])
    job = run(admin_client_fr, shop_fr, data, confirm=False)

    # Batches of 3: the first batches are written, then the fourth fails (as when someone took a phone
    # number at the till meanwhile).
    monkeypatch.setattr(jobs, "BATCH", 3)
    real_record, calls = imports.Writer._record, []

    def record(self, values, tag_ids):
        calls.append(values)
        if len(calls) == 10:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_record(self, values, tag_ids)

    monkeypatch.setattr(imports.Writer, "_record", record)
    admin_client_fr.post(reverse("customers:import_confirm", args=[job.pk]))
    job = job_of(shop_fr)
    assert job.status == "failed" and job.error
    with shop_context(shop_fr):
        assert not Customer.objects.exists()
    page = unescape(admin_client_fr.get(reverse("customers:import_detail", args=[job.pk])).content.decode())
    assert "Rien n'a été importé." in page


def test_a_large_file_runs_in_a_worker_task(
    admin_client_fr, shop_fr, monkeypatch, django_capture_on_commit_callbacks
):
    from desk import tasks

    monkeypatch.setattr(jobs, "INLINE_ROWS", 1)
    published = []
    monkeypatch.setattr(tasks.run_import, "apply_async", lambda args, **kw: published.append(args))
    data = fr_csv("Dupont;Hélène;;;;;", "Durand;Luc;;;;;")
    upload(admin_client_fr, data)
    job = job_of(shop_fr)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_fr.post(
            reverse("customers:import_map", args=[job.pk]), {"col_0": "last_name", "col_1": "first_name"}
        )
    assert published == [(job.pk, shop_fr.pk, False)]
    page = admin_client_fr.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert "<progress" in page
    assert tasks.run_import.run(job.pk, shop_fr.pk, False) == "checked"
    # The polling fragment asks the page to reload once the worker is done.
    poll = admin_client_fr.get(reverse("customers:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"


def test_the_mapping_needs_both_names_and_each_field_once(admin_client_fr, shop_fr):
    upload(admin_client_fr, fr_csv("Dupont;Hélène;;;;;"))
    job = job_of(shop_fr)
    response = admin_client_fr.post(
        reverse("customers:import_map", args=[job.pk]), {"col_0": "last_name", "col_1": "last_name"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Prénom" in html and "plus d" in html  # "choisi pour plus d'une colonne"


def test_cashiers_and_other_shops_cannot_reach_imports(cashier_fr, admin_client_us, shop_fr):
    from django.test import Client

    cashier = Client()
    cashier.force_login(cashier_fr)
    assert cashier.get(reverse("customers:import")).status_code == 403
    with shop_context(shop_fr):
        job = Import.objects.create(shop=shop_fr, filename="x.csv", file="imports/x.csv", sha256="0" * 64)
    assert admin_client_us.get(reverse("customers:import_detail", args=[job.pk])).status_code == 404
    assert admin_client_us.post(reverse("customers:import_confirm", args=[job.pk])).status_code == 404


def test_a_customer_number_collision_draws_new_numbers(admin_client_fr, shop_fr, shop_us, monkeypatch):
    # Numbers are unique across shops, and another shop's numbers are invisible here: only the insert sees
    # the collision.
    taken = add(shop_us, last_name="Elsewhere").number
    real = writer.customer_number_new
    numbers = iter([taken])
    monkeypatch.setattr(writer, "customer_number_new", lambda: next(numbers, None) or real())
    job = run(admin_client_fr, shop_fr, fr_csv("Dupont;Hélène;;;;;"))
    assert job.result["new"] == 1
    with shop_context(shop_fr):
        assert Customer.objects.get().number != taken


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_our_own_export_imports_back_unchanged(admin_client_fr, shop_fr, fmt):
    """An admin moving a list between shops, or restoring one, feeds our export to our import."""
    add(
        shop_fr,
        first_name="Hélène",
        last_name="Dupont",
        phone="06 12 34 56 78",
        email="h@example.fr",
        civility="mrs",
    )
    add(shop_fr, first_name="Jean", last_name="=Martin", phone="07 81 22 33 44", internal_id="C-7")
    response = export_post(admin_client_fr, fmt)
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    job = run(admin_client_fr, shop_fr, data, name=f"export.{fmt}")
    assert (job.result["new"], job.result["updated"], job.result["invalid"]) == (0, 0, 0), job.result
    assert job.result["unchanged"] == 2


def test_a_control_character_deep_in_a_file_rejects_that_row_only(admin_client_fr, shop_fr):
    rows = [f"Nom{i};Jean-{'x' * 60};;;;;" for i in range(400)]  # past the part of the file that is sniffed
    rows.append("Du\x00pont;Hélène;06 12 34 56 78;h@example.fr;;;")
    job = run(admin_client_fr, shop_fr, fr_csv(*rows, encoding="utf-8"))
    assert job.status == "done"
    assert (job.result["new"], job.result["invalid"]) == (400, 1), job.result


def test_a_bad_email_or_phone_is_the_reason_given_not_empty_names(admin_client_fr, shop_fr):
    data = fr_csv("Dupont;Hélène;06 12;;;;", "Durand;Paul;;pas-une-adresse;;;")
    job = run(admin_client_fr, shop_fr, data, confirm=False)
    reasons = {row: (column, message) for row, column, message in job.check_result["errors"]}
    assert reasons[2][0] == "Téléphone" and reasons[3][0] == "Email"
    for _column, message in reasons.values():
        assert "vide" not in message and "empty" not in message, message
