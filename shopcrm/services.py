"""Writes for shops and staff. Keyword-only, one transaction each, validated before saving."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
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
