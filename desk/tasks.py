"""Celery tasks of the desk: large exports, imports, and the clean-up of their files. Their names (the
broker's and beat's) stay as they were when the desk lived in customers."""

import datetime
import logging
import secrets
import tempfile

from celery import shared_task
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.utils import timezone, translation

from customers import services
from customers.models import Export, Import
from desk import export, imports
from desk.forms import customer_filter_form
from shopcrm.selectors import shop_get
from shopcrm.tenancy import cross_shop, shop_context

logger = logging.getLogger(__name__)
EXPORT_KEEP = datetime.timedelta(days=1)
IMPORT_KEEP = datetime.timedelta(days=7)


def export_progress_key(export_id: int) -> str:
    return f"export-progress:{export_id}"


@shared_task(name="customers.build_export", acks_late=True, ignore_result=True)
def build_export(export_id: int, shop_id: int) -> int:
    """Write a large export to a file kept for a day, reporting progress; completes its audit record."""
    shop = shop_get(shop_id=shop_id)
    try:
        with shop_context(shop):
            record = Export.objects.select_related("by").get(
                shop=shop, pk=export_id, status=Export.Status.RUNNING
            )
            language = (record.by and record.by.language) or shop.language
            with translation.override(language), timezone.override(shop.tzinfo):
                form = customer_filter_form(shop, QueryDict(record.filters))
                name = f"exports/{shop.pk}/{record.pk}-{secrets.token_hex(8)}.{record.format}"
                with tempfile.TemporaryFile() as handle:
                    rows = _write(shop, record, form, handle)
                    handle.seek(0)
                    stored = default_storage.save(name, File(handle, name=name))
                services.export_finish(shop=shop, export_id=record.pk, rows=rows, file=stored)
                return rows
    except Export.DoesNotExist:
        return 0
    except Exception:
        logger.exception("export %s failed", export_id)
        with shop_context(shop):
            services.export_finish(shop=shop, export_id=export_id, rows=None, failed=True)
        raise
    finally:
        cache.delete(export_progress_key(export_id))


def _write(shop, record, form, handle) -> int:
    def progress(rows):
        cache.set(export_progress_key(record.pk), rows, 3600)

    if record.format == Export.Format.XLSX:
        return export.export_xlsx(shop, form.to_filter(), form.sort_value, handle, progress=progress)
    counter: dict = {}
    for block in export.export_csv(shop, form.to_filter(), form.sort_value, counter):
        handle.write(block)
    return counter["rows"]


@shared_task(name="customers.purge_files", ignore_result=True)
def purge_files() -> int:
    """Beat, hourly: delete export files older than a day and import files older than a week; the audit
    records stay."""
    now = timezone.now()
    removed = 0
    with cross_shop("purge expired export and import files"):
        for record in Export.objects.exclude(file="").filter(finished_at__lt=now - EXPORT_KEEP):
            default_storage.delete(record.file)
            Export.objects.filter(pk=record.pk).update(file="")
            removed += 1
        for job in Import.objects.exclude(file="").filter(at__lt=now - IMPORT_KEEP):
            default_storage.delete(job.file)
            Import.objects.filter(pk=job.pk).update(file="")
            removed += 1
    return removed


@shared_task(name="customers.run_import", acks_late=True, ignore_result=True)
def run_import(import_id: int, shop_id: int, commit: bool) -> str:
    """Check (dry run) or import one uploaded file; the import page polls its progress."""
    shop = shop_get(shop_id=shop_id)
    if shop is None:
        return "skipped"
    with shop_context(shop), timezone.override(shop.tzinfo), translation.override(shop.language):
        job = imports.import_run(shop=shop, import_id=import_id, commit=commit)
    return job.status if job else "skipped"
