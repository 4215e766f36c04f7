from django import forms
from django.utils.translation import gettext_lazy as _


class OrderReadyForm(forms.Form):
    reference = forms.CharField(
        label=_("Ticket reference"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    what = forms.CharField(
        label=_("What it is (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
