"""System checks for the edges the app cannot see from a request: who it connects as, and what is open."""

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
