"""Reading an uploaded table (a client list, a product catalogue): CSV (UTF-8 with or without BOM,
UTF-16, Windows-1252/Latin-1; comma, semicolon or tab) or XLSX. Anything else is refused with an
`ImportFileError` saying why.

An upload is read in a web request, so nothing here may take the machine down: an XLSX is a zip, and its
declared unpacked sizes and compression ratios are checked before openpyxl sees it (a 300 KB file can
unpack to gigabytes); the request reads only its header row, the worker counts and reads the rows (stopping
just past the limit); a CSV cell longer than `MAX_CELL` characters is a clear refusal, not a crash.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils.translation import gettext as _

from shopcrm.spreadsheet import FORMULA_START
from shopcrm.tables import xlsx

MAX_ROWS = 200_000
# A spreadsheet's mark for "this is text" before a value that starts like a formula ('=1+2).
TEXT_MARK = "'"
# No name, address or note comes near this; Python's csv module refuses longer fields anyway.
MAX_CELL = 100_000
# Zip members of an .xlsx, unpacked. A 20 MB workbook of 200,000 customers unpacks to 150-250 MB of XML,
# compressed 5-15 times; a zip bomb is compressed hundreds of times. openpyxl keeps the shared strings in
# memory, so they get the tightest limit.
XLSX_MAX_UNPACKED = 400 * 1024 * 1024
XLSX_MAX_MEMBER = 300 * 1024 * 1024
XLSX_MAX_SHARED_STRINGS = 128 * 1024 * 1024
XLSX_MAX_RATIO = 100
# Shared strings openpyxl would hold in memory (each costs it ~100 bytes whatever its length): a client list
# of MAX_ROWS rows has a handful of different texts per row.
XLSX_MAX_STRING_COUNT = 12 * MAX_ROWS
XLSX_RATIO_FROM = 16 * 1024 * 1024  # small members may compress as well as they like


class ImportFileError(Exception):
    """The file cannot be read as a table; the message says why, for the person who uploaded it."""


@dataclass
class Table:
    headers: list[str]
    encoding: str  # "xlsx" or the text encoding used
    delimiter: str = ""
    row_count: int = 0


def read_table(data: bytes, filename: str, *, no_header: str = "", no_rows: str = "") -> Table:
    """Check that `data` is a table we can import and describe it. Raises ImportFileError.

    `no_header` / `no_rows` say what a file without them lacks, in the words of what is imported (a client
    list's by default). For a CSV the row count is exact. For an XLSX it is what the sheet declares (its
    dimension), read without walking the rows: the worker counts them (`iter_rows` refuses a file past the
    limit)."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("This is an old Excel file (.xls). Save it as .xlsx or CSV in Excel, then import that.")
        )
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        headers, count = _xlsx_describe(data)
        table, exact = Table(headers, "xlsx", row_count=count), True
    else:
        text, encoding = decode(data)
        delimiter = sniff_delimiter(text)
        headers, count, exact = _csv_describe(text, delimiter)
        table = Table(headers, encoding, delimiter, count)
    table.headers = _tidy_headers(table.headers)
    if not any(table.headers):
        raise ImportFileError(
            no_header or _("The first row must hold the column names (Last name, First name…).")
        )
    if table.row_count == 0:
        raise ImportFileError(no_rows or _("The file has column names but no customers."))
    if exact or table.row_count > 2 * MAX_ROWS:  # an estimate refuses only what is far past the limit
        _check_row_count(table.row_count, exact=exact)
    return table


# A request reads a CSV's header and this many rows; past them the count is an estimate from the share of
# the file they took, and the worker counts the rest (refusing a file past MAX_ROWS as it reads it).
ROWS_READ_IN_REQUEST = 5000


def _csv_describe(text: str, delimiter: str) -> tuple[list[str], int, bool]:
    """The header, the number of rows (exact for a short file, else estimated) and whether it is exact."""
    source = io.StringIO(text, newline="")
    count = 0
    try:
        rows = _csv_rows(source, delimiter)
        headers = next(rows, [])
        start = source.tell()
        for row in rows:
            if any(cell.strip() for cell in row):
                count += 1
                if count == ROWS_READ_IN_REQUEST:
                    break
        else:
            return headers, count, True
    except csv.Error as exc:
        raise _unreadable_csv() from exc
    read = max(source.tell() - start, 1)
    return headers, round(count * (len(text) - start) / read), False


def _check_row_count(count: int, *, exact: bool = True) -> None:
    """Refuse more than MAX_ROWS rows; `exact=False` when reading stopped just past the limit."""
    if count > MAX_ROWS:
        shown = f"{count:,}" if exact else _("more than %(max)s") % {"max": f"{MAX_ROWS:,}"}
        raise ImportFileError(
            _("The file has %(count)s rows; at most %(max)s can be imported at once. Split it in parts.")
            % {"count": shown, "max": f"{MAX_ROWS:,}"}
        )


def _csv_rows(text: str | io.StringIO, delimiter: str):
    # csv refuses a field longer than its limit with csv.Error; MAX_CELL is below it.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL + 1))
    source = io.StringIO(text, newline="") if isinstance(text, str) else text
    for row in csv.reader(source, delimiter=delimiter):
        if any(len(cell) > MAX_CELL for cell in row):
            raise csv.Error("cell too long")
        yield row


def _unreadable_csv() -> ImportFileError:
    return ImportFileError(
        _(
            "This file cannot be read as a client list: one of its cells is longer than %(max)s characters, "
            "or its quotes are unbalanced. Check it in a spreadsheet and save it as CSV again."
        )
        % {"max": f"{MAX_CELL:,}"}
    )


def xlsx_check_sizes(data: bytes) -> None:
    """Refuse an .xlsx whose parts would unpack to too much, before anything unpacks it. The sizes are the
    ones the zip declares; Python's zipfile never yields more than a member declares (a lie is a damaged
    file), so they bound what openpyxl can be made to read."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _damaged_xlsx() from exc
    too_large = ImportFileError(
        _("This file is too large once unpacked: an Excel file of this size cannot hold a client list.")
    )
    if sum(m.file_size for m in members) > XLSX_MAX_UNPACKED:
        raise too_large
    for member in members:
        limit = XLSX_MAX_SHARED_STRINGS if member.filename.endswith("sharedStrings.xml") else XLSX_MAX_MEMBER
        if member.file_size > limit:
            raise too_large
        if member.file_size > XLSX_RATIO_FROM and member.file_size > XLSX_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise too_large


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (BOM or not), UTF-16 with its BOM, or,
    for files from older Windows software, Windows-1252 (a superset of Latin-1 for printable text)."""
    if data.startswith(codecs.BOM_UTF8):
        return _text(data[3:], "utf-8"), "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _text(data, "utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise ImportFileError(_("This is not a text (CSV) or Excel (.xlsx) file."))
    try:
        return _text(data, "utf-8"), "utf-8"
    except ImportFileError:
        pass
    try:
        return _text(data, "cp1252"), "windows-1252"
    except ImportFileError:
        return _text(data, "latin-1"), "latin-1"


def _text(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file's characters could not be read.")) from exc
    if any(ch < " " and ch not in "\t\r\n" for ch in text[:20000]):
        raise ImportFileError(_("This is not a text (CSV) or Excel (.xlsx) file."))
    return text


def sniff_delimiter(text: str) -> str:
    """Semicolon (French Excel), comma or tab: whichever splits the header line into the most columns."""
    # The first line only: splitting a whole file into lines costs a string per row.
    first = re.split(r"\r\n|\r|\n", text[: MAX_CELL * 4].lstrip("\ufeff"), maxsplit=1)[0]
    counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _too_many_strings() -> ImportFileError:
    return ImportFileError(
        _(
            "This Excel file holds more than %(max)s different texts: more than a client list of %(rows)s "
            "rows can. Check that it is the right file, or save it as CSV."
        )
        % {"max": f"{XLSX_MAX_STRING_COUNT:,}", "rows": f"{MAX_ROWS:,}"}
    )


def _damaged_xlsx() -> ImportFileError:
    return ImportFileError(
        _("This Excel file is damaged or is not an .xlsx file. Open it in Excel and save it again.")
    )


@contextmanager
def _xlsx_sheet(data: bytes):
    """The first sheet of a workbook whose sizes passed the check, read-only; whatever openpyxl raises on a
    bad zip, missing parts or malformed XML (many kinds) becomes the damaged-file message."""
    from openpyxl import load_workbook

    xlsx_check_sizes(data)
    try:
        xlsx.shared_strings_check(data, XLSX_MAX_STRING_COUNT)
    except xlsx.TooMuch as exc:
        raise _too_many_strings() from exc
    except xlsx.XlsxUnreadable as exc:
        raise _damaged_xlsx() from exc
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:
        raise _damaged_xlsx() from exc
    try:
        yield book.worksheets[0]
    except ImportFileError:
        raise
    except Exception as exc:
        raise _damaged_xlsx() from exc
    finally:
        book.close()


def _xlsx_describe(data: bytes) -> tuple[list[str], int]:
    """The header row and the number of rows the sheet declares, streamed from the sheet's XML without
    openpyxl (which loads every shared string first): the request reads nothing past the header."""
    xlsx_check_sizes(data)
    try:
        header, declared = xlsx.header_and_declared_rows(data)
    except xlsx.XlsxUnreadable as exc:
        raise _damaged_xlsx() from exc
    headers = [_cell_text(v) for v in header]
    # No dimension: the worker counts (and refuses a file past the limit as it reads).
    return headers, max(int(declared or 2) - 1, 0)


def _tidy_headers(headers: list[str]) -> list[str]:
    tidy = [" ".join(str(h or "").replace("\ufeff", "").split()) for h in headers]
    while tidy and not tidy[-1]:
        tidy.pop()
    return tidy


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def _xlsx_cell_text(cell) -> str:
    """A cell as the text a CSV would hold: a formula stays "=…" (refused later), while a text cell that
    merely starts like one gets the spreadsheet text mark, as in a CSV from our own export."""
    value = cell.value
    if getattr(cell, "data_type", None) == "f":
        return str(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return TEXT_MARK + value
    return _cell_text(value)


def iter_rows(data: bytes, table: Table) -> Iterator[list[str]]:
    """The data rows (after the header) as lists of strings, blank rows skipped. Raises ImportFileError
    (after yielding MAX_ROWS rows) for a file with more rows than that, or one that cannot be read."""
    for count, row in enumerate(_rows(data, table), start=1):
        if count > MAX_ROWS:
            _check_row_count(count, exact=False)
        yield row


def _rows(data: bytes, table: Table) -> Iterator[list[str]]:
    if table.encoding == "xlsx":
        with _xlsx_sheet(data) as sheet:
            # openpyxl reads only as far as the sheet's <dimension> says; a sheet may say less than it holds.
            sheet.reset_dimensions()
            rows = sheet.iter_rows()
            next(rows, None)
            for row in rows:
                cells = [_xlsx_cell_text(cell) for cell in row]
                if any(c.strip() for c in cells):
                    yield cells
        return
    text, _encoding = decode(data)
    try:
        rows = _csv_rows(text, table.delimiter)
        next(rows, None)
        for row in rows:
            if any(cell.strip() for cell in row):
                yield row
    except csv.Error as exc:
        raise _unreadable_csv() from exc
