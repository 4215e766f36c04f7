"""Which column of a file holds what: the fields, the headers the software shops write (French and English),
the guess from them, the software a file came from, and the columns an admin chose, remembered per set of
headers."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import (
    Customer,
    ImportMapping,
)
from customers.normalise import name_key
from shopcrm.http import id_from

# The fields a column can be mapped to, in the order the mapping form shows them.
FIELDS = {
    "last_name": gettext_lazy("Last name"),
    "first_name": gettext_lazy("First name"),
    "full_name": gettext_lazy("Full name (first and last)"),
    "civility": gettext_lazy("Civility"),
    "company_name": gettext_lazy("Company name"),
    "company_registration": gettext_lazy("SIRET / VAT number"),
    "internal_id": gettext_lazy("Internal customer ID"),
    "phone": gettext_lazy("Mobile phone"),
    "email": gettext_lazy("Email"),
    "also_name": gettext_lazy("Also on this account"),
    "address_line1": gettext_lazy("Address"),
    "address_line2": gettext_lazy("Address (line 2)"),
    "postal_code": gettext_lazy("Postal code"),
    "city": gettext_lazy("City"),
    "notes": gettext_lazy("Notes"),
    "tags": gettext_lazy("Tags"),
    "first_visit_at": gettext_lazy("First visit"),
    "last_visit_at": gettext_lazy("Last visit"),
    "visit_count": gettext_lazy("Number of visits"),
    "total_spent": gettext_lazy("Total spent"),
    "points_balance": gettext_lazy("Points balance"),
    "card_purchases": gettext_lazy("Purchases on the loyalty card"),
    "birthday": gettext_lazy("Birthday"),
    "email_consent": gettext_lazy("Email consent (yes/no)"),
    "sms_consent": gettext_lazy("SMS consent (yes/no)"),
}
REQUIRED = ("last_name", "first_name")
LENGTHS = {f.name: f.max_length for f in Customer._meta.fields if getattr(f, "max_length", None)}

# Headers seen in French and English exports of shop software, as name keys (lower case, no accents).
SYNONYMS = {
    "last_name": ["nom", "nom de famille", "last name", "lastname", "surname", "family name", "nom client"],
    "first_name": ["prenom", "first name", "firstname", "given name", "forename"],
    # One column for the whole name (Odoo, some spreadsheets): split in the shop's name order.
    "full_name": [
        "name",
        "display name",
        "full name",
        "nom complet",
        "nom et prenom",
        "prenom et nom",
        "nom prenom",
        "prenom nom",
        "customer name",
        "contact name",
        "client",
    ],
    "civility": ["civilite", "titre", "title", "salutation", "civility", "genre"],
    "company_name": [
        "societe",
        "entreprise",
        "raison sociale",
        "company",
        "company name",
        "business",
        "default address company",
        "company_name",
        "parent name",
    ],
    "company_registration": ["siret", "siren", "tva", "n tva", "no tva", "vat", "vat number", "tva intra"],
    "internal_id": [
        "n client",
        "n° client",
        "no client",
        "numero client",
        "num client",
        "code client",
        "id client",
        "ref client",
        "reference client",
        "customer id",
        "customer number",
        "customer no",
        "client id",
        "client number",
        "account number",
        "reference id",
        "customer code",
        "ref",
        "reference",
        "customer code",
        "id",
        "code",
    ],
    # Mobile-specific names first: where a file has both ("phone" and "mobile", as Odoo's), the mobile wins.
    "phone": [
        "portable",
        "mobile",
        "telephone portable",
        "tel portable",
        "tel mobile",
        "telephone mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cell phone",
        "gsm",
        "telephone",
        "tel",
        "phone",
        "phone number",
        "default address phone",
    ],
    "email": ["email", "e mail", "mail", "courriel", "adresse email", "adresse mail", "email address"],
    "address_line1": [
        "adresse",
        "adresse 1",
        "address",
        "address 1",
        "address1",
        "address line 1",
        "street",
        "street address 1",
        "street address",
        "rue",
        "default address address1",
    ],
    "address_line2": [
        "adresse 2",
        "complement",
        "complement d adresse",
        "address 2",
        "address2",
        "address line 2",
        "street2",
        "street address 2",
        "default address address2",
        "suburb",
    ],
    "postal_code": [
        "code postal",
        "cp",
        "postal code",
        "zip",
        "zip code",
        "postcode",
        "default address zip",
    ],
    "city": ["ville", "city", "commune", "town", "localite", "default address city"],
    "also_name": [
        "aussi sur ce compte",
        "also on this account",
        "conjoint",
        "spouse",
        "partner",
        "second contact",
    ],
    "notes": ["notes", "note", "commentaire", "commentaires", "remarques", "comments", "comment", "memo"],
    "first_visit_at": ["first visit", "premiere visite", "date premiere visite", "first order", "first seen"],
    "last_visit_at": [
        "last visit",
        "derniere visite",
        "date derniere visite",
        "last order",
        "last order date",
        "last seen",
        "dernier achat",
    ],
    "visit_count": [
        "transaction count",
        "total orders",
        "orders count",
        "visits",
        "visit count",
        "number of visits",
        "nombre de visites",
        "nb visites",
        "visites",
    ],
    "points_balance": [
        "points",
        "points balance",
        "point balance",
        "loyalty points",
        "reward points",
        "solde points",
        "solde de points",
        "points fidelite",
        "cagnotte points",
    ],
    "card_purchases": [
        "punches",
        "stamps",
        "card purchases",
        "punch card",
        "frequent buyer",
        "tampons",
        "achats carte",
        "carte fidelite",
    ],
    "total_spent": [
        "total spent",
        "total spend",
        "amount spent",
        "lifetime value",
        "total depense",
        "montant total",
        "chiffre d affaires",
        "ca total",
    ],
    "birthday": ["birthday", "date of birth", "birth date", "dob", "date de naissance", "anniversaire"],
    "tags": ["tags", "tag", "etiquettes", "etiquette", "groupe", "groupes", "groups", "categorie"],
    "email_consent": [
        "consentement email",
        "consentement e mail",
        "optin email",
        "opt in email",
        "accepte email",
        "accepte les emails",
        "newsletter",
        "email consent",
        "email opt in",
        "marketing email",
        "accepts email marketing",
        "accepts marketing",
        "email subscription status",
        "email marketing",
    ],
    "sms_consent": [
        "consentement sms",
        "optin sms",
        "opt in sms",
        "accepte sms",
        "accepte les sms",
        "sms consent",
        "sms opt in",
        "marketing sms",
        "accepts sms marketing",
        "sms subscription status",
        "sms marketing",
    ],
}


def header_key(header: str) -> str:
    return name_key(header).replace("°", "").strip()


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column index (as text): field} for the headers we recognise; each field used once. Exact names
    first, each field taking the column of its most specific name (a "Mobile" column before a "Phone"
    one); then names that merely start the same. A whole-name column is used only when the file has no
    first or last name column."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    keys = [header_key(h) for h in headers]
    for field_name, names in SYNONYMS.items():
        for name in names:
            index = next((i for i, key in enumerate(keys) if key == name and str(i) not in mapping), None)
            if index is not None and field_name not in used:
                mapping[str(index)] = field_name
                used.add(field_name)
    for index, key in enumerate(keys):
        if str(index) in mapping or not key:
            continue
        for field_name, names in SYNONYMS.items():
            if field_name not in used and any(key.startswith(n + " ") for n in names if len(n) > 3):
                mapping[str(index)] = field_name
                used.add(field_name)
                break
    if "full_name" in used and used & {"first_name", "last_name"}:
        mapping = {k: v for k, v in mapping.items() if v != "full_name"}
    return dict(sorted(mapping.items(), key=lambda item: int(item[0])))  # in the file's column order


# Header sets of the software shops leave, to say which one a file came from (the wizard names it).
SOURCES = [
    ("Shopify", {"accepts email marketing", "default address zip", "total spent", "accepts sms marketing"}),
    ("Square", {"square customer id", "email subscription status", "reference id", "transaction count"}),
    ("Lightspeed", {"customer code", "date of birth", "customer type", "loyalty"}),
    ("Odoo", {"display name", "street2", "country id", "is company", "mobile"}),
    ("Excel (FR)", {"nom", "prenom", "telephone", "code postal", "ville", "portable", "civilite"}),
]


def import_source(headers: list[str]) -> str:
    """The software a file's headers look like it came from (two of its typical headers at least), or ""."""
    keys = {header_key(h) for h in headers}
    best = max(SOURCES, key=lambda source: len(keys & source[1]))
    return best[0] if len(keys & best[1]) >= 2 else ""


def mapping_errors(mapping: dict[str, str]) -> list[str]:
    errors = []
    fields = [f for f in mapping.values() if f]
    for required in REQUIRED:
        if required not in fields and "full_name" not in fields:
            errors.append(_("Choose the column that holds the “%(field)s”.") % {"field": FIELDS[required]})
    for name in {f for f in fields if fields.count(f) > 1}:
        errors.append(_("“%(field)s” is chosen for more than one column.") % {"field": FIELDS[name]})
    return errors


def headers_key(headers: list[str]) -> str:
    """One key per set of column names, as the mapping compares them."""
    return hashlib.sha256("\x1f".join(header_key(h) for h in headers).encode()).hexdigest()


def mapping_remembered(*, shop, headers: list[str]) -> ImportMapping | None:
    return ImportMapping.objects.filter(shop=shop, headers_key=headers_key(headers)).first()


def mapping_usable(mapping: dict, headers: list[str]) -> dict[str, str]:
    """The entries of a posted or remembered mapping that name a column of this file and a known field."""
    columns = {k: id_from(k) for k in mapping}
    return {
        k: v
        for k, v in mapping.items()
        if v in FIELDS and columns[k] is not None and columns[k] < len(headers)
    }


def mapping_first(shop, headers: list[str]) -> dict:
    """The columns chosen last time for these headers, else the guess from their names."""
    remembered = mapping_remembered(shop=shop, headers=headers)
    if remembered is not None:
        return {
            "mapping": mapping_usable(remembered.mapping, headers),
            "update_existing": remembered.update_existing,
        }
    return {"mapping": guess_mapping(headers)}
