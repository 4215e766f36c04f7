"""Forms of the campaign screens: they parse; campaigns.services decides and explains."""

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.models import Channel

ALL = "all"
FILTERS = "filters"


class CampaignForm(forms.Form):
    # What is missing or too long is said by campaigns.services, with everything else it checks.
    name = forms.CharField(
        label=_("Name"),
        required=False,
        help_text=_("For you and your team; customers do not see it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, widget=forms.RadioSelect)
    audience = forms.ChoiceField(label=_("Audience"))
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 9, "data-sms-counter": "campaign-counter"}),
    )
    filters = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)

    def __init__(self, *args, segments=(), filters_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(ALL, _("All customers"))]
        if filters_label:
            choices.append((FILTERS, filters_label))
        choices += [
            (f"segment:{segment.pk}", _("Segment: %(name)s") % {"name": segment.name}) for segment in segments
        ]
        self.fields["audience"].choices = choices

    def audience_fields(self) -> dict:
        """segment_id and filters for campaigns.services."""
        value = self.cleaned_data.get("audience", ALL)
        if value.startswith("segment:"):
            return {"segment_id": value.split(":", 1)[1], "filters": ""}
        if value == FILTERS:
            return {"segment_id": None, "filters": self.cleaned_data.get("filters", "")}
        return {"segment_id": None, "filters": ""}


class ScheduleForm(forms.Form):
    scheduled_at = forms.CharField(
        label=_("Date and time"),
        help_text=_("In the shop's time zone."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    seen = forms.IntegerField(required=False, widget=forms.HiddenInput)


class TestPhoneForm(forms.Form):
    """A staff member's own mobile phone, confirmed by a code before any test text goes to it."""

    phone = forms.CharField(
        label=_("Your mobile phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class TestCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code we texted you"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class AutomationForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send it every month"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, widget=forms.RadioSelect)
    subject = forms.CharField(
        label=_("Subject"), required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    body = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7, "data-sms-counter": "campaign-counter"}),
    )
