"""Which connection the ORM uses: the app's own, except inside `tenancy.cross_shop`, where it is the platform
connection (its own role, whose policy admits every shop's rows once the block has entered its scope)."""

from django.db import DEFAULT_DB_ALIAS

from shopcrm.tenancy import PLATFORM_ALIAS, platform_mode


class TenancyRouter:
    # Always an answer, never None: Django would otherwise follow the instance's own database, and a row
    # read inside a cross-shop block would be saved later through the platform connection.
    def db_for_read(self, model, **hints):
        return PLATFORM_ALIAS if platform_mode.get() else DEFAULT_DB_ALIAS

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return True
