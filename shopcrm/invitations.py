"""Links of staff invitations. They are made when the email is sent (by the worker), never stored: a link
that lets someone choose an account's first password is a credential, and the shop's outbox is readable by
the shop's admins.

The account-creation link names the shop, the membership and a signed token over the state it changes (the
account's password, the membership's acceptance): choosing the password or accepting any other way ends it,
like Django's password-reset tokens. It expires after `INVITATION_LINK_DAYS`.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from shopcrm.models import StaffMembership

SALT = "shopcrm.invitation"


def _state(membership: StaffMembership) -> str:
    return salted_hmac(
        SALT,
        f"{membership.pk}:{membership.user_id}:{membership.user.password}:"
        f"{membership.accepted_at}:{membership.declined_at}:{membership.is_active}",
        algorithm="sha256",
    ).hexdigest()[:32]


def account_token(membership: StaffMembership) -> str:
    return signing.dumps([membership.pk, _state(membership)], salt=SALT, compress=False)


def account_token_valid(membership: StaffMembership, token: str) -> bool:
    try:
        pk, state = signing.loads(token, salt=SALT, max_age=settings.INVITATION_LINK_DAYS * 86400)
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return pk == membership.pk and constant_time_compare(state, _state(membership))


def wants_password(membership: StaffMembership) -> bool:
    """The invitation created the account and nobody has chosen its password yet."""
    return membership.created_account and not membership.user.has_usable_password()


def awaits_first_password(membership: StaffMembership | None) -> bool:
    """The invitation is open (not answered, not withdrawn) and its account still needs a password."""
    return (
        membership is not None
        and membership.is_pending
        and membership.is_active
        and wants_password(membership)
    )


def account_link_open(membership: StaffMembership | None, token: str) -> bool:
    """What the account-creation link's page checks: the invitation awaits its password and the token is
    this invitation's, unexpired and unused."""
    return awaits_first_password(membership) and account_token_valid(membership, token)


def invitation_url(membership: StaffMembership) -> str:
    """Where the invitation email sends the person: to choose the first password of the account the
    invitation created, or else to sign in and accept."""
    if awaits_first_password(membership):
        path = reverse(
            "invitation_account", args=[membership.shop_id, membership.pk, account_token(membership)]
        )
    else:
        path = reverse("invitations")
    return settings.SITE_URL + path
