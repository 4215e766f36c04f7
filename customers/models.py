"""Customers, their pets and tags, and the history of changes to them. Every table carries `shop`."""

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Collate, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from messaging.consent.states import EmailStatus, SmsStatus  # consent's states; fields here cache them
from shopcrm.models import Shop


class CustomerType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    PROFESSIONAL = "professional", _("Professional")


class Civility(models.TextChoices):
    MR = "mr", pgettext_lazy("civility", "Mr")
    MRS = "mrs", pgettext_lazy("civility", "Mrs")
    MS = "ms", pgettext_lazy("civility", "Ms")
    MX = "mx", pgettext_lazy("civility", "Mx")


class Tag(models.Model):
    """A shop's own label for customers; also serves as a customer group."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("shop", Lower("name"), name="tag_shop_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    # Short, readable, random, unique across the platform: what people read out and what URLs carry.
    number = models.CharField(_("customer number"), max_length=12, unique=True, editable=False)
    type = models.CharField(
        _("type"), max_length=12, choices=CustomerType.choices, default=CustomerType.INDIVIDUAL
    )
    civility = models.CharField(_("Civility"), max_length=3, choices=Civility.choices, blank=True)
    first_name = models.CharField(_("First name"), max_length=150)
    last_name = models.CharField(_("Last name"), max_length=150)
    company_name = models.CharField(_("Company name"), max_length=200, blank=True)
    company_registration = models.CharField(_("SIRET / VAT number"), max_length=40, blank=True)
    internal_id = models.CharField(_("Internal customer ID"), max_length=40, blank=True)
    phone = PhoneNumberField(_("Mobile phone"), blank=True)
    email = models.EmailField(_("Email"), max_length=254, blank=True)
    secondary_emails = ArrayField(
        models.EmailField(max_length=254), verbose_name=_("Other emails"), default=list, blank=True
    )
    # A second person on the account (a couple, a parent): found at the till by their own name.
    also_name = models.CharField(
        _("Also on this account"), max_length=150, blank=True, default="", db_default=""
    )
    address_line1 = models.CharField(_("Address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("Address (line 2)"), max_length=200, blank=True)
    postal_code = models.CharField(_("Postal code"), max_length=20, blank=True)
    city = models.CharField(_("City"), max_length=100, blank=True)
    notes = models.TextField(_("Notes"), blank=True, max_length=5000)
    tags = models.ManyToManyField(Tag, through="CustomerTag", blank=True, related_name="customers")

    email_status = models.CharField(
        _("email status"), max_length=12, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    sms_status = models.CharField(
        _("SMS status"), max_length=12, choices=SmsStatus.choices, default=SmsStatus.NONE
    )
    portal_joined_at = models.DateTimeField(_("joined the customer portal"), null=True, blank=True)

    # Lookup keys kept by the services: names lower-cased without accents, the email lower-cased, the phone's
    # digits reversed (for "last 4 digits"). Collation "C" makes prefix searches plain >= / < ranges, which
    # are leakproof: under row-level security PostgreSQL may use an index only for leakproof operators,
    # and LIKE, lower() and reverse() are not.
    last_name_key = models.CharField(max_length=150, editable=False, default="", db_collation="C")
    first_name_key = models.CharField(max_length=150, editable=False, default="", db_collation="C")
    company_key = models.CharField(max_length=200, editable=False, default="", db_collation="C")
    email_key = models.CharField(max_length=254, editable=False, default="", db_collation="C")
    phone_rev = models.CharField(max_length=20, editable=False, default="", db_collation="C")
    # The internal ID lower-cased, so "a1027" finds "A1027" (an equality on a "C"-collated key).
    internal_id_key = models.CharField(
        max_length=40, editable=False, default="", db_default="", db_collation="C"
    )
    also_name_key = models.CharField(max_length=150, editable=False, default="", db_default="")
    # For the client list's filters: the city as name_key compares it, the email's domain (lower case).
    city_key = models.CharField(max_length=100, editable=False, default="", db_default="", db_collation="C")
    email_domain = models.CharField(
        max_length=254, editable=False, default="", db_default="", db_collation="C"
    )
    # The phone as dialled in its own country, kept for exports (formatting it per row costs more than
    # the whole rest of a CSV export).
    phone_national = models.CharField(max_length=30, editable=False, default="")

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)
    first_visit_at = models.DateTimeField(_("first visit"), null=True, blank=True)
    visit_count = models.PositiveIntegerField(_("visits"), default=0, db_default=0)
    # From the shop's previous software (imports): what it had spent there, and the birthday it knew.
    total_spent = models.DecimalField(
        _("total spent"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # An admin kept this customer past the shop's retention period (customers.retention), until then, why.
    kept_until = models.DateField(_("kept until"), null=True, blank=True)
    kept_reason = models.CharField(_("reason for keeping"), max_length=200, blank=True, db_default="")

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "phone"], condition=~Q(phone=""), name="customer_shop_phone_unique"
            ),
            models.UniqueConstraint(
                fields=["shop", "email_key"], condition=~Q(email_key=""), name="customer_shop_email_unique"
            ),
            models.UniqueConstraint(
                fields=["shop", "internal_id"],
                condition=~Q(internal_id=""),
                name="customer_shop_internal_id_unique",
            ),
        ]
        # Behind customers.search: b-tree indexes led by shop_id on the "C"-collated keys, so that a prefix
        # is an index range and the index order is the result order.
        indexes = [
            models.Index(fields=["shop", "-created_at"], name="customer_created_idx"),
            # The client list's "last visit" sort (NULLs, never visited, last).
            models.Index(
                "shop", models.F("last_visit_at").desc(nulls_last=True), "id", name="customer_visit_idx"
            ),
            models.Index(fields=["shop", "last_name_key", "first_name_key"], name="customer_last_key_idx"),
            models.Index(fields=["shop", "first_name_key", "last_name_key"], name="customer_first_key_idx"),
            models.Index(
                fields=["shop", "company_key"], name="customer_company_key_idx", condition=~Q(company_key="")
            ),
            models.Index(
                fields=["shop", "phone_rev"], name="customer_phone_rev_idx", condition=~Q(phone_rev="")
            ),
            # The client list's filters: city, postal code (a prefix, in "C" order), email domain, visits.
            models.Index(
                fields=["shop", "city_key"], name="customer_city_key_idx", condition=~Q(city_key="")
            ),
            models.Index(
                "shop",
                Collate("postal_code", "C"),
                name="customer_postal_c_idx",
                condition=~Q(postal_code=""),
            ),
            models.Index(
                fields=["shop", "email_domain"],
                name="customer_email_domain_idx",
                condition=~Q(email_domain=""),
            ),
            models.Index(fields=["shop", "visit_count"], name="customer_visit_count_idx"),
            models.Index(
                fields=["shop", "total_spent"],
                name="customer_spent_idx",
                condition=Q(total_spent__isnull=False),
            ),
            # Phone prefixes ("06 12", "+33 6 12" → "+33612"): a range on the E.164 number in "C" order.
            models.Index("shop", Collate("phone", "C"), name="customer_phone_c_idx", condition=~Q(phone="")),
            models.Index(
                fields=["shop", "internal_id_key"],
                name="customer_internal_id_key_idx",
                condition=~Q(internal_id_key=""),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        if self.type == CustomerType.PROFESSIONAL and self.company_name:
            return f"{self.company_name} ({self.full_name})"
        return self.full_name

    @property
    def is_professional(self) -> bool:
        return self.type == CustomerType.PROFESSIONAL


class Segment(models.Model):
    """A named set of the client list's filters, shared by the shop's admins: the list, its count and its
    export open it as they open the filters it holds (desk.segments)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("Segment name"), max_length=80)
    # The list's filters as a query string, the search text itself included (never put in an address).
    filters = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["shop", "name"], name="segment_shop_name_unique")]

    def __str__(self) -> str:
        return self.name


class DuplicateDismissal(models.Model):
    """An admin said these two customers are not the same person: the duplicate finder stops suggesting
    them (desk.duplicates). The pair is kept in id order."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    first = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "first", "second"], name="duplicatedismissal_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="duplicatedismissal_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"


class NameKey(models.Model):
    """The shop's vocabulary of last-name keys, for typo-tolerant search: a misspelt name is matched by
    trigram similarity against this short list, then customers are found by exact key through an index."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=150, db_collation="C")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "key"], name="namekey_shop_key_unique")]

    def __str__(self) -> str:
        return self.key


class SearchTerm(models.Model):
    """What the till also finds a customer by, beyond the keys on the customer row (customers.terms):
    inner words of names and companies ("fontaine" in "de la fontaine"), word pairs across first and last
    name ("yann gall"), the second person on the account, other emails. Most customers have no row: the
    customer row's own indexes already serve a one-word first and last name."""

    class Kind(models.IntegerChoices):
        WORD = 1, "word"  # a name part from one of its inner words on: "la fontaine", "fontaine"
        PAIR = 2, "pair"  # a word (or whole part) of one name part, `other` one of the other part
        ALSO_WORD = 3, "also word"  # the second person's name, from each of its words on
        ALSO_PAIR = 4, "also pair"
        EMAIL = 5, "email"  # another email, lower-cased

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    key = models.CharField(max_length=254, db_collation="C")
    other = models.CharField(max_length=150, db_collation="C", default="", blank=True)

    class Meta:
        # Every branch of the search is an index range here: (shop, kind, key prefix) or
        # (shop, kind, key, other prefix); the customer comes from the index itself.
        indexes = [
            models.Index(
                fields=["shop", "kind", "key", "other"], include=["customer"], name="searchterm_lookup_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.other}".strip()


class CustomerTag(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "tag"], name="customertag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.tag_id}"


class Species(models.TextChoices):
    DOG = "dog", _("Dog")
    CAT = "cat", _("Cat")
    BIRD = "bird", _("Bird")
    FISH = "fish", _("Fish")
    REPTILE = "reptile", _("Reptile")
    SMALL_MAMMAL = "small_mammal", _("Small mammal")
    OTHER = "other", _("Other")


class Pet(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pets")
    name = models.CharField(_("Pet's name"), max_length=80)
    # The name as the till's search compares it (customers.normalise.name_key), "C"-collated for ranges.
    name_key = models.CharField(max_length=80, editable=False, default="", db_default="", db_collation="C")
    species = models.CharField(_("Species"), max_length=14, choices=Species.choices)
    breed = models.CharField(_("Breed"), max_length=80, blank=True)
    # Month and year of birth; an age typed at the till is stored as its birth year.
    birth_month = models.PositiveSmallIntegerField(_("Birth month"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("Birth year"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["shop", "name_key"], name="pet_name_key_idx", condition=~Q(name_key="")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_month__isnull=True) | Q(birth_month__range=(1, 12)),
                name="pet_birth_month_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def age(self, today: datetime.date | None = None) -> int | None:
        if not self.birth_year:
            return None
        today = today or timezone.localdate()
        years = today.year - self.birth_year
        if self.birth_month and today.month < self.birth_month:
            years -= 1
        return max(years, 0)

    def has_birthday_in(self, month: int) -> bool:
        return self.birth_month == month


class CustomerChange(models.Model):
    """One line of a customer's history: who did what, when, and which fields changed."""

    class Action(models.TextChoices):
        CREATED = "created", _("created the customer")
        UPDATED = "updated", _("changed")
        PET_ADDED = "pet_added", _("added a pet")
        PET_UPDATED = "pet_updated", _("changed a pet")
        PET_REMOVED = "pet_removed", _("removed a pet")
        VISIT = "visit", _("recorded a visit")
        MERGED = "merged", _("merged a duplicate into this customer")
        UNMERGED = "unmerged", _("undid a merge")
        KEPT = "kept", _("kept past the retention period")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="changes")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=12, choices=Action.choices)
    # {field verbose name: [old, new]} or {"pet": name}
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["customer", "-at"], name="customerchange_customer_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class Export(models.Model):
    """The audit record of one export of customer data: who took which customers, when, in what form.

    Written before the first byte leaves; `row_count` and `finished_at` are filled when the file is
    complete. Large exports are built by a worker into `file`, kept for a day.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        RUNNING = "running", _("in progress")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    format = models.CharField(max_length=4, choices=Format.choices)
    # The list's query string (filters and sort), so the export can be reproduced and audited.
    filters = models.TextField(blank=True)
    expected_rows = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    file = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format})"


class Import(models.Model):
    """One file brought in from the shop's previous software, from upload to the last row.

    The file is kept (for the dry run, the import itself and the rejected-rows report) and its SHA-256
    recorded, so the consent events of imported customers can name the file they came from.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded")
        CHECKING = "checking", _("checking")
        CHECKED = "checked", _("checked")
        IMPORTING = "importing", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=200)
    file = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # How the file was read: "xlsx", or a text encoding with its delimiter.
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    headers = models.JSONField(default=list)
    total_rows = models.PositiveIntegerField(default=0)
    mapping = models.JSONField(default=dict, blank=True)
    # False: customers already here are left as they are (the file only adds new ones).
    update_existing = models.BooleanField(default=True, db_default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    # {"new": n, "updated": n, "unchanged": n, "invalid": n, "errors": [[row, column, message], ...]}
    check_result = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.filename})"


class ImportMapping(models.Model):
    """The columns an admin chose for a file with this set of headers, offered again for the next file with
    the same headers (the same software's export, month after month)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    headers_key = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict)
    update_existing = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "headers_key"], name="importmapping_unique")]

    def __str__(self) -> str:
        return self.headers_key[:12]


class Merge(models.Model):
    """Two customers made one. Keeps what is needed to undo it: the merged customer as it was, the
    survivor's values before, and which pets, tags, messages and consent events moved."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges")
    merged_number = models.CharField(max_length=12)
    merged_name = models.CharField(max_length=310)
    snapshot = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"merge {self.merged_number} → {self.survivor_id}"
