"""What the client desk adds to the shop's settings page: who the retention rule will erase next month."""

from django.template.loader import render_to_string

from customers.retention import retention_due_count


def retention_panel(request) -> str:
    count = retention_due_count(shop=request.shop)
    return render_to_string("customers/partials/_retention_panel.html", {"due_count": count}, request=request)
