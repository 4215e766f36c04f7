"""Large exports and imports through a real Celery worker: published after commit, progress in the
shared cache, files in the shared media folder."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from customers.models import Customer, Export, Import
from desk import export
from desk.imports import jobs as imports
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.conftest import export_post, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_large_export_is_built_by_the_worker(admin_client_us, shop_us, start_worker, monkeypatch):
    for i in range(3):
        add(shop_us, first_name=f"N{i}", last_name="Worker")
    monkeypatch.setattr(export, "ROWS_PER_SECOND", {"csv": 0.1, "xlsx": 0.1})
    start_worker()
    response = export_post(admin_client_us, "xlsx", "q=worker")
    assert response.status_code == 302

    def done():
        with shop_context(shop_us):
            return Export.objects.get().status == "done"

    assert wait_for(done)
    with shop_context(shop_us):
        record = Export.objects.get()
    assert record.row_count == 3
    download = admin_client_us.get(reverse("customers:export_download", args=[record.pk]))
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book["Customers"].max_row == 4


def test_a_large_import_is_checked_and_imported_by_the_worker(
    admin_client_us, shop_us, start_worker, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    monkeypatch.setattr(imports, "INLINE_ROWS", 0)
    start_worker()
    data = b"Last name,First name,Mobile phone\r\nSmith,Ann,(415) 555-0101\r\nJones,Bob,(415) 555-0102\r\n"
    admin_client_us.post(reverse("customers:import"), {"file": SimpleUploadedFile("big.csv", data)})
    with shop_context(shop_us):
        job = Import.objects.get()
    mapping = {f"col_{i}": field for i, field in job.mapping.items()}
    admin_client_us.post(reverse("customers:import_map", args=[job.pk]), mapping)

    def status(wanted):
        def check():
            with shop_context(shop_us):
                return Import.objects.get().status == wanted

        return check

    assert wait_for(status("checked"))
    admin_client_us.post(reverse("customers:import_confirm", args=[job.pk]))
    assert wait_for(status("done"))
    with shop_context(shop_us):
        assert sorted(Customer.objects.values_list("last_name", flat=True)) == ["Jones", "Smith"]
