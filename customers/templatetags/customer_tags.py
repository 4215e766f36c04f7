import html
import re
from functools import lru_cache

import phonenumbers
from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from customers.models import Civility, Species
from customers.normalise import name_key, phone_display

register = template.Library()


def escape(value) -> str:
    """HTML-escape a value for the markup built below: the same output as Django's `escape` (& < > " '),
    without its lazy-string wrapper, which cost more than the escaping over a page of rows."""
    return html.escape(str(value))


@register.simple_tag(takes_context=True)
def phone(context, value) -> str:
    """A stored E.164 number in the current shop's national format (international for other countries)."""
    shop = context.get("shop")
    return phone_display(str(value or ""), shop.country if shop else "")


@register.filter
def tone(customer) -> str:
    """Card tint: professionals grey, individuals by civility (always shown in words too)."""
    if customer.is_professional:
        return "pro"
    return {"mr": "blue", "mrs": "pink", "ms": "pink"}.get(customer.civility, "neutral")


@register.simple_tag(takes_context=True)
def customer_card(context, customer) -> str:
    """A customer's card (till results, possible duplicates): name, contact, pets and tags, and for a search
    result what matched, marked. Built here, every value escaped, rather than by an included template: the
    till draws a dozen on every keystroke, and the template engine took as long as the search (measured by
    bench/lookup.py)."""
    return mark_safe(card_html(context.get("shop"), customer))  # noqa: S308 (card_html escapes every value)


@register.simple_tag(takes_context=True)
def till_cards(context, results) -> str:
    """The till's result list: each card a link to the customer's checkout screen. One URL reversed for
    all of them (a dozen reverse() calls cost more than the cards)."""
    shop = context.get("shop")
    placeholder = "0" * 8  # no customer number has a 0 (customers.services.NUMBER_ALPHABET)
    pattern = reverse("checkout:customer", args=[placeholder])
    items = [
        f'<li><a class="results__link" href="{escape(pattern.replace(placeholder, customer.number))}" '
        f"data-result>{card_html(shop, customer)}</a></li>"
        for customer in results
    ]
    return mark_safe("".join(items))  # noqa: S308 (every value is escaped by card_html or here)


@lru_cache(maxsize=16)
def _labels(language: str) -> dict:
    """The words of a card in `language`, looked up once (a dozen cards a keystroke, each asking for the same
    translations, took a third of the rendering)."""
    return {
        "professional": _("Professional"),
        "id": _("ID"),
        "other_email": _("Other email:"),
        "pet": _("Pet:"),
        "also": _("Also on this account:"),
        "typo": _("Similar name"),
        "civility": {value: str(label) for value, label in Civility.choices},
        "species": {value: str(label) for value, label in Species.choices},
    }


def card_html(shop, customer) -> str:
    """A customer's card as HTML, every value escaped (see customer_card)."""
    e = escape
    labels = _labels(translation.get_language() or "")
    matched = getattr(customer, "matched", None)
    why = matched.why if matched else ""
    words = matched.words if matched and why in ("name", "also", "company") else ()
    civility = labels["civility"].get(customer.civility, "") if customer.civility else ""
    head = f'<span class="ccard__civ">{e(civility)}</span> ' if civility else ""
    professional, id_label = labels["professional"], labels["id"]
    badge = f' <span class="badge badge--pro">{e(professional)}</span>' if customer.is_professional else ""
    company = (
        f'<div class="ccard__company">{marked_words(customer.company_name, words)}</div>'
        if customer.is_professional and customer.company_name
        else ""
    )
    contact = []
    if customer.phone:
        shown = phone_display(str(customer.phone), shop.country if shop else "")
        phone_html = marked_digits(shown, str(customer.phone), matched.phone) if matched else e(shown)
        contact.append(f'<span class="ccard__phone">{phone_html}</span>')
    if customer.email:
        email = marked_start(customer.email, matched.query) if why == "email" else e(customer.email)
        contact.append(f'<span class="ccard__email">{email}</span>')
    if shop is not None and shop.internal_id_enabled and customer.internal_id:
        internal = (
            f"<mark>{e(customer.internal_id)}</mark>" if why == "internal_id" else e(customer.internal_id)
        )
        contact.append(f'<span class="ccard__id">{e(id_label)} {internal}</span>')
    if shop is not None and shop.show_customer_number:
        number = f"<mark>{e(customer.number)}</mark>" if why == "number" else e(customer.number)
        contact.append(f'<span class="ccard__id">№ {number}</span>')
    notes = _match_notes(customer, matched, words, labels)
    pet_words = (name_key(matched.query),) if why == "pet" else ()
    chips = [
        f'<span class="chip chip--pet">{marked_words(pet.name, pet_words)} · '
        f"{e(labels['species'].get(pet.species, pet.species))}</span>"
        for pet in customer.pets.all()
    ] + [f'<span class="chip">{e(tag.name)}</span>' for tag in customer.tags.all()]
    # A line a layer above puts on the card (the till's face adds points and a reward waiting).
    noted = getattr(customer, "card_note", "")
    if noted:
        chips.insert(0, f'<span class="chip chip--note">{e(noted)}</span>')
    extra = f'<div class="ccard__extra">{"".join(chips)}</div>' if chips else ""
    return (
        f'<div class="ccard ccard--{tone(customer)}"><div class="ccard__head">'
        f'<span class="ccard__name">{head}{marked_words(customer.first_name, words)}'
        f" <strong>{marked_words(customer.last_name, words)}</strong></span>{badge}</div>{company}"
        f'<div class="ccard__contact">{" ".join(contact)}</div>{notes}{extra}</div>'
    )


def _match_notes(customer, matched, words, labels) -> str:
    """Lines saying what matched when the card alone would not show it."""
    e = escape
    other_label, pet_label = labels["other_email"], labels["pet"]
    lines = []
    also = getattr(customer, "also_name", "")
    if also:
        label = labels["also"]
        shown = marked_words(also, words) if matched and matched.why == "also" else e(also)
        lines.append(f"{e(label)} {shown}")
    if matched and matched.why == "other_email":
        query = matched.query.lower()
        for email in getattr(customer, "secondary_emails", None) or ():
            if email.lower().startswith(query):
                lines.append(f"{e(other_label)} {marked_start(email, matched.query)}")
                break
    if matched and matched.why == "pet":
        key = name_key(matched.query)
        names = [p.name for p in customer.pets.all() if name_key(p.name).startswith(key)]
        if names:
            lines.append(f"{e(pet_label)} {', '.join(marked_words(n, (key,)) for n in names)}")
    if matched and matched.why == "typo":
        lines.append(e(labels["typo"]))
    return "".join(f'<div class="ccard__match">{line}</div>' for line in lines)


_TOKENS = re.compile(r"(\s+|-)")


def marked_words(text: str, words) -> str:
    """`text` escaped, with the start of each word that one of `words` (name keys) begins marked:
    "de la <mark>Font</mark>aine" for "font"."""
    if not words or not text:
        return escape(text)
    out = []
    for part in _TOKENS.split(text):
        key = _word_key(part)
        hit = next((w for w in words if w and key and key.startswith(w)), None)
        if not hit:
            out.append(escape(part))
            continue
        # The shortest start of the word whose key covers the typed word (accents, apostrophes).
        n = next((i for i in range(1, len(part) + 1) if len(_word_key(part[:i])) >= len(hit)), len(part))
        out.append(f"<mark>{escape(part[:n])}</mark>{escape(part[n:])}")
    return "".join(out)


@lru_cache(maxsize=65536)
def _word_key(word: str) -> str:
    """name_key of one word of a card (names repeat: a dozen cards a keystroke all day)."""
    return name_key(word)


def marked_start(text: str, query: str) -> str:
    n = len(query) if text.lower().startswith(query.lower()) else 0
    return f"<mark>{escape(text[:n])}</mark>{escape(text[n:])}" if n else escape(text)


def marked_digits(shown: str, e164: str, phone) -> str:
    """The phone as shown, its matched digits marked: ("all", 0), ("start", n digits typed after the country
    code; a national trunk prefix shown before them is marked too) or ("end", n)."""
    if not phone:
        return escape(shown)
    digits = sum(ch.isdigit() for ch in shown)
    how, n = phone
    if how == "all":
        lo, hi = 0, digits
    elif how == "end":
        lo, hi = max(0, digits - n), digits
    else:
        national = len(_national_significant(e164))
        lo, hi = 0, min(digits, digits - national + max(n, 0))
    out, index = [], 0
    for ch in shown:
        if ch.isdigit():
            if index == lo and lo < hi:
                out.append("<mark>")
            out.append(escape(ch))
            if index == hi - 1 and lo < hi:
                out.append("</mark>")
            index += 1
        else:
            out.append(escape(ch))
    return "".join(out)


def _national_significant(e164: str) -> str:
    try:
        return phonenumbers.national_significant_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return ""


@register.simple_tag(takes_context=True)
def pet_form_for(context, pet_id, bound_form=None):
    """An edit form for one pet: the bound form with its errors, or one filled from the pet."""
    from customers.forms import PetForm

    if bound_form is not None:
        return bound_form
    pet = next(p for p in context["pets"] if p.pk == pet_id)
    initial = {f: getattr(pet, f) for f in ("name", "species", "breed", "birth_month", "birth_year")}
    return PetForm(initial=initial, prefix=f"pet{pet.pk}")


@register.filter
def month_name(value) -> str:
    from django.utils.dates import MONTHS

    return MONTHS.get(value, "") if value else ""


@register.simple_tag(takes_context=True)
def client_list_rows(context, rows) -> str:
    """The client list's table rows. Built here, every value escaped, rather than by a template loop:
    fifty rows of a dozen cells through the template engine took longer than finding the customers
    (measured by bench/desk.py)."""
    shop = context["shop"]
    admin = context.get("is_shop_admin")
    lines = []
    for c in rows:
        e = {name: escape(getattr(c, name)) for name in ROW_TEXT}
        tick = (
            f'<td><input type="checkbox" name="customer" value="{e["number"]}" '
            f'aria-label="{e["select_label"]}" class="row-check"></td>'
            if admin
            else ""
        )
        company = (
            f'<br><span class="muted">{e["company_name"]}</span>'
            if c.is_professional and c.company_name
            else ""
        )
        number = f"<td>{e['number']}</td>" if shop.show_customer_number else ""
        internal = f"<td>{e['internal_id']}</td>" if shop.internal_id_enabled else ""
        chips = "".join(f'<span class="chip{css}">{escape(text)}</span>' for css, text in c.chips)
        lines.append(
            f'<tr>{tick}<td><a href="{e["url"]}">{e["last_name"]} {e["first_name"]}</a>{company}</td>'
            f'{number}{internal}<td class="nowrap">{e["phone_shown"]}</td><td>{e["email"]}</td>'
            f'<td><span class="consent-pill consent-pill--{e["email_status"]}">{e["email_label"]}</span> '
            f'<span class="consent-pill consent-pill--{e["sms_status"]}">{e["sms_label"]}</span></td>'
            f'<td>{chips}</td><td class="nowrap">{e["created_shown"]}</td>'
            f'<td class="nowrap">{e["visit_shown"]}</td></tr>'
        )
    return mark_safe("\n".join(lines))  # noqa: S308 (every value above is escaped)


ROW_TEXT = (
    "number",
    "select_label",
    "company_name",
    "internal_id",
    "url",
    "last_name",
    "first_name",
    "phone_shown",
    "email",
    "email_status",
    "email_label",
    "sms_status",
    "sms_label",
    "created_shown",
    "visit_shown",
)
