from django import forms
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Civility, CustomerType, Species


def civility_choices():
    """French has no “Ms”: a French-speaking till offers M., Mme, Mx."""
    choices = [("", pgettext_lazy("civility", "—"))]
    for value, label in Civility.choices:
        if value == Civility.MS and translation.get_language() == "fr":
            continue
        choices.append((value, label))
    return choices


def text(label, max_length, required=False, **attrs):
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.TextInput(attrs=attrs)
    )


class ContactForm(forms.Form):
    """Owner fields shared by the create step and the edit popup. The services do the real cleaning."""

    type = forms.ChoiceField(
        label=_("Customer type"),
        choices=CustomerType.choices,
        initial=CustomerType.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    civility = forms.ChoiceField(label=_("Civility"), required=False)
    first_name = text(_("First name"), 150, required=True, autocomplete="off", autocapitalize="words")
    last_name = text(_("Last name"), 150, required=True, autocomplete="off", autocapitalize="words")
    company_name = text(_("Company name"), 200, autocomplete="off")
    company_registration = text(_("SIRET / VAT number"), 40, autocomplete="off")
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "email", "inputmode": "email", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    internal_id = text(_("Internal customer ID"), 40, autocomplete="off")

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.fields["civility"].choices = civility_choices()
        if not shop.internal_id_enabled:
            del self.fields["internal_id"]
        # As the cashier types: a traffic light under phone and email, debounced; the last request wins.
        for name in ("phone", "email"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": reverse("customers:check", args=[name]),
                    "hx-trigger": "input changed delay:350ms, change",
                    "hx-target": f"#check-{name}",
                    "hx-sync": "this:replace",
                    "aria-describedby": f"check-{name}",
                }
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("type") == CustomerType.PROFESSIONAL and not cleaned.get("company_name"):
            self.add_error("company_name", _("A professional customer needs a company name."))
        return cleaned


class CustomerCreateForm(ContactForm):
    send_sms_opt_in = forms.BooleanField(label=_("Send SMS opt-in text"), required=False)
    send_welcome_email = forms.BooleanField(label=_("Send welcome email"), required=False)


class CustomerEditForm(ContactForm):
    also_name = text(_("Also on this account"), 150, autocomplete="off", autocapitalize="words")
    also_name.help_text = _(
        "A second person on this account (a spouse, a parent): their first and last name."
    )
    secondary_emails = forms.CharField(
        label=_("Other emails"),
        required=False,
        max_length=2000,
        help_text=_("For someone who orders for others: one address per line."),
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "tag-catalogue"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_secondary_emails(self):
        return [line for line in self.cleaned_data["secondary_emails"].splitlines() if line.strip()]

    def clean_tags(self):
        return [name for name in self.cleaned_data["tags"].split(",") if name.strip()]


class AddressForm(forms.Form):
    address_line1 = text(_("Address"), 200, autocomplete="address-line1")
    address_line2 = text(_("Address (line 2)"), 200, autocomplete="address-line2")
    postal_code = text(_("Postal code"), 20, autocomplete="postal-code")
    city = text(_("City"), 100, autocomplete="address-level2")


MONTHS = [
    ("", pgettext_lazy("month", "—")),
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, _("May")),
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]


class PetForm(forms.Form):
    name = text(_("Pet's name"), 80, required=True, autocomplete="off")
    species = forms.ChoiceField(label=_("Species"), choices=[("", "—"), *Species.choices])
    breed = text(_("Breed"), 80, autocomplete="off")
    birth_month = forms.TypedChoiceField(
        label=_("Birth month"), choices=MONTHS, required=False, coerce=int, empty_value=None
    )
    birth_year = forms.IntegerField(label=_("Birth year"), required=False, min_value=1900, max_value=2100)
    age = forms.IntegerField(
        label=_("Age (years)"),
        required=False,
        min_value=0,
        max_value=60,
        help_text=_("If the birth year is not known."),
    )


class EraseForm(forms.Form):
    """Why a customer is erased, and the admin's confirmation that it cannot be undone."""

    reason = forms.ChoiceField(
        label=_("Why"),
        choices=[
            ("request", _("The customer asked for it")),
            ("shop", _("The shop decided (no longer a customer, data no longer needed)")),
        ],
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm: an erasure cannot be undone.")},
    )
