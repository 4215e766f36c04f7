import html

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from customers.normalise import phone_display

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
    """A customer's card (till results, possible duplicates): name, contact, pets and tags. Built here, every
    value escaped, rather than by an included template: the till draws a dozen on every keystroke, and the
    template engine took as long as the search (measured by bench/lookup.py)."""
    shop = context.get("shop")
    e = escape
    civility = customer.get_civility_display() if customer.civility else ""
    head = f'<span class="ccard__civ">{e(civility)}</span> ' if civility else ""
    professional, id_label = _("Professional"), _("ID")  # outside the f-strings, where makemessages sees them
    badge = f' <span class="badge badge--pro">{e(professional)}</span>' if customer.is_professional else ""
    company = (
        f'<div class="ccard__company">{e(customer.company_name)}</div>'
        if customer.is_professional and customer.company_name
        else ""
    )
    contact = []
    if customer.phone:
        shown = phone_display(str(customer.phone), shop.country if shop else "")
        contact.append(f'<span class="ccard__phone">{e(shown)}</span>')
    if customer.email:
        contact.append(f'<span class="ccard__email">{e(customer.email)}</span>')
    if shop is not None and shop.internal_id_enabled and customer.internal_id:
        contact.append(f'<span class="ccard__id">{e(id_label)} {e(customer.internal_id)}</span>')
    if shop is not None and shop.show_customer_number:
        contact.append(f'<span class="ccard__id">№ {e(customer.number)}</span>')
    chips = [
        f'<span class="chip chip--pet">{e(pet.name)} · {e(pet.get_species_display())}</span>'
        for pet in customer.pets.all()
    ] + [f'<span class="chip">{e(tag.name)}</span>' for tag in customer.tags.all()]
    extra = f'<div class="ccard__extra">{"".join(chips)}</div>' if chips else ""
    return mark_safe(  # noqa: S308 (every value above is escaped)
        f'<div class="ccard ccard--{tone(customer)}"><div class="ccard__head">'
        f'<span class="ccard__name">{head}{e(customer.first_name)}'
        f" <strong>{e(customer.last_name)}</strong></span>{badge}</div>{company}"
        f'<div class="ccard__contact">{" ".join(contact)}</div>{extra}</div>'
    )


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
