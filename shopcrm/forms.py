import functools
import logging
import unicodedata
import zoneinfo

import phonenumbers
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from phonenumbers import geocoder

from shopcrm.models import Language, Role, Shop
from shopcrm.services import SHOP_SETTINGS_FIELDS

logger = logging.getLogger(__name__)


def form_add_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on `form`: next to the field it names, or above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


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
    """Django's form, but the mail is sent by a worker after commit, never inside the request. An account an
    invitation created and whose owner never chose a password may get a link too: it goes to the address's
    owner only, which is who that account belongs to."""

    def get_users(self, email):
        from shopcrm.selectors import account_get
        from shopcrm.tenancy import account_find

        user = account_get(user_id=account_find(email))
        return [user] if user is not None and user.is_active else []

    # A stranger may ask for reset emails: a few an hour per address, more per client address; past
    # either, nothing more is sent and the page says the same as always (whether or not an account exists).
    PER_ADDRESS_AN_HOUR = 3
    PER_CLIENT_AN_HOUR = 20

    def save(self, request=None, **kwargs):
        from shopcrm import ratelimit
        from shopcrm.http import client_ip
        from shopcrm.tasks import publish_on_commit, send_password_reset

        email = self.cleaned_data["email"]
        by_address = ratelimit.hit("password-reset", email, limit=self.PER_ADDRESS_AN_HOUR, window=3600)
        ip = (client_ip(request) if request is not None else None) or "unknown"
        by_client = ratelimit.hit("password-reset-ip", ip, limit=self.PER_CLIENT_AN_HOUR, window=3600)
        if not (by_address and by_client):
            logger.warning("password reset refused by its rate limit")
            return
        language = translation.get_language()
        for user in self.get_users(email):
            publish_on_commit(send_password_reset, user.pk, language)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("", _("Shop default")), *Language.choices], required=False)
    next = forms.CharField(required=False)


class ShopSettingsForm(forms.ModelForm):
    """Everything an admin may change about the shop; the service validates again before saving."""

    timezone = forms.ChoiceField(label=_("Time zone"))
    country = forms.ChoiceField(label=_("Country"), help_text=Shop._meta.get_field("country").help_text)

    class Meta:
        model = Shop
        fields = SHOP_SETTINGS_FIELDS
        widgets = {
            "sms_hours_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "sms_hours_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]
        self.fields["country"].choices = country_choices(translation.get_language() or "en")


@functools.lru_cache(maxsize=8)
def country_choices(language: str) -> list[tuple[str, str]]:
    """Every country phone numbers are known for, by its name in `language`, with its code and what the
    setting does (the prefix a number typed without one gets): "France (FR, +33)"; sorted by name."""
    lang = language.split("-")[0]
    choices = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(code)
        name = (geocoder.country_name_for_number(example, lang) if example else "") or code
        choices.append((code, f"{name} ({code}, +{phonenumbers.country_code_for_region(code)})"))
    return sorted(choices, key=lambda choice: _sort_key(choice[1]))


def _sort_key(text: str) -> str:
    """Accents aside, so that "Égypte" sorts with the E's."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    full_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CASHIER)
