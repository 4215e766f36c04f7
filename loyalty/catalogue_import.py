"""Importing the shop's product catalogue from a CSV or an Excel file (the POS's or the distributor's
export), read by the same code as client lists (`shopcrm.tables.reading`: encodings, delimiters, XLSX
limits). Columns are recognised by their names in English or French; a code and a name are needed, brand,
size and price are taken when present. A product whose code is already in the catalogue is updated. A bad row
is refused with its number and the reason; the others are imported. At most MAX_PRODUCTS rows, in the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.amounts import amount_parse
from loyalty.codes import code_normal
from loyalty.models import Product
from shopcrm.tables.reading import ImportFileError, iter_rows, read_table

MAX_PRODUCTS = 20_000
MAX_BYTES = 5 * 1024 * 1024
REJECTS_SHOWN = 50

# Header names (compared lower-cased, without accents' marks or punctuation) for each field.
ALIASES = {
    "code": (
        "code", "product code", "code produit", "upc", "ean", "ean13", "gtin", "sku", "barcode", "bar code",
        "code barre", "code barres", "codebarre", "reference", "ref", "item code", "article",
    ),
    "name": (
        "name", "product", "product name", "description", "item", "item name", "nom", "designation",
        "libelle", "produit",
    ),
    "brand": ("brand", "marque", "manufacturer", "fabricant", "vendor"),
    "size": ("size", "format", "taille", "weight", "poids", "contenance"),
    "price": (
        "price", "prix", "unit price", "retail price", "prix unitaire", "prix de vente", "pv", "pvc", "msrp",
    ),
}  # fmt: skip


@dataclass
class CatalogueImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number in the file, why)
    rejected_count: int = 0


def _header_key(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def columns_found(headers: list[str]) -> dict[str, int]:
    """Which column holds each field (the first one whose name matches)."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = _header_key(header)
        for name, aliases in ALIASES.items():
            if name not in found and key in aliases:
                found[name] = index
    return found


def size_check(size: int) -> None:
    """Refuse a file past MAX_BYTES (the view asks before reading it)."""
    if size > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than 5 MB: split it, or keep only the products you sell.")
        )


def catalogue_import(*, shop, data: bytes, filename: str) -> CatalogueImport:
    """Import `data` into `shop`'s catalogue. Raises ImportFileError when the file as a whole cannot be
    imported (unreadable, too big, no code or name column); rows are refused one by one."""
    size_check(len(data))
    table = read_table(
        data,
        filename,
        no_header=_("The first row must hold the column names (Code, Name, Brand, Price…)."),
        no_rows=_("The file has column names but no products."),
    )
    if table.row_count > MAX_PRODUCTS:
        raise ImportFileError(_("At most %(n)s products in one file.") % {"n": f"{MAX_PRODUCTS:,}"})
    columns = columns_found(table.headers)
    missing = [label for name, label in (("code", _("Code")), ("name", _("Name"))) if name not in columns]
    if missing:
        raise ImportFileError(
            _("No column named %(what)s: the first row must name the columns (Code, Name, Brand, Price…).")
            % {"what": _(" and ").join(f"“{m}”" for m in missing)}
        )
    result = CatalogueImport()
    rows: dict[str, dict] = {}
    seen_at: dict[str, int] = {}
    for number, cells in enumerate(iter_rows(data, table), start=2):
        if len(rows) + result.rejected_count >= MAX_PRODUCTS:
            break

        def cell(name: str, cells=cells) -> str:
            index = columns.get(name)
            return " ".join(str(cells[index]).split()) if index is not None and index < len(cells) else ""

        why = ""
        code = code_normal(cell("code"))
        name = cell("name")
        price = None
        try:
            price = amount_parse(cell("price"), field_name="price")
        except ValidationError as exc:
            why = _("price “%(value)s”: %(reason)s") % {
                "value": cell("price")[:20],
                "reason": exc.messages[0],
            }
        if not code:
            why = _("no code")
        elif not name:
            why = _("no name")
        elif code in seen_at:
            why = _("the same code as row %(row)d") % {"row": seen_at[code]}
        if why:
            result.rejected_count += 1
            if len(result.rejected) < REJECTS_SHOWN:
                result.rejected.append((number, why))
            continue
        seen_at[code] = number
        rows[code] = {
            "name": name[:200],
            "brand": cell("brand")[:100],
            "size": cell("size")[:50],
            "price": price,
        }
    _write(shop, rows, result)
    return result


@transaction.atomic
def _write(shop, rows: dict[str, dict], result: CatalogueImport) -> None:
    now = timezone.now()
    existing = {p.code: p for p in Product.objects.filter(shop=shop, code__in=list(rows))}
    new, changed = [], []
    for code, values in rows.items():
        product = existing.get(code)
        if product is None:
            new.append(Product(shop=shop, code=code, created_at=now, updated_at=now, **values))
            continue
        if all(getattr(product, k) == v for k, v in values.items()):
            result.unchanged += 1
            continue
        for key, value in values.items():
            setattr(product, key, value)
        product.updated_at = now
        changed.append(product)
    Product.objects.bulk_create(new, batch_size=2000)
    Product.objects.bulk_update(changed, ["name", "brand", "size", "price", "updated_at"], batch_size=2000)
    result.created, result.updated = len(new), len(changed)
