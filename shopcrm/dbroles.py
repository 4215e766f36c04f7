"""What the owner sets up after every `migrate` (and `flush`), so the runtime roles work and stay confined:

- the tenant key, derived from SECRET_KEY, in `shopcrm_tenantkey` (readable by the owner only);
- DML grants on every table and sequence to the app and platform roles — never TRUNCATE (it ignores row-level
  security), never on the key table;
- a `platform_access` policy on every tenant table, naming the platform role.

The role names come from `settings.DATABASE_ROLES`. With a single role for everything (no
DATABASE_OWNER_URL) there is nothing to grant, and `shopcrm.checks` reports the weaker setup.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connections

from shopcrm.rls import PLATFORM_POLICY, POLICY

logger = logging.getLogger(__name__)

OWNER_ALIAS = "owner"
RUNTIME_ALIASES = ("default", "platform")


def owner_alias_for(alias: str) -> str:
    """The owner's alias for commands that change tables (migrate, flush), when it reaches the same database
    as `alias` under another role; else `alias` itself."""
    if alias not in RUNTIME_ALIASES or OWNER_ALIAS not in connections:
        return alias
    mine, owner = connections[alias].settings_dict, connections[OWNER_ALIAS].settings_dict
    same_database = all(mine.get(k) == owner.get(k) for k in ("NAME", "HOST", "PORT"))
    return OWNER_ALIAS if same_database and mine.get("USER") != owner.get("USER") else alias


def separate_roles() -> bool:
    roles = settings.DATABASE_ROLES
    return len({roles["app"], roles["owner"], roles["platform"]}) == 3


def setup(using: str) -> None:
    """Idempotent; run as the tables' owner."""
    from shopcrm.tenancy import tenant_key_pads

    roles = settings.DATABASE_ROLES
    with connections[using].cursor() as cursor:
        cursor.execute("select to_regclass('shopcrm_tenantkey') is not null")
        if not cursor.fetchone()[0]:
            return  # migrated only part of the way (shopcrm.0005 not applied yet)
        cursor.execute(
            "insert into shopcrm_tenantkey as k (id, inner_pad, outer_pad, platform_role) "
            "values (1, %s, %s, %s) "
            "on conflict (id) do update set inner_pad = excluded.inner_pad, outer_pad = excluded.outer_pad, "
            "platform_role = excluded.platform_role "
            "where (k.inner_pad, k.outer_pad, k.platform_role) "
            "is distinct from (excluded.inner_pad, excluded.outer_pad, excluded.platform_role)",
            [*tenant_key_pads(), roles["platform"]],
        )
        if not separate_roles():
            logger.warning("one database role for everything: row-level security is not enforced against it")
            return
        _grant(cursor, roles["app"])
        _grant(cursor, roles["platform"])
        _platform_policies(cursor, roles["platform"])


def _grant(cursor, role: str) -> None:
    # Only what is missing, so that a migrate with nothing new takes no catalog locks.
    cursor.execute(
        "select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind in ('r', 'p', 'S') and c.relname <> 'shopcrm_tenantkey' "
        "and not case c.relkind when 'S' then has_sequence_privilege(%s, c.oid, 'USAGE') "
        "else has_table_privilege(%s, c.oid, 'DELETE') end",
        [role, role],
    )
    for name, kind in cursor.fetchall():
        if name == "shopcrm_user" or name.startswith(NO_ACCESS) or name in READ_ONLY:
            continue  # below
        rights = "usage, select" if kind == "S" else "select, insert, update, delete"
        cursor.execute(f'grant {rights} on "{name}" to "{role}"')
    _grant_users(cursor, role)
    _restrict_framework_tables(cursor, role)
    cursor.execute(
        "select has_table_privilege(%s, 'shopcrm_tenantkey', 'SELECT') "
        "or has_table_privilege(%s, 'shopcrm_tenantkey', 'UPDATE')",
        [role, role],
    )
    if cursor.fetchone()[0]:
        cursor.execute(f'revoke all on shopcrm_tenantkey from "{role}"')


# Columns of a staff account that change only through a function wanting the app's proof
# (`shopcrm_password_set`, `shopcrm_account_set`; see shopcrm.models.User.save).
PROTECTED_USER_COLUMNS = ("password", "email", "is_active", "session_epoch")
# Framework tables the app never needs: login throttling lives in Redis (axes' cache handler), so do sessions;
# permissions and groups are unused. Nobody may write them, so none can hold a lever on another shop.
NO_ACCESS = ("axes_", "django_session", "auth_group")
READ_ONLY = ("django_migrations", "django_content_type", "auth_permission")


def _grant_users(cursor, role: str) -> None:
    """Staff accounts: read and create (row-level security says whose), update every column but the
    protected ones, never delete."""
    cursor.execute("select to_regclass('shopcrm_user') is not null")
    if not cursor.fetchone()[0]:
        return
    cursor.execute(
        "select count(*) filter (where has_column_privilege(%s, 'shopcrm_user', attname, 'UPDATE') "
        "                          = (attname <> all(%s))) "
        "from pg_attribute where attrelid = 'shopcrm_user'::regclass and attnum > 0 and not attisdropped",
        [role, list(PROTECTED_USER_COLUMNS)],
    )
    right = cursor.fetchone()[0]
    cursor.execute(
        "select count(*) from pg_attribute where attrelid = 'shopcrm_user'::regclass and attnum > 0 "
        "and not attisdropped"
    )
    total = cursor.fetchone()[0]
    cursor.execute(
        "select has_table_privilege(%s, 'shopcrm_user', 'UPDATE') "
        "or has_table_privilege(%s, 'shopcrm_user', 'DELETE') "
        "or not has_table_privilege(%s, 'shopcrm_user', 'SELECT')",
        [role, role, role],
    )
    if cursor.fetchone()[0] or right != total:
        cursor.execute(f'revoke update, delete on shopcrm_user from "{role}"')
        cursor.execute(f'grant select, insert on shopcrm_user to "{role}"')
        cursor.execute(
            "select string_agg(quote_ident(attname), ', ') from pg_attribute "
            "where attrelid = 'shopcrm_user'::regclass and attnum > 0 and not attisdropped "
            "and attname <> all(%s)",
            [list(PROTECTED_USER_COLUMNS)],
        )
        columns = cursor.fetchone()[0]
        cursor.execute(f'revoke update ({", ".join(PROTECTED_USER_COLUMNS)}) on shopcrm_user from "{role}"')
        cursor.execute(f'grant update ({columns}) on shopcrm_user to "{role}"')


def _restrict_framework_tables(cursor, role: str) -> None:
    cursor.execute(
        "select c.relname, has_table_privilege(%s, c.oid, 'INSERT') "
        "or has_table_privilege(%s, c.oid, 'UPDATE') or has_table_privilege(%s, c.oid, 'DELETE'), "
        "has_table_privilege(%s, c.oid, 'SELECT') "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind in ('r', 'p')",
        [role] * 4,
    )
    for name, writes, reads in cursor.fetchall():
        if name.startswith(NO_ACCESS) and (writes or reads):
            cursor.execute(f'revoke all on "{name}" from "{role}"')
        elif name in READ_ONLY and (writes or not reads):
            cursor.execute(f'revoke all on "{name}" from "{role}"')
            cursor.execute(f'grant select on "{name}" to "{role}"')


def _platform_policies(cursor, role: str) -> None:
    cursor.execute(
        "select t.tablename, p.roles from pg_policies t "
        "left join pg_policies p on p.tablename = t.tablename and p.policyname = %s "
        "where t.schemaname = 'public' and t.policyname = %s",
        [PLATFORM_POLICY, POLICY],
    )
    for table, roles in cursor.fetchall():
        if roles == [role]:
            continue
        cursor.execute(f'drop policy if exists {PLATFORM_POLICY} on "{table}"')
        cursor.execute(
            f'create policy {PLATFORM_POLICY} on "{table}" to "{role}" '
            "using (shopcrm_platform_access()) with check (shopcrm_platform_access())"
        )


def post_migrate(sender, using, **kwargs) -> None:
    setup(using)
