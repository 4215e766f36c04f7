"""Writes for shops and staff. Keyword-only, one transaction each, validated before saving."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from shopcrm import ratelimit
from shopcrm.models import Language, Role, Shop, StaffMembership, User
from shopcrm.selectors import account_get
from shopcrm.tenancy import account_find, shop_context, shop_find, shop_new_id


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "shop"
    slug, n = base, 2
    while shop_find(slug) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def _shop_save(shop: Shop, force_insert: bool = False) -> None:
    shop.full_clean(validate_unique=not force_insert)
    if force_insert and shop_find(shop.slug) is not None:
        raise ValidationError({"slug": _("This address is already another shop's.")})
    # Rules other apps own (settings.SHOP_SETTINGS_CHECKS: texting hours within the law, the SMS sender):
    # the platform knows none of them. Each raises ValidationError by field.
    for path in settings.SHOP_SETTINGS_CHECKS:
        import_string(path)(shop)
    shop.save(force_insert=force_insert)


def shop_create(
    *,
    name: str,
    country: str,
    language: str,
    timezone: str,
    slug: str | None = None,
    **options,
) -> Shop:
    """Create a shop. Raises ValidationError (per field) and creates nothing when an input is wrong."""
    # Row-level security lets a shop's row be written only inside that shop: it is created in its own scope.
    shop = Shop(
        pk=shop_new_id(),
        name=(name or "").strip(),
        slug=slug or _unique_slug(name or ""),
        country=(country or "").strip().upper(),
        language=(language or "").strip().lower(),
        timezone=(timezone or "").strip(),
        **options,
    )
    with shop_context(shop.pk):
        _shop_save(shop, force_insert=True)
    return shop


@transaction.atomic
def staff_create(
    *, shop: Shop, email: str, password: str | None, role: str, full_name: str = ""
) -> StaffMembership:
    """Give `email` a role in `shop` at once, creating the account if it is new: for the platform's operator
    (`manage.py create_staff`) and the demo, not for shop admins, who invite (`staff_invite`).

    An existing account keeps its other shops; a password, when given, replaces the old one.
    Idempotent: running it again updates the role and reactivates the membership.
    """
    _check_role(role)
    email = (email or "").strip()
    user = account_get(user_id=account_find(email))
    if user is None:
        user = User(email=email, full_name=full_name)
    elif full_name:
        user.full_name = full_name
    user.full_clean(exclude=["password"])
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    elif user.pk is None:
        user.set_unusable_password()
    user.save()
    with shop_context(shop):
        membership, _created = StaffMembership.objects.update_or_create(
            shop=shop,
            user=user,
            defaults={"role": role, "is_active": True, "accepted_at": timezone.now(), "declined_at": None},
        )
    membership.user = user
    return membership


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Role must be one of: %s.") % ", ".join(Role.values)})


def user_language_update(*, user: User, language: str) -> User:
    """Remember a staff member's own language choice; '' goes back to the shop's language."""
    if language not in ["", *Language.values]:
        raise ValidationError({"language": _("Unknown language.")})
    user.language = language
    user.save(update_fields=["language"])
    return user


SHOP_SETTINGS_FIELDS = [
    "name",
    "country",
    "language",
    "timezone",
    "pets_enabled",
    "internal_id_enabled",
    "show_customer_number",
    "customer_first",
    "name_order",
    "checkout_email",
    "checkout_phone",
    "checkout_address",
    "sender_name",
    "contact_phone",
    "contact_email",
    "postal_address",
    "privacy_url",
    "retention_years",
    "sms_hours_from",
    "sms_hours_until",
]


@transaction.atomic
def shop_update(*, shop: Shop, **values) -> Shop:
    """Change the shop's settings. Raises ValidationError per field and changes nothing when one is wrong."""
    unknown = set(values) - set(SHOP_SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not a shop setting: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        if isinstance(value, str):
            value = " ".join(value.split()) if name != "timezone" else value.strip()
        if name == "country":
            value = value.upper()
        setattr(shop, name, value)
    with shop_context(shop):
        _shop_save(shop)
    return shop


def _lock_admins(shop: Shop) -> list[StaffMembership]:
    """The shop's active admins, locked: two admins demoting each other at once cannot leave none."""
    return list(
        StaffMembership.objects.select_for_update()
        .filter(shop=shop, role=Role.ADMIN, is_active=True, accepted_at__isnull=False)
        .order_by("pk")
    )


def _keeps_an_admin(shop: Shop, membership: StaffMembership) -> None:
    admins = _lock_admins(shop)
    if [m.pk for m in admins] == [membership.pk]:
        raise ValidationError(_("A shop always keeps at least one admin: make someone else admin first."))


@transaction.atomic
def staff_invite(*, shop: Shop, by: User, email: str, role: str, full_name: str = "") -> StaffMembership:
    """Invite `email` to work in `shop` with `role`: a pending membership, and an invitation email queued
    through the messaging app. Raises ValidationError (per field) and does nothing on a refusal.

    An account that already exists is never changed (its name, password, language and other shops are
    its owner's): the invitation waits until its owner accepts it after signing in. A new email gets an
    account with no password; the invitation's link (made when the email is sent) lets its owner choose one.
    """
    _check_role(role)
    email = User.objects.normalize_email((email or "").strip())
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    full_name = " ".join((full_name or "").split())
    _invitations_within_limits(shop, email)
    # Another shop's account stays unread: the invitation needs its id only.
    user_id = account_find(email)
    created_account = user_id is None
    if created_account:
        user = User(email=email, full_name=full_name)
        user.set_unusable_password()
        user.full_clean(exclude=["password"], validate_unique=False)
        try:
            with transaction.atomic():
                user.save()
            user_id = user.pk
        except IntegrityError:  # invited at the same moment by someone else: that account, untouched
            user_id, created_account = account_find(email), False
    with shop_context(shop):
        membership = StaffMembership.objects.select_for_update().filter(shop=shop, user_id=user_id).first()
        if membership is not None:
            _refuse_reinvite(membership)
        else:
            membership = StaffMembership(shop=shop, user_id=user_id)
        membership.role = role
        membership.is_active = True
        membership.accepted_at = membership.declined_at = None
        membership.invited_by = by
        membership.invited_name = full_name
        membership.created_account = created_account
        membership.created_at = timezone.now()
        membership.save()
        # Invited, the account works here (pending): the shop may now read it, as its staff list does.
        membership.user = User.objects.get(pk=user_id)
        import_string(settings.STAFF_INVITATION_SENDER)(shop=shop, membership=membership, by=by)
    return membership


# An invitation emails whatever address an admin types: a few a day to one address (from every shop
# together), and a bounded number an hour from one shop.
INVITATIONS_PER_ADDRESS_A_DAY = 3
INVITATIONS_PER_SHOP_AN_HOUR = 20


def _invitations_within_limits(shop: Shop, email: str) -> None:
    if not ratelimit.hit("invite-shop", str(shop.pk), limit=INVITATIONS_PER_SHOP_AN_HOUR, window=3600):
        raise ValidationError({"email": _("This shop sent many invitations this hour: try again later.")})
    if not ratelimit.hit("invite-address", email, limit=INVITATIONS_PER_ADDRESS_A_DAY, window=86400):
        raise ValidationError({"email": _("This address got several invitations today: try again tomorrow.")})


def _refuse_reinvite(membership: StaffMembership) -> None:
    if membership.is_pending:
        raise ValidationError({"email": _("This person is already invited and has not answered yet.")})
    if membership.declined_at is None and membership.is_active:
        raise ValidationError({"email": _("This person already works in this shop.")})
    if membership.declined_at is None:
        raise ValidationError(
            {"email": _("This person was deactivated in this shop: reactivate them in the staff list.")}
        )
    # Declined before: a new invitation may be sent.


@transaction.atomic
def staff_invitation_answer(*, user: User, membership_id: int, accept: bool) -> StaffMembership:
    """The invited person accepts (they then work in the shop) or declines their own pending invitation.
    Raises StaffMembership.DoesNotExist for an invitation that is not theirs, ValidationError for one that
    is no longer open."""
    shop_id = StaffMembership.objects.values_list("shop_id", flat=True).get(pk=membership_id, user=user)
    with shop_context(shop_id):
        membership = (
            StaffMembership.objects.select_for_update(of=("self",))
            .select_related("shop")
            .get(pk=membership_id, user=user)
        )
        if not membership.is_pending or not membership.is_active:
            raise ValidationError(_("This invitation is no longer open."))
        if accept:
            membership.accepted_at = timezone.now()
        else:
            membership.declined_at = timezone.now()
            membership.is_active = False
        membership.save(update_fields=["accepted_at", "declined_at", "is_active"])
    return membership


@transaction.atomic
def invitation_account_activate(*, membership: StaffMembership, password: str) -> User:
    """The owner of an account an invitation created chose its first password through the invitation's
    link: the password is set and the invitation accepted. The caller checked the link's token."""
    from shopcrm.invitations import awaits_first_password

    with shop_context(membership.shop_id):
        membership = (
            StaffMembership.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=membership.pk)
        )
        if not awaits_first_password(membership):
            raise ValidationError(_("This invitation is no longer open."))
        user = membership.user
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"new_password1": exc.messages}) from exc
        user.set_password(password)
        user.save(update_fields=["password"])
        membership.accepted_at = timezone.now()
        membership.save(update_fields=["accepted_at"])
    return user


@transaction.atomic
def staff_role_set(*, shop: Shop, membership: StaffMembership, role: str) -> StaffMembership:
    _check_role(role)
    with shop_context(shop):
        if membership.role == Role.ADMIN and role != Role.ADMIN and membership.grants_access:
            _keeps_an_admin(shop, membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def staff_deactivate(*, shop: Shop, membership: StaffMembership) -> StaffMembership:
    """Cut someone's access to this shop (or withdraw a pending invitation). It ends at once: every request
    reads the person's memberships afresh, so their open sessions no longer reach this shop; their account
    and their other shops are not this shop's to touch."""
    with shop_context(shop):
        if membership.role == Role.ADMIN and membership.grants_access:
            _keeps_an_admin(shop, membership)
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    return membership


@transaction.atomic
def staff_reactivate(*, shop: Shop, membership: StaffMembership) -> StaffMembership:
    """Give back access to someone who had accepted; a withdrawn or declined invitation is sent anew
    instead (`staff_invite`)."""
    if membership.accepted_at is None:
        raise ValidationError(_("This person never accepted the invitation: invite them again."))
    with shop_context(shop):
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    return membership
