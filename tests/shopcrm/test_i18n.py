from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"


def entries(po: Path):
    """(msgid, msgstr, fuzzy) for each entry of a .po file, plural forms joined."""
    blocks = po.read_text(encoding="utf-8").split("\n\n")
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip()]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        msgid, msgstr, current = [], [], None
        for line in lines:
            if line.startswith(("#", "msgctxt")):
                current = None
                continue
            if line.startswith("msgid "):
                current = msgid
                line = line[len("msgid ") :]
            elif line.startswith("msgid_plural "):
                current = msgid
                line = line[len("msgid_plural ") :]
            elif line.startswith("msgstr"):
                current = msgstr
                line = line.split(" ", 1)[1]
            if current is not None:
                current.append(line.strip().strip('"'))
        yield "".join(msgid), "".join(msgstr), fuzzy


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_message_is_translated_and_none_is_fuzzy(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    missing = [m for m, s, fuzzy in entries(po) if m and (not s or fuzzy)]
    assert missing == []


def test_the_french_catalog_is_compiled():
    assert (LOCALE / "fr" / "LC_MESSAGES" / "django.mo").exists()
