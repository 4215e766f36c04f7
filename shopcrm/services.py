"""Writes for shops and staff. Keyword-only, one transaction each, validated before saving."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from shopcrm.models import Language, Role, Shop, StaffMembership, User
from shopcrm.tenancy import shop_context


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "shop"
    slug, n = base, 2
    while Shop.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
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
    shop = Shop(
        name=(name or "").strip(),
        slug=slug or _unique_slug(name or ""),
        country=(country or "").strip().upper(),
        language=(language or "").strip().lower(),
        timezone=(timezone or "").strip(),
        **options,
    )
    shop.full_clean()
    shop.save()
    return shop


@transaction.atomic
def staff_create(
    *, shop: Shop, email: str, password: str | None, role: str, full_name: str = ""
) -> StaffMembership:
    """Give `email` a role in `shop`, creating the account if it is new.

    An existing account keeps its other shops; a password, when given, replaces the old one.
    Idempotent: running it again updates the role and reactivates the membership.
    """
    if role not in Role.values:
        raise ValidationError({"role": _("Role must be one of: %s.") % ", ".join(Role.values)})
    email = (email or "").strip()
    user = User.objects.filter(email__iexact=email).first()
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
            shop=shop, user=user, defaults={"role": role, "is_active": True}
        )
    return membership


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
    "checkout_email",
    "checkout_phone",
    "checkout_address",
    "sender_name",
    "contact_phone",
    "contact_email",
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
    shop.full_clean()
    shop.save()
    return shop


def _lock_admins(shop: Shop) -> list[StaffMembership]:
    """The shop's active admins, locked: two admins demoting each other at once cannot leave none."""
    return list(
        StaffMembership.objects.select_for_update()
        .filter(shop=shop, role=Role.ADMIN, is_active=True)
        .order_by("pk")
    )


def _keeps_an_admin(shop: Shop, membership: StaffMembership) -> None:
    admins = _lock_admins(shop)
    if [m.pk for m in admins] == [membership.pk]:
        raise ValidationError(_("A shop always keeps at least one admin: make someone else admin first."))


@transaction.atomic
def staff_invite(*, shop: Shop, by: User, email: str, role: str, full_name: str = "") -> StaffMembership:
    """Give `email` a role in `shop` and email them an invitation through the outbox: a link to choose a
    password for a new account, or to sign in for someone who already has one. Raises ValidationError."""
    email = (email or "").strip()
    existing = User.objects.filter(email__iexact=email).first()
    with shop_context(shop):
        if existing and StaffMembership.objects.filter(shop=shop, user=existing, is_active=True).exists():
            raise ValidationError({"email": _("This person already works in this shop.")})
    new_account = existing is None or not existing.has_usable_password()
    membership = staff_create(shop=shop, email=email, password=None, role=role, full_name=full_name)
    user = membership.user
    if new_account:
        path = reverse(
            "password_reset_confirm",
            args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
        )
    else:
        path = reverse("login")
    from messaging.services import staff_invitation_queue

    with shop_context(shop):
        staff_invitation_queue(
            shop=shop, user=user, by=by, url=settings.SITE_URL + path, new_account=new_account
        )
    return membership


@transaction.atomic
def staff_role_set(*, shop: Shop, membership: StaffMembership, role: str) -> StaffMembership:
    if role not in Role.values:
        raise ValidationError({"role": _("Role must be one of: %s.") % ", ".join(Role.values)})
    with shop_context(shop):
        if membership.role == Role.ADMIN and role != Role.ADMIN and membership.is_active:
            _keeps_an_admin(shop, membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def staff_deactivate(*, shop: Shop, membership: StaffMembership) -> StaffMembership:
    """Cut someone's access to the shop. Their sessions end at once (everywhere: they sign in again to
    reach any other shop they work in)."""
    with shop_context(shop):
        if membership.role == Role.ADMIN and membership.is_active:
            _keeps_an_admin(shop, membership)
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    User.objects.filter(pk=membership.user_id).update(session_epoch=F("session_epoch") + 1)
    return membership


@transaction.atomic
def staff_reactivate(*, shop: Shop, membership: StaffMembership) -> StaffMembership:
    with shop_context(shop):
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    return membership
