"""A zip bomb at the import's front door: a small .xlsx whose sheet unpacks to hundreds of megabytes.

Each measure runs in a fresh Python process (so its peak memory is its own) and reports wall time and peak
RSS growth: (a) `shopcrm.tables.reading.read_table`, which the upload view calls; (b) openpyxl
alone opening and walking the same file, as the upload did before its sizes were checked (stopped after
`PEER_SECONDS`).
Needs no database.
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
        read_table(data, "bomb.xlsx")
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


def run(log=print) -> dict:
    data = bomb()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bomb.xlsx"
        path.write_bytes(data)
        log(f"  bomb: {len(data) / 1024:.0f} KB unpacking to {BOMB_MEGABYTES} MB")
        ours = _measure("ours", path, timeout=120)
        log(f"  read_table: {ours['seconds']:.2f} s, +{ours['rss_mb']:.0f} MB ({ours['outcome'][:60]})")
        peer = _measure("openpyxl", path, timeout=PEER_SECONDS)
        log(f"  openpyxl alone: {peer['seconds']:.0f} s, +{peer['rss_mb'] or 0:.0f} MB ({peer['outcome']})")
    return {"size_kb": len(data) / 1024, "ours": ours, "peer": peer}


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
        ]
    )
