from datetime import timedelta

from django import template

from shopcrm.money import money as money_format

register = template.Library()


@register.filter
def minutes(value: timedelta | None) -> int:
    """Whole minutes in a duration, rounded up (a 90-second wait reads as 2 minutes)."""
    if not value:
        return 0
    return -(-int(value.total_seconds()) // 60)


@register.simple_tag(takes_context=True)
def money(context, amount) -> str:
    """`{% money amount %}` in the current shop's currency and language ("12,50 €", "$12.50")."""
    shop = getattr(context.get("request"), "shop", None)
    if shop is None:  # outside a shop's page: the number alone
        return "" if amount is None else f"{amount:.2f}"
    return money_format(amount, shop)
