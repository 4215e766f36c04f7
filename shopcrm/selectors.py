from shopcrm.models import StaffMembership
from shopcrm.tenancy import shop_context


def membership_list(*, user) -> list[StaffMembership]:
    """The user's memberships in every shop that are active: accepted ones and open invitations (readable
    once `tenancy.request_scope` named the user), by shop name. Only accepted ones give access."""
    return list(
        StaffMembership.objects.filter(user=user, is_active=True, declined_at__isnull=True)
        .select_related("shop")
        .order_by("shop__name")
    )


def invitation_list(*, user) -> list[StaffMembership]:
    """The user's open invitations, with who sent them (readable in the request's user scope)."""
    return list(
        StaffMembership.objects.filter(
            user=user, is_active=True, accepted_at__isnull=True, declined_at__isnull=True
        )
        .select_related("shop", "invited_by")
        .order_by("shop__name")
    )


def invitation_for_link(*, shop_id: int, pk: int) -> StaffMembership | None:
    """The membership an invitation link names, read in the shop the link names (None if there is none):
    for the link's page, where nobody is signed in yet. The caller checks the link's token."""
    if not 0 < shop_id < 2**63:
        return None
    with shop_context(shop_id):
        return StaffMembership.objects.select_related("user", "shop").filter(shop_id=shop_id, pk=pk).first()


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
