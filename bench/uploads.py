"""Hostile files at the import's front door: a zip bomb (a small .xlsx whose sheet unpacks to hundreds of
megabytes), a workbook of 5.2 million short shared strings (under every size and ratio check), and an 18 MB
CSV of 6 million rows.

Each measure runs in a fresh Python process (so its peak memory is its own) and reports wall time and peak
RSS growth: `shopcrm.tables.reading.read_table`, which the upload view calls, for each file; and, for the
bomb, openpyxl alone opening and walking it, as the upload did before its sizes were checked (stopped after
`PEER_SECONDS`). Needs no database.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from openpyxl import Workbook

BOMB_MEGABYTES = 200
PEER_SECONDS = 60

_MEASURE = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
if kind == "ours":
    import django, os
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopcrm.settings.bench")
    django.setup()
    from shopcrm.tables.reading import ImportFileError, read_table
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
outcome = "ok"
if kind == "ours":
    try:
        read_table(data, path.rsplit("/", 1)[-1])
    except ImportFileError as exc:
        outcome = "refused: " + str(exc)
else:
    import io
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = 0
    for _row in book.worksheets[0].iter_rows(values_only=True):
        rows += 1
        if rows % 20000 == 0:
            growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
            print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": growth / 1024,
                              "outcome": f"{rows:,} rows read so far"}), flush=True)
    outcome = f"{rows:,} rows read"
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": growth / 1024, "outcome": outcome}))
"""


def bomb(megabytes: int = BOMB_MEGABYTES) -> bytes:
    book = Workbook()
    book.active.append(["Nom", "Prénom"])
    base = io.BytesIO()
    book.save(base)
    source = zipfile.ZipFile(base)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info.filename, source.read(info.filename))
        row = (
            b'<row><c t="inlineStr"><is><t>Martin</t></is></c><c t="inlineStr"><is><t>Anne</t></is></c></row>'
        )
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><sheetData>'
            )
            chunk = row * (1024 * 1024 // len(row))
            for _ in range(megabytes):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def many_strings(count: int) -> bytes:
    """A valid .xlsx whose workbook holds `count` short shared strings (the header uses the first two)."""
    book = Workbook()
    book.active.append(["Nom", "Prénom"])
    book.active.append(["Martin", "Anne"])
    base_bytes = io.BytesIO()
    book.save(base_bytes)
    base = zipfile.ZipFile(base_bytes)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in base.infolist():
            if info.filename not in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"):
                z.writestr(info.filename, base.read(info.filename))
        main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{main}"><dimension ref="A1:B2"/><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
            "</sheetData></worksheet>",
        )
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<sst xmlns="{main}" count="{count}" uniqueCount="{count}">'.encode())
            part.write(b"<si><t>Nom</t></si><si><t>Pr\xc3\xa9nom</t></si>")
            for start in range(2, count, 10_000):
                part.write(
                    b"".join(b"<si><t>s%d</t></si>" % i for i in range(start, min(start + 10_000, count)))
                )
            part.write(b"</sst>")
    return out.getvalue()


def long_csv(rows: int) -> bytes:
    """A CSV of `rows` short rows under a client list's header."""
    return b"Nom;Prenom\n" + b"a;b\n" * rows


def _measure(kind: str, path: Path, timeout: float | None) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-c", _MEASURE, kind, str(path)], stdout=subprocess.PIPE, text=True
    )
    last = {"seconds": timeout, "rss_mb": None, "outcome": "no output"}
    try:
        out, _ = proc.communicate(timeout=timeout)
        lines = out.strip().splitlines()
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        lines = out.strip().splitlines()
        if lines:
            last = json.loads(lines[-1])
        last["outcome"] = f"still reading after {timeout:.0f} s ({last['outcome']})"
        return last
    return json.loads(lines[-1]) if lines else last


STRINGS = 5_200_000
CSV_ROWS = 6_000_000


def run(log=print) -> dict:
    data = bomb()
    results: dict = {"size_kb": len(data) / 1024, "others": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bomb.xlsx"
        path.write_bytes(data)
        log(f"  bomb: {len(data) / 1024:.0f} KB unpacking to {BOMB_MEGABYTES} MB")
        ours = _measure("ours", path, timeout=120)
        log(f"  read_table: {ours['seconds']:.2f} s, +{ours['rss_mb']:.0f} MB ({ours['outcome'][:60]})")
        peer = _measure("openpyxl", path, timeout=PEER_SECONDS)
        log(f"  openpyxl alone: {peer['seconds']:.0f} s, +{peer['rss_mb'] or 0:.0f} MB ({peer['outcome']})")
        results.update(ours=ours, peer=peer)
        for label, name, content in (
            (f"{STRINGS:,} shared strings", "strings.xlsx", many_strings(STRINGS)),
            (f"{CSV_ROWS:,}-row CSV", "rows.csv", long_csv(CSV_ROWS)),
        ):
            other = Path(tmp) / name
            other.write_bytes(content)
            measured = _measure("ours", other, timeout=600)
            measured.update(label=label, size_mb=len(content) / 2**20)
            log(f"  {label}: {measured['seconds']:.2f} s, +{measured['rss_mb']:.0f} MB")
            results["others"].append(measured)
    return results


def report(results: dict, machine: str) -> str:
    ours, peer = results["ours"], results["peer"]
    return "\n".join(
        [
            "# Upload guard benchmark: an .xlsx zip bomb",
            "",
            f"- Machine: {machine}",
            f"- File: {results['size_kb']:.0f} KB, its sheet unpacking to {BOMB_MEGABYTES} MB of rows.",
            "- Each measure in a fresh process; peak RSS growth over the measure.",
            "",
            "| reader | time | peak RSS growth | outcome |",
            "| --- | ---: | ---: | --- |",
            f"| `read_table` (the upload view) | {ours['seconds']:.2f} s | {ours['rss_mb']:.0f} MB "
            f"| {ours['outcome']} |",
            f"| openpyxl alone (before the check) | {peer['seconds']:.0f} s | {peer['rss_mb'] or 0:.0f} MB "
            f"| {peer['outcome']} |",
            "",
            "In the request, `read_table` on the files that held a request for minutes before (the header",
            "and the first rows only; the worker reads the rest):",
            "",
            "| file | size | time | peak RSS growth | outcome |",
            "| --- | ---: | ---: | ---: | --- |",
            *(
                f"| {o['label']} | {o['size_mb']:.1f} MB | {o['seconds']:.2f} s | {o['rss_mb']:.0f} MB "
                f"| {o['outcome']} |"
                for o in results.get("others", [])
            ),
            "",
        ]
    )
