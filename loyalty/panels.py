"""What loyalty adds to pages of the layers below it (settings.CUSTOMER_PAGE_PANELS): the customer page's
cards, points, rewards waiting, recent purchases and rewards given."""

from django.template.loader import render_to_string

from loyalty import selectors


def customer_panel(request, customer) -> str:
    state = selectors.customer_loyalty(shop=request.shop, customer=customer, today_only=False)
    if not (state.programs or state.today or state.waiting or state.cards or state.points):
        return ""
    return render_to_string(
        "loyalty/partials/_customer_panel.html",
        {
            "customer": customer,
            "loyalty": state,
            "given": selectors.rewards_given(shop=request.shop, customer=customer),
        },
        request=request,
    )
