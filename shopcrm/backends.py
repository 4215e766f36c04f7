"""Signing in under row-level security: a staff account is readable by its owner only (and by the shops it
works in), so the account an email or a session names is found through the database function that answers
the app's code alone, then read inside the account's own scope."""

from django.contrib.auth.backends import ModelBackend

from shopcrm.models import User
from shopcrm.selectors import account_get
from shopcrm.tenancy import account_find, account_scope


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user_id = account_find(username)
        user = account_get(user_id=user_id) if user_id else None
        if user is None:
            # The same hashing work as for an existing account: the time taken says nothing of who has one.
            User().set_password(password)
            return None
        with account_scope(user.pk):
            valid = user.check_password(password)  # may store an upgraded hash, as its owner
        return user if valid and self.user_can_authenticate(user) else None

    def get_user(self, user_id):
        user = account_get(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
