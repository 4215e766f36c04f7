from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render


def shop_required(view):
    """Signed in and working in a shop; someone in several shops who has not chosen one picks first."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.shop is None:
            if request.memberships:
                return redirect("shop_picker")
            return render(request, "shopcrm/no_shop.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    """As `shop_required`, and the user is an admin of the current shop (else 403)."""

    @shop_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
