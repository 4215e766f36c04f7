import logging

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from shopcrm.models import Language

logger = logging.getLogger(__name__)


def axes_username(request, credentials) -> str:
    """Count failures per email whatever its case (the login form's field is named `username`)."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return value.strip().lower()


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's form, but the mail is sent by a worker after commit, never inside the request."""

    def save(self, **kwargs):
        from shopcrm.tasks import send_password_reset

        language = translation.get_language()
        for user in self.get_users(self.cleaned_data["email"]):
            transaction.on_commit(lambda uid=user.pk: _publish(send_password_reset, uid, language))


def _publish(task, *args):
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # the broker is down: the person can ask again; nothing else depends on it
        logger.exception("could not queue %s", task.name)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("", _("Shop default")), *Language.choices], required=False)
    next = forms.CharField(required=False)
