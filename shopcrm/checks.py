"""System checks for the edges the app cannot see from a request: who it connects as, and what is open."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from shopcrm import dbroles


@register(Tags.database, deploy=False)
def database_roles(app_configs, **kwargs):
    if dbroles.separate_roles():
        return []
    return [
        Warning(
            "The app, the owner of the tables and the platform jobs use one database role: an injected "
            "statement could lift row-level security.",
            hint="Give DATABASE_OWNER_URL and DATABASE_PLATFORM_URL roles of their own (README).",
            id="shopcrm.W001",
        )
    ]


def esp_name() -> str:
    """`postmark` for `anymail.backends.postmark.EmailBackend`; "" for a non-ESP backend."""
    parts = settings.EMAIL_BACKEND.split(".")
    return parts[2] if len(parts) > 3 and parts[:2] == ["anymail", "backends"] else ""


# ESPs whose anymail webhook needs a package of its own (an optional extra).
ESP_PACKAGES = {"amazon_ses": "boto3"}


def esp_ready() -> bool:
    """The configured ESP's webhook can run: its extra package, if any, is installed."""
    import importlib.util

    package = ESP_PACKAGES.get(esp_name())
    return package is None or importlib.util.find_spec(package) is not None


@register(Tags.compatibility)
def esp_package(app_configs, **kwargs):
    if esp_ready():
        return []
    package = ESP_PACKAGES[esp_name()]
    return [
        Error(
            f"The {esp_name()} email backend needs {package}, which is not installed: its tracking "
            "webhook is not mounted and sending fails.",
            hint=f"pip install 'django-anymail[{esp_name().replace('_', '-')}]' (README, Configuration).",
            id="shopcrm.E003",
        )
    ]


@register(Tags.security)
def esp_webhook_secret(app_configs, **kwargs):
    if not settings.EMAIL_BACKEND.startswith("anymail.") or settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return []
    return [
        Error(
            "An ESP email backend without ANYMAIL WEBHOOK_SECRET: its tracking webhooks are not mounted, "
            "so bounces and complaints never arrive.",
            hint="Set ANYMAIL=…,WEBHOOK_SECRET=user:password and give the ESP the same credentials.",
            id="shopcrm.E002",
        )
    ]


@register(Tags.security, deploy=True)
def site_url_https(app_configs, **kwargs):
    if settings.SITE_URL.startswith("https://"):
        return []
    return [
        Error(
            "SITE_URL is not https: the verify, unsubscribe and invitation links in emails and texts would "
            "travel in clear.",
            hint="Set SITE_URL=https://… (the public address behind your TLS proxy).",
            id="shopcrm.E004",
        )
    ]


@register(Tags.security, deploy=True)
def database_roles_deploy(app_configs, **kwargs):
    if dbroles.separate_roles():
        return []
    return [
        Error(
            "Production needs three database roles (owner, app, platform).",
            hint="Set DATABASE_OWNER_URL and DATABASE_PLATFORM_URL (README, Database roles).",
            id="shopcrm.E001",
        )
    ]
