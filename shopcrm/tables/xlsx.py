"""An .xlsx read part by part with a streaming XML parser, never as a whole: a request reads the first
sheet's header row (and only the shared strings it names), and the worker counts the shared strings before
openpyxl, which keeps them all in memory, is given the file.

Work is bounded, not only bytes: a sheet's 5 million short shared strings unpack to far less than any byte
limit but cost openpyxl half a gigabyte; here they are counted as they stream by and refused at the limit.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class XlsxUnreadable(Exception):
    """Missing parts or malformed XML."""


class TooMuch(Exception):
    """Past a count limit (shared strings, cells)."""


def _zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise XlsxUnreadable from exc


def _events(book: zipfile.ZipFile, name: str, tags: tuple[str, ...]):
    """(event, element) for the end of each element whose tag is one of `tags`, streamed."""
    try:
        with book.open(name) as part:
            for _event, element in iterparse(part, events=("end",)):
                if element.tag in tags:
                    yield element
    except KeyError as exc:
        raise XlsxUnreadable from exc
    except (ParseError, DefusedXmlException, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise XlsxUnreadable from exc


def first_sheet_name(book: zipfile.ZipFile) -> str:
    """The zip member of the workbook's first sheet (as Excel lists them)."""
    sheet = next(_events(book, "xl/workbook.xml", (f"{MAIN}sheet",)), None)
    if sheet is None:
        raise XlsxUnreadable
    rel_id = sheet.get(f"{REL}id")
    for rel in _events(book, "xl/_rels/workbook.xml.rels", (f"{PACKAGE_REL}Relationship",)):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
    raise XlsxUnreadable


def _text_of(element) -> str:
    """The text of a shared string or an inline string: its <t>, or the <t> of each of its rich runs."""
    return "".join(t.text or "" for t in element.iter(f"{MAIN}t"))


def header_and_declared_rows(data: bytes) -> tuple[list[object], int | None]:
    """The first sheet's first row (cell values: text, or numbers as they are written) and the row count
    its <dimension> declares (None when it declares none), reading no further than that row."""
    book = _zip(data)
    name = first_sheet_name(book)
    declared, cells = None, []
    for element in _events(book, name, (f"{MAIN}dimension", f"{MAIN}row")):
        if element.tag == f"{MAIN}dimension":
            last = element.get("ref", "").split(":")[-1]
            digits = "".join(ch for ch in last if ch.isdigit())
            declared = int(digits) if digits else None
            continue
        cells = [_cell(c) for c in element.iter(f"{MAIN}c")]
        break
    wanted = {value for kind, value in cells if kind == "s"}
    strings = _shared_strings(book, wanted) if wanted else {}
    header = []
    for kind, value in cells:
        header.append(strings.get(value, "") if kind == "s" else value)
    return header, declared


def _cell(c) -> tuple[str, object]:
    kind = c.get("t", "n")
    if kind == "inlineStr":
        return "text", _text_of(c)
    v = c.find(f"{MAIN}v")
    raw = v.text if v is not None and v.text is not None else ""
    if kind == "s":
        try:
            return "s", int(raw)
        except ValueError:
            return "text", ""
    if kind in ("str", "e", "b"):
        return "text", raw
    try:
        number = float(raw)
    except ValueError:
        return "text", raw
    return "number", int(number) if number.is_integer() else number


def _shared_strings(book: zipfile.ZipFile, wanted: set[int]) -> dict[int, str]:
    """The shared strings of indices `wanted`, streaming only as far as the largest of them."""
    found, last = {}, max(wanted)
    if "xl/sharedStrings.xml" not in book.namelist():
        return found
    for index, si in enumerate(_events(book, "xl/sharedStrings.xml", (f"{MAIN}si",))):
        if index in wanted:
            found[index] = _text_of(si)
        si.clear()
        if index >= last:
            break
    return found


def shared_strings_check(data: bytes, limit: int) -> int:
    """Count the workbook's shared strings as they stream by; TooMuch past `limit`. Returns the count."""
    book = _zip(data)
    if "xl/sharedStrings.xml" not in book.namelist():
        return 0
    count = 0
    for si in _events(book, "xl/sharedStrings.xml", (f"{MAIN}si",)):
        count += 1
        si.clear()
        if count > limit:
            raise TooMuch
    return count
