from django.db import transaction
from django.utils import timezone, translation

from shopcrm import selectors
from shopcrm.tenancy import shop_context, user_context

SESSION_SHOP_KEY = "shop_id"


class TenantMiddleware:
    """Resolves `request.shop` from the signed-in user's memberships and runs the request inside it.

    The whole view runs in one transaction whose `app.shop_id` is the shop, so row-level security shows it
    that shop's rows only. A 5xx response rolls the transaction back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.shop = None
        request.membership = None
        request.memberships = []
        if not request.user.is_authenticated:
            return self.get_response(request)
        with transaction.atomic(), user_context(request.user):
            request.memberships = selectors.membership_list(user=request.user)
            membership = _choose(request, request.memberships)
            if membership is None:
                _activate_language(request, request.user.language or None)
                return self._respond(request)
            request.membership = membership
            request.shop = membership.shop
            timezone.activate(request.shop.tzinfo)
            _activate_language(request, request.user.language or request.shop.language)
            with shop_context(request.shop):
                return self._respond(request)

    def _respond(self, request):
        response = self.get_response(request)
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


def _activate_language(request, language):
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
