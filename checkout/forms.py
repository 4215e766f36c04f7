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


class ScanForm(forms.Form):
    """One purchase line: what a barcode scanner types (digits, then Enter), or a code typed by hand."""

    code = forms.CharField(
        label=_("Scan or type a product code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "characters",
                "autofocus": True,
                # app.js empties it as each line leaves, and puts back what was typed meanwhile after the
                # section's swap: a code scanned while the previous one is on its way is not lost.
                "data-scan-code": "",
            }
        ),
    )
    quantity = forms.CharField(
        label=_("Quantity"),
        initial="1",
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": "4"}),
    )
    amount = forms.CharField(
        label=_("Amount (optional)"),
        required=False,
        max_length=14,
        help_text=_("When the product has no price (for points and cash back)."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": "8"}),
    )


class RedeemForm(forms.Form):
    item_code = forms.ChoiceField(label=_("Free item"), required=False, widget=forms.RadioSelect)
    email = forms.CharField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("Postal address"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, card=None, items=(), money=str, **kwargs):
        super().__init__(*args, **kwargs)
        self.card = card
        self.fields["item_code"].choices = [
            (
                item.code,
                f"{item.name or item.code}" + (f" — {money(item.price)}" if item.price is not None else ""),
            )
            for item in items
        ]
        self.fields["item_code"].widget.attrs["id"] = f"id_item_code_{card.pk}" if card else "id_item_code"
        if not items:
            del self.fields["item_code"]
        required = card.version.required_at_redemption if card else ""
        if required != "email":
            del self.fields["email"]
        if required != "address":
            del self.fields["address"]
