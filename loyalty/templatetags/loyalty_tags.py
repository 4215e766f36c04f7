from django import template

from loyalty.money import money as money_format

register = template.Library()


@register.simple_tag(takes_context=True)
def money(context, amount) -> str:
    """`{% money amount %}` in the current shop's currency."""
    return money_format(amount, context["request"].shop)
