from django.db import transaction
from django.utils import timezone, translation

from shopcrm import selectors
from shopcrm.tenancy import request_scope, shop_context, user_scope

SESSION_SHOP_KEY = "shop_id"


class TenantMiddleware:
    """Resolves `request.shop` from the signed-in user's memberships and runs the request inside it.

    The whole view runs in one transaction that entered the shop, so row-level security shows it that
    shop's rows only. A 5xx response rolls the transaction back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.shop = None
        request.membership = None
        request.memberships = []
        request.invitations = []
        if not request.user.is_authenticated:
            return self.get_response(request)
        chosen = request.session.get(SESSION_SHOP_KEY)
        # User and (optimistically) the session's shop in one round trip; corrected below if needed.
        with transaction.atomic(), request_scope(request.user, chosen):
            memberships = selectors.membership_list(user=request.user)
            # Open invitations give no access: they wait for the person to accept them.
            request.memberships = [m for m in memberships if m.accepted_at is not None]
            request.invitations = [m for m in memberships if m.accepted_at is None]
            membership = _choose(request, request.memberships)
            if membership is None:
                if chosen:
                    # The session named a shop the user no longer works in: no shop's rows.
                    with user_scope(request.user):
                        return self._respond(request, request.user.language or None)
                return self._respond(request, request.user.language or None)
            request.membership = membership
            request.shop = membership.shop
            with timezone.override(request.shop.tzinfo):
                if membership.shop_id != chosen:
                    with shop_context(request.shop, until_commit=True):
                        return self._respond(request, request.user.language or request.shop.language)
                return self._respond(request, request.user.language or request.shop.language)

    def _respond(self, request, language):
        # override, not activate: the language must not leak into whatever this thread runs next.
        with translation.override(language or translation.get_language()):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        if response.status_code >= 500:
            transaction.set_rollback(True)
        return response


def _choose(request, memberships):
    chosen = request.session.get(SESSION_SHOP_KEY)
    for membership in memberships:
        if membership.shop_id == chosen:
            return membership
    if len(memberships) == 1:
        request.session[SESSION_SHOP_KEY] = memberships[0].shop_id
        return memberships[0]
    return None
