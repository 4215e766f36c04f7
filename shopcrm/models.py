"""Tenancy: shops, staff accounts and who works where."""

import zoneinfo

import phonenumbers
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower, Upper
from django.utils import timezone as djtz
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


def validate_country(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            _("“%(value)s” is not a known country code (two letters, e.g. FR or US)."),
            params={"value": value},
        )


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone (e.g. Europe/Paris)."), params={"value": value}
        )


class Language(models.TextChoices):
    EN = "en", _("English")
    FR = "fr", _("French")


class CheckoutRequirement(models.TextChoices):
    NONE = "none", _("Not asked")
    RECOMMENDED = "recommended", _("Recommended")
    REQUIRED = "required", _("Required")


class Shop(models.Model):
    """A tenant. Everything a shop owns carries a `shop` foreign key and is guarded by row-level security."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        validators=[validate_country],
        help_text=_("Default region for phone numbers typed without a prefix."),
    )
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    pets_enabled = models.BooleanField(_("pets"), default=False)
    internal_id_enabled = models.BooleanField(_("internal customer ID"), default=False)
    show_customer_number = models.BooleanField(_("show customer number"), default=False)
    customer_first = models.BooleanField(
        _("customer-first tickets"),
        default=False,
        help_text=_("Our customers are mostly regulars: every ticket starts with “Who is this for?”"),
    )
    name_order = models.CharField(
        _("names typed at the till"),
        max_length=10,
        choices=[
            ("first_last", _("first name, then last name (Marie Dupont)")),
            ("last_first", _("last name, then first name (Dupont Marie)")),
        ],
        default="first_last",
        help_text=_(
            "How “Add customer” splits a name typed in the till's search box. A name in capitals "
            "(DUPONT Marie) is always taken as the last name."
        ),
    )
    # What the checkout screen prompts for when a customer's record lacks it.
    checkout_email = models.CharField(
        _("email at checkout"), max_length=12, choices=CheckoutRequirement.choices, default="none"
    )
    checkout_phone = models.CharField(
        _("phone at checkout"), max_length=12, choices=CheckoutRequirement.choices, default="none"
    )
    checkout_address = models.CharField(
        _("address at checkout"), max_length=12, choices=CheckoutRequirement.choices, default="none"
    )
    sender_name = models.CharField(
        _("sender name"),
        max_length=60,
        blank=True,
        help_text=_("Shown as the sender of emails and in texts. Empty: the shop's name."),
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    postal_address = models.CharField(
        _("postal address"),
        max_length=300,
        blank=True,
        help_text=_("Printed at the foot of every email, as the law on commercial email asks."),
    )
    privacy_url = models.URLField(
        _("privacy notice"),
        blank=True,
        help_text=_("A link to the shop's privacy notice, at the foot of every email."),
    )
    sms_sender = models.CharField(
        _("SMS sender"),
        max_length=40,
        blank=True,
        help_text=_(
            "The shop's own Twilio number (+…), Messaging Service SID (MG…), or a name of up to 11 letters "
            "and digits where the country allows it. Empty: the platform's shared number. Assigned by the "
            "platform, never typed by the shop: one sender belongs to one shop."
        ),
    )
    # The shop's own hours for marketing and consent-request texts, inside the legal window of its country
    # (messaging.windows checks and applies them). Empty: the whole legal window.
    sms_hours_from = models.TimeField(
        _("texts from"),
        null=True,
        blank=True,
        help_text=_(
            "Opt-in and marketing texts wait for these hours, within the law (France: Monday to Saturday, "
            "8:00 to 20:00, not on public holidays; United States: 8:00 to 21:00). Empty: the legal hours."
        ),
    )
    sms_hours_until = models.TimeField(_("texts until"), null=True, blank=True)
    # CNIL: a customer's data is kept for 3 years after the last contact they started, then erased.
    retention_years = models.PositiveSmallIntegerField(
        _("keep inactive customers for (years)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_(
            "A customer with no visit and no activity for this long is erased automatically, unless an "
            "admin keeps them. The CNIL recommends 3 years."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=djtz.now)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["name"]
        constraints = [
            # Texts from a sender say who sent them, and replies to it are credited by it: two shops can
            # never share one (a name in another case is the same name on a phone's screen).
            models.UniqueConstraint(
                Upper("sms_sender"), condition=~models.Q(sms_sender=""), name="shop_sms_sender_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def display_sender(self) -> str:
        return self.sender_name or self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Staff type their email in any case; the stored address is unique case-insensitively.
        return self.get(email__iexact=username.strip())

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email.strip()), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A staff account. It signs in with its email and may work in several shops."""

    email = models.EmailField(_("email"), max_length=254)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=Language.choices,
        blank=True,
        help_text=_("Empty: use the shop's language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=djtz.now)
    # Raised to sign the person out everywhere at once (their staff access was cut).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    # Their own mobile, confirmed by a code texted to it: where campaign tests by text may go (a test goes
    # to nobody else, so "Send a test" cannot text any number the platform would pay for).
    mobile_phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    mobile_phone_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._stored = user._protected_values()
        return user

    # Changed only through database functions that want a proof made by the app's code (shopcrm.rls): the app
    # role may not UPDATE them, so one injected statement can neither give an account a known password nor
    # point its password reset at another mailbox, deactivate it or sign it out.
    PROTECTED = ("password", "email", "is_active", "session_epoch")

    def _protected_values(self) -> dict:
        return {name: self.__dict__.get(name) for name in self.PROTECTED}

    def save(self, *args, **kwargs):
        """Row-level security admits an account's row to its owner only (`tenancy.account_scope`), which
        this enters; the protected columns are stored through their functions with a proof, every other
        column as usual. A new account is inserted inside the scope of its own, already chosen, id."""
        from django.db import router

        from shopcrm.tenancy import account_new_id, account_scope, account_store, password_store

        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if self._state.adding:
            if self.pk is None:
                self.pk = account_new_id(using)
            kwargs["force_insert"] = True
            with account_scope(self.pk, using=using):
                super().save(*args, **kwargs)
            self._stored = self._protected_values()
            return
        fields = kwargs.pop("update_fields", None)
        if fields is None:
            fields = [f.attname for f in self._meta.concrete_fields if not f.primary_key]
        fields = list(fields)
        stored = getattr(self, "_stored", {})
        with account_scope(self.pk, using=using):
            if "password" in fields and self.password != stored.get("password"):
                password_store(self, using=using)
            if any(f in fields and getattr(self, f) != stored.get(f) for f in self.PROTECTED[1:]):
                account_store(self, using=using)
            self._stored = {**stored, **{f: getattr(self, f) for f in self.PROTECTED if f in fields}}
            fields = [f for f in fields if f not in self.PROTECTED]
            if fields:
                super().save(*args, update_fields=fields, **kwargs)
            elif self._password is not None:  # what Django's own save does after set_password
                from django.contrib.auth import password_validation

                password_validation.password_changed(self._password, self)
                self._password = None

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email.strip())

    def _get_session_auth_hash(self, secret=None):
        # Django signs each session with a hash of the password; mixing in the epoch lets raising it end
        # every session of this account, like a password change does. Epoch 0 keeps Django's own hash.
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "shopcrm.User.session", f"{self.password}:{self.session_epoch}", secret=secret, algorithm="sha256"
        ).hexdigest()


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    CASHIER = "cashier", _("Cashier")


class StaffMembership(models.Model):
    """Who works in which shop, and as what. Deactivating it ends that person's access to the shop.

    An invitation is a membership not accepted yet: it gives no access until the person accepts it (signed
    in, or by choosing the password of the account the invitation created). Until then the shop sees the
    email it typed and the name it gave, nothing of the account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=djtz.now)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("invited by")
    )
    invited_name = models.CharField(_("name given by the shop"), max_length=150, blank=True)
    # The invitation made the account: its link lets the person choose the account's first password.
    created_account = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [models.UniqueConstraint(fields=["shop", "user"], name="membership_shop_user_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.declined_at is None

    @property
    def grants_access(self) -> bool:
        return self.is_active and self.accepted_at is not None
