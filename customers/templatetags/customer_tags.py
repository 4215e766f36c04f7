from django import template

from customers.normalise import phone_display

register = template.Library()


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
