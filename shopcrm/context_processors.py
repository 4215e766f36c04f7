from django.conf import settings


def shop(request):
    membership = getattr(request, "membership", None)
    return {
        "shop": getattr(request, "shop", None),
        "membership": membership,
        "is_shop_admin": bool(membership and membership.is_admin),
        "other_shops": len(getattr(request, "memberships", [])) > 1,
        "open_invitations": len(getattr(request, "invitations", [])),
        "debug_outbox": settings.DEV_OUTBOX,
    }
