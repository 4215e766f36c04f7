"""An import's life: upload, columns, check (a dry run that writes nothing), import (one transaction),
in the request for small files and in a worker for the rest."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import (
    Customer,
    Import,
    ImportMapping,
)
from desk.imports import review
from desk.imports.mapping import (
    FIELDS,
    headers_key,
    mapping_errors,
    mapping_first,
    mapping_usable,
)
from desk.imports.matching import NEW_CUSTOMER, CustomerIndex, FileConsents, matches_settle
from desk.imports.rows import Outcome, rejected_csv, row_clean
from desk.imports.writer import Writer
from loyalty.openings import openings_record
from shopcrm.tables.reading import ImportFileError, Table, iter_rows, read_table

logger = logging.getLogger(__name__)
BATCH = 1000


def import_process(
    *,
    shop,
    by,
    job,
    data: bytes,
    commit: bool,
    progress: Callable[[int], None] | None = None,
    plan: review.Plan | None = None,
) -> Outcome:
    """Check (commit=False) or import (commit=True) the rows of `job`'s file with its mapping. A commit
    with the check's `plan` writes only what the check said (desk.imports.review).

    Must run inside `shop_context(shop)` and, when committing, inside one transaction (the caller's).
    """
    table = Table(job.headers, job.encoding, job.delimiter, job.total_rows)
    mapping = {int(index): name for index, name in job.mapping.items() if name}
    index = CustomerIndex(shop)
    outcome = Outcome()
    pending_new: list[tuple[int, dict]] = []
    pending_match: list[tuple[int, int, dict]] = []
    openings: dict[int, dict] = {}  # customer id (or -row number of a new one) → opening balance
    source = f"{job.filename} (import {job.pk}, sha256 {job.sha256[:12]})"
    consents = FileConsents(shop, outcome)
    writer = Writer(shop, by, source, consents) if commit else None
    for number, cells in enumerate(iter_rows(data, table), start=2):
        try:
            values = row_clean(shop, cells, mapping)
            opening = values.pop("opening", None)  # not a field of the customer: loyalty's, below
            earlier = index.seen_in_file(values)
            if earlier:
                raise ValidationError(
                    {"": [_("Same customer as row %(row)d (same ID, phone or email).") % {"row": earlier}]}
                )
            pk = index.match(values)
        except ValidationError as exc:
            outcome.invalid += 1
            message = "; ".join(
                f"{FIELDS.get(name, '')}: {' '.join(msgs)}" if name in FIELDS else " ".join(msgs)
                for name, msgs in exc.message_dict.items()
            )
            column = next((name for name in exc.message_dict if name in FIELDS), "")
            header = next((table.headers[i] for i, f in mapping.items() if f == column), "")
            outcome.errors.append((number, header, message))
            outcome.rejected.append((number, cells, message))
        else:
            index.remember(values, number, pk)
            if opening:
                outcome.openings += 1
                openings[pk or -number] = opening  # a new customer's id is known once written
            if pk and not job.update_existing:
                outcome.kept += 1
            elif pk:
                pending_match.append((number, pk, values))
            elif commit and plan is not None and not plan.is_new(number):
                outcome.differs.append((number, review.since_check_message("now_new")))
            else:
                values["consents"] = consents.changes(NEW_CUSTOMER, values)
                pending_new.append((number, values))
                if not commit:
                    outcome.plan.add_new(number)
        if len(pending_match) >= BATCH:
            matches_settle(shop, pending_match, outcome, writer, consents, plan)
            pending_match = []
        if len(pending_new) >= BATCH:
            outcome.new += len(pending_new)
            if writer:
                writer.create(pending_new)
            pending_new = []
        if progress and number % 2000 == 0:
            progress(number - 1)
    matches_settle(shop, pending_match, outcome, writer, consents, plan)
    outcome.new += len(pending_new)
    if writer:
        writer.create(pending_new)
        if openings:
            outcome.openings_done = _openings_write(shop, by, openings, writer, source)
    return outcome


def _openings_write(shop, by, openings: dict[int, dict], writer: Writer, source: str) -> dict:
    """The opening balances of the rows written (new customers' ids found by the numbers they were given),
    as loyalty's opening ledger rows."""
    numbers = {
        writer.created_numbers[-key]: -key for key in openings if key < 0 and -key in writer.created_numbers
    }
    ids = dict(Customer.objects.filter(shop=shop, number__in=list(numbers)).values_list("number", "pk"))
    balances = {key: value for key, value in openings.items() if key > 0}
    balances.update({ids[number]: openings[-row] for number, row in numbers.items() if number in ids})
    done = openings_record(shop=shop, by=by, balances=balances, reason=source)
    return dataclasses.asdict(done)


# --- the import's life: upload, check, import ----------------------------------------------------------


def progress_key(import_id: int) -> str:
    return f"import-progress:{import_id}"


def import_upload(*, shop, by, upload) -> Import:
    """Keep an uploaded file as a new import, with its columns guessed. Raises ValidationError on "file"
    when it is too large or cannot be read as a table; nothing is kept then."""
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is %(size)s; at most %(max)s can be imported. Split it in parts.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(settings.IMPORT_MAX_BYTES)}
            }
        )
    data = upload.read()
    try:
        table = read_table(data, upload.name or "")
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    extension = "xlsx" if table.encoding == "xlsx" else "csv"
    stored = default_storage.save(f"imports/{shop.pk}/{secrets.token_hex(8)}.{extension}", ContentFile(data))
    return Import.objects.create(
        shop=shop,
        by=by,
        filename=(upload.name or "")[:200],
        file=stored,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=table.encoding,
        delimiter=table.delimiter,
        headers=table.headers,
        total_rows=table.row_count,
        **mapping_first(shop, table.headers),
    )


def import_map(*, shop, job: Import, mapping: dict[str, str], update_existing: bool = True) -> Import:
    """Save the column mapping and whether existing customers are updated (and forget an earlier check);
    remember both for the next file with the same headers. Raises ValidationError when unusable."""
    mapping = mapping_usable(mapping, job.headers)
    errors = mapping_errors(mapping)
    if errors:
        raise ValidationError(errors)
    if job.status not in (Import.Status.UPLOADED, Import.Status.CHECKED, Import.Status.FAILED):
        raise ValidationError(_("This import is already running or finished."))
    job.mapping, job.update_existing = mapping, update_existing
    job.status = Import.Status.CHECKING
    job.check_result, job.error = {}, ""
    job.save(update_fields=["mapping", "update_existing", "status", "check_result", "error"])
    ImportMapping.objects.update_or_create(
        shop=shop,
        headers_key=headers_key(job.headers),
        defaults={"mapping": mapping, "update_existing": update_existing, "updated_at": timezone.now()},
    )
    return job


def import_run(*, shop, import_id: int, commit: bool) -> Import | None:
    """Check (dry run) or import the file of an import that is waiting for it; progress goes to the cache.

    Must run inside `shop_context(shop)`. A commit is one transaction: any error leaves no customer
    written and the import marked failed with the reason.
    """
    wanted = Import.Status.IMPORTING if commit else Import.Status.CHECKING
    with transaction.atomic():
        job = Import.objects.select_for_update().filter(shop=shop, pk=import_id, status=wanted).first()
    if job is None:
        return None
    try:
        data = default_storage.open(job.file, "rb").read()
    except (OSError, ValueError):
        return _failed(job, _("The uploaded file is no longer available; upload it again."))

    def progress(rows: int) -> None:
        cache.set(progress_key(job.pk), rows, 3600)

    try:
        with transaction.atomic():
            plan = review.Plan.load((job.check_result or {}).get("plan")) if commit else None
            outcome = import_process(
                shop=shop, by=job.by, job=job, data=data, commit=commit, progress=progress, plan=plan
            )
            result = outcome.as_dict(check=not commit)
            if outcome.rejected:
                result["rejected_file"] = default_storage.save(
                    f"imports/{shop.pk}/{job.pk}-rejected-{secrets.token_hex(4)}.csv",
                    ContentFile(rejected_csv(outcome, job.headers)),
                )
            if commit:
                job.result, job.status, job.finished_at = result, Import.Status.DONE, timezone.now()
            else:
                job.check_result, job.status = result, Import.Status.CHECKED
            # An XLSX's count was what its sheet declared; now it is the rows really read.
            job.total_rows = (
                outcome.new
                + outcome.updated
                + outcome.unchanged
                + outcome.kept
                + outcome.invalid
                + len(outcome.differs)
            )
            job.save()
    except IntegrityError:
        logger.warning("import %s hit a uniqueness conflict", job.pk, exc_info=True)
        return _failed(
            job,
            _("Someone added or changed a customer with the same phone, email or ID meanwhile; check again."),
        )
    except (ImportFileError, ValidationError) as exc:
        return _failed(job, " ".join(getattr(exc, "messages", [str(exc)])))
    finally:
        cache.delete(progress_key(job.pk))
    return job


def _failed(job: Import, message: str) -> Import:
    job.status, job.error = Import.Status.FAILED, message[:500]
    job.save(update_fields=["status", "error"])
    return job


# Files this small are checked and imported during the request; larger ones by a worker.
INLINE_ROWS = 2000


# An .xlsx is walked in the request only when it is this small: its row count is only what it declares.
INLINE_XLSX_BYTES = 128 * 1024


def import_launch(*, shop, job: Import, commit: bool) -> None:
    """Start the dry run (or the import) of `job`: right away for a small file, else by a worker once the
    request commits (the page then shows a progress bar)."""
    small = job.encoding != "xlsx" or job.size <= INLINE_XLSX_BYTES
    if small and job.total_rows <= INLINE_ROWS:
        import_run(shop=shop, import_id=job.pk, commit=commit)
        return
    from desk.tasks import run_import
    from shopcrm.tasks import publish_on_commit

    publish_on_commit(run_import, job.pk, shop.pk, commit)


def import_confirm(*, shop, job: Import) -> Import:
    """The admin confirmed after the dry run: the import may start."""
    updated = Import.objects.filter(shop=shop, pk=job.pk, status=Import.Status.CHECKED).update(
        status=Import.Status.IMPORTING
    )
    if not updated:
        raise ValidationError(_("This import is already running or finished."))
    job.refresh_from_db()
    return job
