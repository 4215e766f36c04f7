from shopcrm.models import StaffMembership


def membership_list(*, user) -> list[StaffMembership]:
    """The user's active memberships in every shop (readable once `tenancy.request_scope` named the
    user), by shop name."""
    return list(
        StaffMembership.objects.filter(user=user, is_active=True)
        .select_related("shop")
        .order_by("shop__name")
    )


def staff_list(*, shop) -> list[StaffMembership]:
    """Everyone who works in `shop`, active first."""
    return list(
        StaffMembership.objects.filter(shop=shop)
        .select_related("user")
        .order_by("-is_active", "role", "user__email")
    )


def staff_get(*, shop, pk: int) -> StaffMembership:
    """One membership of `shop`, with its user. Raises StaffMembership.DoesNotExist."""
    return StaffMembership.objects.select_related("user").get(shop=shop, pk=pk)
