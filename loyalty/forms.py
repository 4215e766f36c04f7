"""Forms of the loyalty screens: they parse text; `loyalty.services` decides and explains, next to the
field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from loyalty.models import Program, ProgramVersion

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _text(label, help_text="", **attrs):
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


class ProgramForm(forms.Form):
    # Required-ness is the service's to say (with the rule's other checks), so every error reads alike.
    name = _text(_("Name"))
    kind = forms.ChoiceField(label=_("Type"), choices=Program.Kind.choices)
    purchases_needed = _text(
        _("Purchases needed"),
        _("How many qualifying purchases complete a card."),
        inputmode="numeric",
        size="4",
    )
    codes = forms.CharField(
        label=_("Qualifying product codes"),
        required=False,
        help_text=_("One per line: scan them here, or type a SKU or a service's name."),
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
    )
    brands = forms.CharField(
        label=_("Qualifying brands"),
        required=False,
        help_text=_("Optional, one per line: every catalogue product of the brand counts."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reward = forms.ChoiceField(
        label=_("Reward"), required=False, choices=[("", "—"), *ProgramVersion.Reward.choices]
    )
    reward_amount = _text(_("Amount off"), inputmode="decimal", size="8")
    reward_percent = _text(
        _("Percentage"), _("For a percentage off, or cash back."), inputmode="decimal", size="6"
    )
    punch_expiry_days = _text(
        _("Card expires after (days)"),
        _("Counted from the card's first purchase; empty for never."),
        inputmode="numeric",
        size="5",
    )
    required_at_redemption = forms.ChoiceField(
        label=_("Needed at redemption"), required=False, choices=ProgramVersion.Required.choices
    )
    manufacturer = _text(_("Manufacturer"))
    distributor = _text(_("Distributor"), _("Who reimburses the free goods (for the redemption report)."))
    account_number = _text(_("Account number with the distributor"))
    points_per_unit = _text(
        _("Points per unit of currency"), _("1 gives a point per euro or dollar spent."), inputmode="decimal"
    )
    rounding = forms.ChoiceField(label=_("Rounding"), required=False, choices=ProgramVersion.Rounding.choices)
    bonus_weekdays = forms.TypedMultipleChoiceField(
        label=_("Bonus days"),
        required=False,
        coerce=int,
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
    )
    bonus_multiplier = _text(_("Points multiplied by, on bonus days"), inputmode="decimal", size="4")
    rewards = forms.CharField(
        label=_("Rewards catalogue"),
        required=False,
        help_text=_("One per line: points = reward, as “500 = A free bag of treats”."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    tiers = forms.CharField(
        label=_("Lifetime tiers"),
        required=False,
        help_text=_(
            "One per line: points = tag, as “1000 = Gold”: the customer gets the tag once their points "
            "earned over time pass it."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = _("A program keeps its type: start another program for another.")

    @staticmethod
    def initial_of(program: Program) -> dict:
        rule = program.current
        return {
            "name": program.name,
            "kind": program.kind,
            "purchases_needed": rule.purchases_needed or "",
            "codes": "\n".join(rule.codes),
            "brands": "\n".join(rule.brands),
            "reward": rule.reward,
            "reward_amount": rule.reward_amount if rule.reward_amount is not None else "",
            "reward_percent": rule.reward_percent.normalize() if rule.reward_percent is not None else "",
            "punch_expiry_days": rule.punch_expiry_days or "",
            "required_at_redemption": rule.required_at_redemption,
            "manufacturer": rule.manufacturer,
            "distributor": rule.distributor,
            "account_number": rule.account_number,
            "points_per_unit": rule.points_per_unit.normalize() if rule.points_per_unit is not None else "",
            "rounding": rule.rounding,
            "bonus_weekdays": rule.bonus_weekdays,
            "bonus_multiplier": rule.bonus_multiplier.normalize()
            if rule.bonus_multiplier is not None
            else "",
            "rewards": "\n".join(f"{r['points']} = {r['name']}" for r in rule.rewards),
            "tiers": "\n".join(f"{r['points']} = {r['tag']}" for r in rule.tiers),
        }


class ProductForm(forms.Form):
    code = forms.CharField(
        label=_("Product code"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = _text(_("Name"))
    brand = _text(_("Brand"))
    size = _text(_("Size"), size="10")
    price = _text(_("Price"), inputmode="decimal", size="8")


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


class CreditForm(forms.Form):
    reference = forms.CharField(
        label=_("Credit reference (optional)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class CatalogueImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or Excel)"),
        help_text=_(
            "One product per row; the first row names the columns: Code, Name, and Brand, Size, Price."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv"}),
    )


class TrainingCustomerForm(forms.Form):
    training_customer = forms.CharField(
        label=_("Training customer (customer number)"),
        required=False,
        max_length=20,
        help_text=_("The customer staff practise on at the till: their rewards never reach a report."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "size": "10"}),
    )
