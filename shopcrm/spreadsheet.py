"""What every file a shop downloads shares, whatever its rows (the client list, a campaign's results, the
loyalty redemption reports): CSV as the shop's spreadsheet reads it, with no cell that a spreadsheet would run
as a formula, and XLSX cells that stay text.

Spreadsheet formula injection (ASVS 1.2.10): in CSV, a text cell that begins with = + - @ tab or carriage
return gets a leading apostrophe, so Excel shows it as text. In XLSX every text cell is written as a string
cell, never as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

UTF8_BOM = b"\xef\xbb\xbf"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralised(value) -> str:
    """A text cell for a CSV a spreadsheet may open: one that starts like a formula gets a leading
    apostrophe, so it is shown, never run."""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_delimiter(shop) -> str:
    """French Excel splits CSV on semicolons (the comma is the decimal separator); others on commas."""
    return ";" if shop.language == "fr" else ","


def csv_line(values: list[str], delimiter: str) -> str:
    quoted = []
    for value in values:
        if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            value = '"' + value.replace('"', '""') + '"'
        quoted.append(value)
    return delimiter.join(quoted) + "\r\n"


def csv_blocks(shop, header: list[str], rows: Iterable[Iterable]) -> Iterator[bytes]:
    """A whole CSV file as blocks of bytes (BOM, header, rows), each text cell neutralised. Numbers are
    written as the shop's spreadsheet reads them (a decimal comma in French)."""
    delimiter = csv_delimiter(shop)
    yield UTF8_BOM + csv_line([cell_neutralised(h) for h in header], delimiter).encode()
    block = []
    for row in rows:
        block.append(csv_line([_csv_cell(v, delimiter) for v in row], delimiter))
        if len(block) >= 500:
            yield "".join(block).encode()
            block = []
    if block:
        yield "".join(block).encode()


def _csv_cell(value, delimiter: str) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) or type(value).__name__ == "Decimal":
        text = str(value)
        return text.replace(".", ",") if delimiter == ";" else text
    return cell_neutralised(value)


def xlsx_cells(sheet, values) -> list:
    """A write-only sheet's row: a text that starts with "=" is a string cell, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            # openpyxl would take it for a formula; a string cell shows it as typed.
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            value = cell
        row.append(value)
    return row


def xlsx_write(target, sheets: list[tuple[str, list[str], Iterable[Iterable]]]) -> None:
    """An XLSX workbook of (title, header, rows) sheets, written in write-only mode to `target`."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append(header)
        sheet.freeze_panes = "A2"
        for values in rows:
            sheet.append(xlsx_cells(sheet, values))
    workbook.save(target)
