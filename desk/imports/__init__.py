"""Bringing a client list in from the shop's previous software: read, map, check, then import.

- `reading`: CSV in UTF-8 (with or without BOM), UTF-16 or Windows-1252/Latin-1, with comma, semicolon or
  tab separators, and XLSX, size-checked unpacked; anything else is refused with a message saying why.
- `mapping`: which column holds what (the headers the software shops write, remembered choices).
- `rows`: one row cleaned as the till cleans a customer, or the reasons it is refused.
- `matching`: which customer a row is (internal ID, then phone, then email) and what it would change; empty
  cells never erase anything, so the same file again changes nothing.
- `writer`: set-based writes of a batch, with history, tags, search terms and consent events (consent only
  from explicit consent columns, naming the file, never over a customer's own opt-out).
- `review`: what the check shows (changes old → new) and the plan the confirm is held to.
- `jobs`: the import's life: upload, columns, check (a dry run), import (one transaction), inline or in a
  worker.
"""

from desk.imports.jobs import (
    import_confirm,
    import_launch,
    import_map,
    import_process,
    import_run,
    import_upload,
    progress_key,
)
from desk.imports.mapping import (
    FIELDS,
    guess_mapping,
    import_source,
    mapping_errors,
    mapping_remembered,
)
from desk.imports.rows import yes_no
from desk.imports.writer import Writer
from shopcrm.tables.reading import ImportFileError, read_table

__all__ = [
    "FIELDS",
    "ImportFileError",
    "Writer",
    "guess_mapping",
    "import_confirm",
    "import_launch",
    "import_map",
    "import_process",
    "import_run",
    "import_source",
    "import_upload",
    "mapping_errors",
    "mapping_remembered",
    "progress_key",
    "read_table",
    "yes_no",
]
