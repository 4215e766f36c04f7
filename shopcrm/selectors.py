from functools import cache

from django.db import connections, router

from shopcrm.http import id_from
from shopcrm.models import Shop, StaffMembership, User
from shopcrm.tenancy import account_scope, shop_context, shop_find


def membership_list(*, user) -> list[StaffMembership]:
    """The user's memberships in every shop that are active: accepted ones and open invitations (readable
    once `tenancy.request_scope` named the user), by shop name, each with its shop. Only accepted ones
    give access.

    Every signed-in request runs this (the tenant middleware), so it is one SQL statement written once per
    process from the models' own fields, instead of the ORM's `select_related("shop")` query compiled again
    on each request — that compilation cost more CPU than the rest of the middleware together, and the till
    answers a request per keystroke. Row-level security applies to it as to any query on the connection."""
    alias = router.db_for_read(StaffMembership)
    connection = connections[alias]
    columns, sql, converters = _membership_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk])
        rows = cursor.fetchall()
    split = len(columns[0])
    memberships = []
    for row in rows:
        if converters:  # a field that converts what the database returns (none today)
            row = list(row)
            for i, field, convert in converters:
                row[i] = convert(row[i], field, connection)
        membership = StaffMembership.from_db(alias, columns[0], row[:split])
        membership.shop = Shop.from_db(alias, columns[1], row[split:])
        memberships.append(membership)
    return memberships


@cache
def _membership_statement() -> tuple[tuple[list[str], list[str]], str, list]:
    connection = connections[router.db_for_read(StaffMembership)]
    membership_fields = StaffMembership._meta.concrete_fields
    shop_fields = Shop._meta.concrete_fields
    quote = connection.ops.quote_name
    converters = [
        (i, field, convert)
        for i, field in enumerate((*membership_fields, *shop_fields))
        for convert in connection.ops.get_db_converters(field) + field.get_db_converters(connection)
    ]
    select = ", ".join(
        [f"m.{quote(f.column)}" for f in membership_fields] + [f"s.{quote(f.column)}" for f in shop_fields]
    )
    sql = f"""
        select {select}
          from shopcrm_staffmembership m join shopcrm_shop s on s.id = m.shop_id
         where m.user_id = %s and m.is_active and m.declined_at is null
         order by s.name
    """  # noqa: S608 (only the models' column names are interpolated)
    return ([f.attname for f in membership_fields], [f.attname for f in shop_fields]), sql, converters


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


def shop_by_slug(slug: str) -> Shop | None:
    """The shop a slug names, for the platform's commands and public pages (slugs are public: they are in
    the shop's own links), read inside that shop. None when there is none."""
    slug = (slug or "").strip()
    if not slug or "\x00" in slug:
        return None
    shop_id = shop_find(slug)
    if shop_id is None:
        return None
    with shop_context(shop_id):
        return Shop.objects.filter(pk=shop_id).first()


def account_get(*, user_id) -> User | None:
    """The staff account `user_id` names, read as its owner (None if there is none). For the app's code that
    already knows whose account it is: the session's own user, sign-in after the password's check, a checked
    password reset link, the worker sending that link."""
    user_id = _row_id(user_id)
    if user_id is None:
        return None
    with account_scope(user_id):
        return User.objects.filter(pk=user_id).first()


def shop_get(*, shop_id) -> Shop | None:
    """The shop `shop_id` names, read inside it (None if there is none): for tasks and signed links, which
    carry a shop's id and nothing else."""
    shop_id = _row_id(shop_id)
    if shop_id is None:
        return None
    with shop_context(shop_id):
        return Shop.objects.filter(pk=shop_id).first()


def _row_id(value) -> int | None:
    """A primary key from a session, a signed link or a task (None when it cannot be one)."""
    value = id_from(value) if value is not None else None
    return value if value is not None and 0 < value < 2**63 else None
