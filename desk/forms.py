"""Forms of the desk: the client list's filters, bulk tagging, segments, and the import's upload and column
mapping. They parse; the desk's services decide and explain."""

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.forms import MONTHS, civility_choices, text
from customers.models import CustomerType, Species
from customers.selectors import tag_list
from desk.imports import FIELDS, mapping_errors
from desk.listing import CustomerFilter
from messaging.consent import EmailStatus, SmsStatus

YES_NO = [("", pgettext_lazy("filter", "Any")), ("yes", _("Yes")), ("no", _("No"))]


def _any(choices):
    return [("", pgettext_lazy("filter", "Any")), *choices]


class CustomerFilterForm(forms.Form):
    """The client list's filters, read from the query string (so a filtered list is a shareable URL).

    Invalid values get a field error and are ignored; the rest of the filters still apply.
    """

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    type = forms.ChoiceField(label=_("Customer type"), required=False, choices=_any(CustomerType.choices))
    civility = forms.ChoiceField(label=_("Civility"), required=False)
    tag = forms.TypedMultipleChoiceField(
        label=_("Tags"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    tag_match = forms.ChoiceField(
        label=_("Tags to match"),
        required=False,
        choices=[
            ("", _("Any of the chosen tags")),
            ("all", _("All the chosen tags")),
            ("none", _("None of the chosen tags (no tag at all if none is chosen)")),
        ],
    )
    species = forms.ChoiceField(label=_("Pet species"), required=False, choices=_any(Species.choices))
    pet_birth_month = forms.TypedChoiceField(
        label=_("Pet's birth month"), required=False, coerce=int, empty_value=None, choices=MONTHS
    )
    email_status = forms.ChoiceField(label=_("Email status"), required=False)
    sms_status = forms.ChoiceField(label=_("SMS status"), required=False)
    has_email = forms.ChoiceField(label=_("Has an email"), required=False, choices=YES_NO)
    has_phone = forms.ChoiceField(label=_("Has a mobile phone"), required=False, choices=YES_NO)
    city = text(_("City"), 100, autocomplete="off")
    postal_code = text(_("Postal code starts with"), 20, autocomplete="off", inputmode="numeric")
    email_domain = text(_("Email domain"), 254, autocomplete="off", placeholder="example.com")
    visits_min = forms.IntegerField(label=_("At least this many visits"), required=False, min_value=0)
    visits_max = forms.IntegerField(label=_("At most this many visits"), required=False, min_value=0)
    spent_min = forms.DecimalField(
        label=_("Spent at least"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    spent_max = forms.DecimalField(
        label=_("Spent at most"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    # Loyalty: what they bought (a product code or a brand), and since when not; points; a reward waiting.
    bought = text(_("Bought (product code or brand)"), 100, autocomplete="off")
    not_bought_since = forms.DateField(
        label=_("No such purchase since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    points_min = forms.IntegerField(label=_("At least this many points"), required=False, min_value=0)
    reward_waiting = forms.ChoiceField(label=_("Reward waiting"), required=False, choices=YES_NO)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    visit_after = forms.DateField(
        label=_("Last visit from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    visit_before = forms.DateField(
        label=_("Last visit before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name (A → Z)")),
            ("-name", _("Name (Z → A)")),
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-last_visit", _("Latest visit first")),
            ("last_visit", _("Earliest visit first")),
        ],
    )

    def __init__(self, *args, shop, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.fields["civility"].choices = _any(civility_choices()[1:])
        self.fields["tag"].choices = [(t.pk, t.name) for t in tags]
        self.fields["email_status"].choices = _any(EmailStatus.choices)
        self.fields["sms_status"].choices = _any(SmsStatus.choices)
        if not shop.pets_enabled:
            del self.fields["species"]
            del self.fields["pet_birth_month"]

    def clean(self):
        cleaned = super().clean()
        for start, end in (("created_from", "created_to"), ("visit_after", "visit_before")):
            if cleaned.get(start) and cleaned.get(end) and cleaned[start] > cleaned[end]:
                self.add_error(end, _("This date is before the first one."))
        low, high = cleaned.get("visits_min"), cleaned.get("visits_max")
        if low is not None and high is not None and low > high:
            self.add_error("visits_max", _("This is less than the least number of visits."))
        low, high = cleaned.get("spent_min"), cleaned.get("spent_max")
        if low is not None and high is not None and low > high:
            self.add_error("spent_max", _("This is less than the least amount."))
        return cleaned

    def clean_email_domain(self):
        value = self.cleaned_data["email_domain"].strip().lower()
        return value.rpartition("@")[2]

    def to_filter(self):
        """The valid filters as a `CustomerFilter`; fields with errors are left out."""
        data = self.cleaned_data if self.is_bound else {}
        if self.is_bound and not self.is_valid():
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}

        def yes_no(value):
            return {"yes": True, "no": False}.get(value or "")

        return CustomerFilter(
            query=data.get("q") or "",
            type=data.get("type") or "",
            civility=data.get("civility") or "",
            tag_ids=data.get("tag") or [],
            species=data.get("species") or "",
            pet_birth_month=data.get("pet_birth_month"),
            email_status=data.get("email_status") or "",
            sms_status=data.get("sms_status") or "",
            has_email=yes_no(data.get("has_email")),
            has_phone=yes_no(data.get("has_phone")),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            visit_after=data.get("visit_after"),
            visit_before=data.get("visit_before"),
            tag_match=data.get("tag_match") or "",
            city=data.get("city") or "",
            postal_code=(data.get("postal_code") or "").replace(" ", ""),
            email_domain=data.get("email_domain") or "",
            visits_min=data.get("visits_min"),
            visits_max=data.get("visits_max"),
            spent_min=data.get("spent_min"),
            spent_max=data.get("spent_max"),
            bought=(data.get("bought") or "").strip(),
            not_bought_since=data.get("not_bought_since"),
            points_min=data.get("points_min"),
            reward_waiting=yes_no(data.get("reward_waiting")),
        )

    @property
    def sort_value(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_bound and self.is_valid() else "") or "name"

    def describe(self) -> list[tuple[str, str]]:
        """The filters in words, (label, value), for the export log."""
        described = []
        for name, field in self.fields.items():
            if name in self.errors or name == "sort":
                continue
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            if isinstance(value, list):
                labels = dict(field.choices)
                value = ", ".join(str(labels.get(v, v)) for v in value)
            elif hasattr(field, "choices"):
                value = str(dict(field.choices).get(value, value))
            elif hasattr(value, "isoformat"):
                value = formats.date_format(value, "SHORT_DATE_FORMAT")
            described.append((str(field.label), str(value)))
        return described

    def active_count(self) -> int:
        """How many filters (not the search, not the sort) are set: shown on the collapsed filter panel."""
        if not self.is_bound:
            return 0
        return sum(
            1
            for name in self.fields
            if name not in ("q", "sort")
            and name not in self.errors
            and self.data.getlist(name) not in ([], [""])
        )


class BulkTagForm(forms.Form):
    tag = forms.CharField(
        label=_("Tag"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "tag-catalogue"}),
    )
    action = forms.ChoiceField(choices=[("add", _("Add tag")), ("remove", _("Remove tag"))])
    customer = forms.MultipleChoiceField(required=False)
    all_matching = forms.BooleanField(required=False)
    filters = forms.CharField(required=False, max_length=4000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Customer numbers are checked against the shop by the service; any string is accepted here.
        self.fields["customer"].valid_value = lambda value: True

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_matching") and not cleaned.get("customer"):
            raise forms.ValidationError(_("Select at least one customer, or all matching customers."))
        return cleaned


def customer_filter_form(shop, data, tags=None) -> CustomerFilterForm:
    """The client list's filter form bound to `data` (a QueryDict) and validated; `tags` (the shop's tag
    catalogue) is loaded when not given."""
    form = CustomerFilterForm(data, shop=shop, tags=tags if tags is not None else tag_list(shop=shop))
    form.is_valid()
    return form


class SegmentForm(forms.Form):
    name = text(_("Segment name"), 80, required=True, autocomplete="off")
    filters = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File to import"),
        help_text=_(
            "CSV (comma or semicolon, any usual encoding) or Excel .xlsx, with column names in the first row."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv"}),
    )


class ImportMappingForm(forms.Form):
    """One choice per column of the file: which customer field it holds, or nothing."""

    def __init__(self, *args, job, samples, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— Do not import —")), *FIELDS.items()]
        for index, header in enumerate(job.headers):
            examples = [row[index] for row in samples if index < len(row) and row[index].strip()]
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("Column %(number)d") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=job.mapping.get(str(index), ""),
                help_text=" · ".join(e[:40] for e in examples),
            )

        self.fields["existing"] = forms.ChoiceField(
            label=_("Customers already in the shop"),
            choices=[
                ("update", _("Update them with the file's values")),
                ("keep", _("Leave them as they are: add new customers only")),
            ],
            initial="update" if job.update_existing else "keep",
            required=False,  # not chosen: update, as before there was a choice
            widget=forms.RadioSelect,
        )

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value
        }

    def update_existing(self) -> bool:
        return self.cleaned_data.get("existing") != "keep"

    def clean(self):
        cleaned = super().clean()
        for message in mapping_errors(self.mapping()):
            self.add_error(None, message)
        return cleaned
