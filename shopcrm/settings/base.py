"""Settings shared by every environment; everything that varies comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from shopcrm.dev import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="")
# Keys the hashes of opted-out and erased addresses (messaging.consent). Unlike SECRET_KEY it must never
# change: a new key would forget every suppression. Defaults to a value derived from SECRET_KEY.
CONSENT_HASH_KEY = env("CONSENT_HASH_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
# Development only: the outbox page listing every message sent, its links clickable (shopcrm.settings.dev).
DEV_OUTBOX = env.bool("DEV_OUTBOX", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Base of every link put in an email or SMS (verify, unsubscribe, password reset).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "phonenumber_field",
    "anymail",
    "axes",
    "csp",
    "shopcrm",
    "customers",
    "checkout",
    "messaging",
    "loyalty",
    "desk",
    "campaigns",
]

MIDDLEWARE = [
    "shopcrm.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shopcrm.middleware.HtmxSignInMiddleware",
    "shopcrm.middleware.TenantMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shopcrm.urls"
WSGI_APPLICATION = "shopcrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shopcrm.context_processors.shop",
            ],
        },
    }
]

# Three roles on one database (README, "Database roles"): the app connects as a role with DML rights only,
# `manage.py migrate` runs as the owner of the tables, and the few logged cross-shop jobs use the platform
# role. Without DATABASE_OWNER_URL / DATABASE_PLATFORM_URL every alias falls back to DATABASE_URL, which
# leaves the boundary to the app's own care: `manage.py check` says so, `check --deploy` refuses it.
_app_url = env("DATABASE_URL", default=None)
_urls = {
    "default": _app_url or embedded.database_url(embedded.APP_ROLE),
    "owner": env("DATABASE_OWNER_URL", default=None)
    or _app_url
    or embedded.database_url(embedded.OWNER_ROLE),
    "platform": env("DATABASE_PLATFORM_URL", default=None)
    or _app_url
    or embedded.database_url(embedded.PLATFORM_ROLE),
}
DATABASES = {}
for _alias, _url in _urls.items():
    DATABASES[_alias] = env.db_url_config(_url)
    DATABASES[_alias].update(
        {
            "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60) if _alias != "owner" else 0,
            "CONN_HEALTH_CHECKS": True,
            # The tenant middleware opens the request's transaction itself (it must enter the shop first).
            "ATOMIC_REQUESTS": False,
        }
    )
# The role names, fixed here: the grants and the platform policy name them (shopcrm.dbroles).
DATABASE_ROLES = {
    "app": DATABASES["default"]["USER"],
    "owner": DATABASES["owner"]["USER"],
    "platform": DATABASES["platform"]["USER"],
}
DATABASE_ROUTERS = ["shopcrm.dbrouter.TenancyRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default=embedded.redis_url())

AUTH_USER_MODEL = "shopcrm.User"
# Emails are unique case-insensitively (a functional unique index) and looked up with iexact.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "shopcrm.backends.AccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# How long the link of an invitation that created an account lets its owner choose the first password.
INVITATION_LINK_DAYS = env.int("INVITATION_LINK_DAYS", default=7)
# How the platform hands a staff invitation to the messaging app (the platform imports no domain app).
STAFF_INVITATION_SENDER = "messaging.services.staff_invitation_queue"
# Sections other apps add to the shop's settings page: callables (request) -> HTML.
# Checks other apps add to a change of the shop's settings (each raises ValidationError by field).
SHOP_SETTINGS_CHECKS = ["messaging.windows.validate_shop_hours", "messaging.sms.senders.validate_shop_sender"]
# Sections the layers above customers add to the customer page: callables (request, customer) -> HTML.
CUSTOMER_PAGE_PANELS = ["loyalty.panels.customer_panel"]
SHOP_SETTINGS_PANELS = [
    "customers.settings_panel.retention_panel",
    "messaging.settings_panel.erasure_panel",
]

# Login throttling: five failures for one email from one address locks that pair out for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Failures are counted in Redis, not in tables the app role could write (shopcrm.dbroles gives it none).
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "shopcrm.forms.axes_username"
AXES_VERBOSE = False
# How many reverse proxies (TLS terminators, load balancers) stand in front of the app, each appending to
# X-Forwarded-For. The sign-in throttle and the consent ledger take the client's address from there.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "shopcrm.http.client_ip"

SESSION_COOKIE_AGE = 60 * 60 * 12
# Sessions live in Redis, not in PostgreSQL: a session key is a credential, and nothing an SQL statement run
# as the app's role can read should let it sign in as someone else (the database holds no session at all).
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie: the token is put in hx-headers from the template.

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own tweaks of Django's date formats (shopcrm/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["shopcrm.formats"]
LANGUAGE_COOKIE_NAME = "shopcrm_language"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Scripts only from our own origin or with the per-response nonce; no inline event handlers anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / ".data" / "mail"))
# An SMTP server that stops answering must not hold a worker: the outbox takes a send still running after
# five minutes for a dead worker (messaging.outbox.SENDING_STUCK_AFTER).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="shopcrm <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = env.dict("ANYMAIL", default={})
# anymail's tracking webhooks (/anymail/…) exist only for an ESP backend with a WEBHOOK_SECRET (basic auth):
# without one, anyone could post "bounced" or "complained" for any address. See shopcrm.checks.
ESP_WEBHOOKS = EMAIL_BACKEND.startswith("anymail.") and bool(ANYMAIL.get("WEBHOOK_SECRET"))
SMS_BACKEND = env("SMS_BACKEND", default="messaging.sms.backends.console.SmsBackend")
SMS_FILE_PATH = env("SMS_FILE_PATH", default=str(BASE_DIR / ".data" / "sms"))
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
# Marketing and consent-request texts wait for the shop's legal hours (messaging.windows).
SMS_SEND_WINDOWS = env.bool("SMS_SEND_WINDOWS", default=True)

# What a shop's texts may cost the platform's provider account (messaging.sms.bill): countries texts may go
# to besides the shop's own (ISO codes), and how many texts a shop sends a day and a month (0: no cap); pages
# warn from SMS_CAP_WARN_PERCENT of either.
SMS_ALLOWED_COUNTRIES = env.list("SMS_ALLOWED_COUNTRIES", default=[])
SMS_DAILY_CAP_SHOP = env.int("SMS_DAILY_CAP_SHOP", default=2000)
SMS_MONTHLY_CAP_SHOP = env.int("SMS_MONTHLY_CAP_SHOP", default=20000)
SMS_CAP_WARN_PERCENT = env.int("SMS_CAP_WARN_PERCENT", default=80)
# Campaign tests a shop may send an hour (they go at once, outside any send window).
CAMPAIGN_TESTS_PER_HOUR = env.int("CAMPAIGN_TESTS_PER_HOUR", default=5)

# Messages per second the workers send, per shop and for the whole platform, on each channel
# (messaging.throttle); 0 is no limit. Match them to the providers' contracts.
SEND_RATES = {
    "email": {
        "shop": env.int("SEND_RATE_EMAIL_SHOP", default=50),
        "platform": env.int("SEND_RATE_EMAIL", default=200),
    },
    "sms": {
        "shop": env.int("SEND_RATE_SMS_SHOP", default=5),
        "platform": env.int("SEND_RATE_SMS", default=30),
    },
}

# Shared between web and workers: the progress of exports and imports running as tasks.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="shopcrm"),
        "TIMEOUT": 60 * 60 * 24,
    }
}
# Where exports built by a worker, and uploaded import files, are kept (shared by web and workers).
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media"))
MEDIA_URL = "/media-not-served/"
# Client lists in and out: readable by the app's own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# An import file larger than this is refused with a message (Excel and CSV exports of a shop fit easily).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

CELERY_BROKER_URL = embedded.broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker child that grew past this (KiB) after a task — a large import, a large export — is replaced by a
# fresh one, so that memory a task took is given back.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=512 * 1024)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="shopcrm")
# Campaigns' messages (messaging.outbox.message_publish(bulk=True)); every worker reads both queues.
CELERY_BULK_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-bulk"
# A worker started without -Q consumes every queue listed here.
CELERY_TASK_QUEUES = [Queue(CELERY_TASK_DEFAULT_QUEUE), Queue(CELERY_BULK_QUEUE)]
CELERY_TASK_IGNORE_RESULT = True
# Every retry countdown must stay well under this, or Redis redelivers a task that is merely waiting.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 0,
    # A worker reads its queues in the order listed (the main one first), not in turn: a message someone is
    # waiting for is taken before the next slice of a campaign (messaging.outbox, "bulk").
    "queue_order_strategy": "priority",
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_MAX_RETRIES = 0
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "messaging.sweep_outbox", "schedule": 60.0},
    "launch-campaigns": {"task": "campaigns.launch_due", "schedule": 60.0},
    "pet-birthdays": {"task": "campaigns.pet_birthdays", "schedule": 3600.0},
    "purge-export-and-import-files": {"task": "customers.purge_files", "schedule": 3600.0},
    "retention": {"task": "customers.retention_run", "schedule": 86400.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
