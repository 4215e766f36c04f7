"""What a campaign says: its fields (`{{ first_name }}`…), the email's small formatting subset, the SMS's
length in segments, and the text one customer gets (for the preview and the test send; the outbox rows are
personalised in SQL by messaging.marketing, the same way).

Formatting, for emails, is deliberately small and safe: everything is escaped first, then
- a blank line starts a paragraph, a line break stays a line break;
- `**bold**` and `*italic*`;
- lines starting with `- ` make a list;
- web addresses (http:// or https://) become links; `[words](https://…)` links the words.
No HTML typed by the admin ever reaches the email as HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import idna
from django.utils.html import escape
from django.utils.translation import gettext as _

from messaging.marketing import FIELDS
from messaging.sms.segments import Segments, sms_segments

FIELD_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
SMS_MAX_SEGMENTS = 10
# A name is counted this long when the SMS's segments are counted before anyone's name is in it.
FIELD_ALLOWANCE = 12


def _mark(name: str) -> str:
    return "{{ " + name + " }}"


def fields_allowed(shop) -> tuple[str, ...]:
    return FIELDS if shop.pets_enabled else tuple(f for f in FIELDS if f != "pet_name")


def fields_check(shop, text: str) -> tuple[str, list[str]]:
    """`text` with every field written `{{ name }}`, and the errors: a field that does not exist, a brace
    left open, template tags."""
    allowed = fields_allowed(shop)
    errors = []
    unknown = [name for name in FIELD_RE.findall(text) if name not in allowed]
    if unknown:
        errors.append(
            _("“%(field)s” is not a field you can use. Use %(fields)s.")
            % {
                "field": _mark(unknown[0]),
                "fields": ", ".join(_mark(name) for name in allowed),
            }
        )
    rest = FIELD_RE.sub("", text)
    if "{{" in rest or "}}" in rest or "{%" in rest or "%}" in rest:
        errors.append(_("A field is written {{ first_name }}: check the braces."))
    tidy = FIELD_RE.sub(lambda m: _mark(m.group(1)) if m.group(1) in allowed else m.group(0), text)
    return tidy, errors


def shop_name_put(shop, text: str) -> str:
    """The shop's name is the same for every recipient: put in once, before the rows are written."""
    return text.replace("{{ shop_name }}", shop.name)


# --- links that tell the truth ---------------------------------------------------------------------------

# Bidi overrides and isolates, zero-width and other invisible characters: they can reorder or hide what a
# link says ("moc.knab//:sptth" shown the other way round). The zero-width joiner and non-joiner stay: emoji
# sequences and some scripts need them.
_INVISIBLE = str.maketrans(
    dict.fromkeys(
        "\u061c\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
        "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff",
        None,
    )
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANY_URL = re.compile(r"https?://[^\s<>()\[\]]+", re.IGNORECASE)
# What a link's words look like when they pose as an address: "https://…", "www.…" or "bank.com/…".
_LOOKS_LIKE_ADDRESS = re.compile(
    r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?:[/:?#]\S*)?$", re.IGNORECASE
)


def text_tidy(text: str) -> str:
    """Without bidi controls, invisible characters and control characters (line breaks and tabs stay)."""
    return _CONTROLS.sub("", (text or "").translate(_INVISIBLE))


def _host(url: str) -> str | None:
    """A link's host as the network sees it (punycode, lower case, without "www."); None if it has none."""
    try:
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
        host = idna.encode(host, uts46=True).decode() if host else ""
    except (ValueError, idna.IDNAError):
        return None
    return host.removeprefix("www.") or None


def links_ascii(text: str) -> str:
    """Every web address with its host written in punycode ("xn--…"), so that a look-alike host in another
    alphabet shows for what it is, in the email and in the editor."""

    def ascii_host(match: re.Match) -> str:
        url = match.group(0)
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port
            if host.isascii() or "@" in parts.netloc:
                return url
            shown = idna.encode(host, uts46=True).decode()
        except (ValueError, idna.IDNAError):
            return url  # refused by link_problems
        return urlunsplit(parts._replace(netloc=shown + (f":{port}" if port else "")))

    return _ANY_URL.sub(ascii_host, text)


def link_problems(text: str) -> list[str]:
    """What is wrong with the message's links, said for the admin: an address that hides a user name before
    its host (`https://bank.com@evil.example`), one whose host cannot be read, and a link whose words are an
    address other than the one it goes to."""
    problems = []
    for url in _ANY_URL.findall(text):
        if "@" in url.split("://", 1)[1].split("/", 1)[0]:
            problems.append(
                _("“%(url)s” puts a name before its address (…@): write the address alone.") % {"url": url}
            )
        elif _host(url) is None:
            problems.append(_("“%(url)s” is not a web address that can be opened.") % {"url": url})
    for words, url in _LINK.findall(text):
        words = words.strip()
        if _LOOKS_LIKE_ADDRESS.match(words) and _host(words) != _host(url):
            problems.append(
                _("The link “%(words)s” goes to %(url)s: its words must not name another address.")
                % {"words": words, "url": url}
            )
    return problems


# --- email formatting ----------------------------------------------------------------------------------

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_URL = re.compile(r"(?<![\"'=>])\b(https?://[^\s<]+[^\s<.,;:!?)\]'\"])")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])")
_A = '<a href="{url}" style="color:#1f5fbf;">{words}</a>'


def _inline(line: str) -> str:
    line = escape(line)
    links: list[str] = []

    def keep(html: str) -> str:
        links.append(html)
        return f"\0{len(links) - 1}\0"

    line = _LINK.sub(lambda m: keep(_A.format(url=m.group(2), words=m.group(1))), line)
    line = _URL.sub(lambda m: keep(_A.format(url=m.group(1), words=m.group(1))), line)
    line = _BOLD.sub(r"<strong>\1</strong>", line)
    line = _ITALIC.sub(r"<em>\1</em>", line)
    return re.sub(r"\0(\d+)\0", lambda m: links[int(m.group(1))], line)


def email_html(text: str) -> str:
    """The message's HTML body: paragraphs, line breaks, lists, bold, italic and links, nothing else."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    html = []
    for block in blocks:
        lines = [line.rstrip() for line in block.split("\n")]
        if all(line.lstrip().startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line.lstrip()[2:])}</li>" for line in lines)
            html.append(f'<ul style="margin:0 0 12px;padding-left:20px;">{items}</ul>')
        else:
            html.append(
                '<p style="margin:0 0 12px;">' + "<br>".join(_inline(line) for line in lines) + "</p>"
            )
    return "\n".join(html)


def email_text(text: str) -> str:
    """The plain-text part: the same words without the marks (links as "words (address)")."""
    text = _LINK.sub(r"\1 (\2)", text.replace("\r\n", "\n").strip())
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))


# --- SMS length ----------------------------------------------------------------------------------------


def sms_count(full_text: str) -> Segments:
    """Segments of a whole text (shop name and stop wording included), each field counted as
    FIELD_ALLOWANCE characters."""
    return sms_segments(FIELD_RE.sub("x" * FIELD_ALLOWANCE, full_text))


# --- one customer's copy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    first_name: str = ""
    last_name: str = ""
    pet_name: str = ""

    @classmethod
    def placeholder(cls) -> Person:
        """Nobody in particular: each field shows where it goes."""
        return cls(_("[first name]"), _("[last name]"), _("[pet's name]"))


def person_of(customer, *, pet_month: int | None = None) -> Person:
    """The values a customer's copy uses: the pet is their first one (one born in `pet_month` first)."""
    pets = sorted(customer.pets.all(), key=lambda p: (p.birth_month != pet_month, p.pk))
    return Person(customer.first_name, customer.last_name, pets[0].name if pets else "")


def personalise(text: str, person: Person, *, html: bool = False) -> str:
    """`text` with the person's values in (escaped for HTML), as messaging.marketing does in SQL."""
    for name in ("first_name", "last_name", "pet_name"):
        value = getattr(person, name)
        text = text.replace(_mark(name), escape(value) if html else value)
    return text
