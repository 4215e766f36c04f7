"""Uploads that try to exhaust the machine, or that the csv module cannot read, get a clear refusal."""

import io
import os
import re
import zipfile
from html import unescape

import pytest
from django.conf import settings

from customers.models import Import
from desk import imports
from shopcrm.tables import reading as tables
from shopcrm.tenancy import shop_context
from tests.customers.test_import import job_of, run, upload, xlsx

pytestmark = pytest.mark.django_db


def zip_bomb(member: str, megabytes: int) -> bytes:
    """A valid .xlsx around one member that unpacks to `megabytes` of highly compressible XML."""
    base = zipfile.ZipFile(io.BytesIO(xlsx([["Nom", "Prénom"], ["Martin", "Anne"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in base.infolist():
            if info.filename != member:
                bomb.writestr(info.filename, base.read(info.filename))
        chunk = b"<row><c><v>1</v></c></row>" * 40_000  # ~1 MB
        with bomb.open(member, "w", force_zip64=True) as handle:
            for _ in range(megabytes):
                handle.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize(
    ("member", "megabytes"),
    [("xl/worksheets/sheet1.xml", 320), ("xl/worksheets/sheet1.xml", 40), ("xl/sharedStrings.xml", 140)],
)
def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(
    admin_client_fr, shop_fr, member, megabytes, monkeypatch
):
    data = zip_bomb(member, megabytes)
    assert len(data) < 2 * 1024 * 1024  # small on the wire
    opened = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: opened.append(1))
    response = upload(admin_client_fr, data, "clients.xlsx")
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert 'id="id_file_error"' in html and "trop volumineux une fois décompressé" in html  # a French shop
    assert opened == []
    with shop_context(shop_fr):
        assert not Import.objects.exists()


def test_a_csv_with_a_10_mb_cell_is_refused_with_a_reason(admin_client_fr, shop_fr):
    data = b"Nom;Pr\xe9nom;Notes\r\nMartin;Anne;" + b"x" * (10 * 1024 * 1024) + b"\r\n"
    response = upload(admin_client_fr, data)
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert 'id="id_file_error"' in html and "ne peut pas être lu comme une liste de clients" in html


def test_an_unbalanced_quote_that_swallows_the_file_is_refused_too(admin_client_fr, shop_fr):
    data = b'Nom;Prenom\r\n"Martin;Anne\r\n' + b"Durand;Paul\r\n" * 20_000
    response = upload(admin_client_fr, data)
    assert "ne peut pas être lu comme une liste de clients" in unescape(response.content.decode())


def understated(data: bytes) -> bytes:
    """The same workbook, its sheet declaring two rows whatever it holds."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as lying:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:B3"', body)
            lying.writestr(info.filename, body)
    return out.getvalue()


def test_an_xlsx_that_understates_its_rows_is_read_whole(admin_client_fr, shop_fr):
    rows = [["Nom", "Prénom"]] + [[f"Nom{i}", "Anne"] for i in range(12)]
    job = run(admin_client_fr, shop_fr, understated(xlsx(rows)), "clients.xlsx", confirm=False)
    assert job.status == Import.Status.CHECKED and job.check_result["new"] == 12 and job.total_rows == 12


def test_an_xlsx_that_hides_rows_past_the_limit_is_refused_when_the_rows_are_read(
    admin_client_fr, shop_fr, monkeypatch
):
    monkeypatch.setattr(tables, "MAX_ROWS", 5)
    rows = [["Nom", "Prénom"]] + [[f"Nom{i}", "Anne"] for i in range(12)]
    honest = xlsx(rows)
    # Declared honestly: refused at upload, from the sheet's dimension, without walking it.
    response = upload(admin_client_fr, honest, "clients.xlsx")
    error = re.search(r'id="id_file_error"[^>]*>(.*?)</', unescape(response.content.decode()), re.S).group(1)
    assert "12" in error and "5" in error
    # A sheet that declares 2 rows and holds 12: accepted at upload, refused by the check that reads them.
    job = run(admin_client_fr, shop_fr, understated(honest), "clients.xlsx", confirm=False)
    assert job.status == Import.Status.FAILED
    assert "5" in job.error and "12" not in job.error  # "more than 5": it stopped reading past the limit


def test_uploaded_files_are_readable_by_the_app_only(admin_client_fr, shop_fr):
    upload(admin_client_fr, b"Nom;Prenom\r\nMartin;Anne\r\n")
    job = job_of(shop_fr)
    path = os.path.join(settings.MEDIA_ROOT, job.file)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(os.path.dirname(path)).st_mode & 0o777 == 0o700


def test_the_declared_sizes_are_what_bounds_reading(monkeypatch):
    data = zip_bomb("xl/worksheets/sheet1.xml", 20)
    monkeypatch.setattr(tables, "XLSX_MAX_MEMBER", 10 * 1024 * 1024)
    with pytest.raises(imports.ImportFileError, match="too large once unpacked"):
        tables.xlsx_check_sizes(data)
