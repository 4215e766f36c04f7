"""Row-level security for tenant tables, as migration operations.

Every table with a `shop_id` gets `ENABLE` + `FORCE ROW LEVEL SECURITY` and a `tenant_isolation` policy that
admits a row only when its shop is the one the transaction *entered*:

- a transaction enters a shop only through `shopcrm_tenant_enter(shop, user, platform, expires, proof)`, a
  `SECURITY DEFINER` function owned by the table owner. The proof is an HMAC of (scope, backend pid, expiry)
  keyed by a secret that the app derives from its `SECRET_KEY` and the function reads from
  `shopcrm_tenantkey`, a table only the owner can read. Nothing the app role can run in SQL produces one.
- the function records the scope in two transaction-local settings, `shopcrm.scope` and `shopcrm.seal`; the
  seal is an HMAC of (scope, backend pid, transaction start). The app role can `SET` either, but cannot make
  a seal match: a forged scope, a seal copied from another connection or kept from an earlier transaction
  all fail, and the policy then admits no row.
- the policies call `shopcrm_tenant_shop()` / `shopcrm_tenant_user()` (STABLE: computed once per scan, so
  the `(shop_id, …)` indexes still serve), which return the sealed scope or NULL.
- `platform_access` policies (created after every migrate by `shopcrm.dbroles`, because they name the
  platform role) admit every row to the platform role's connection, and only inside a sealed platform scope
  (`shopcrm.tenancy.cross_shop`, which logs its reason).

`enable_rls_v1` is the first form (a plain `app.shop_id` setting), kept because the early migrations created
it; `shopcrm.0005` replaces every such policy.
"""

from django.db import migrations

POLICY = "tenant_isolation"
PLATFORM_POLICY = "platform_access"

TENANT_SHOP = "shop_id = shopcrm_tenant_shop()"
TENANT_USER = "user_id = shopcrm_tenant_user()"


def _hmac(message: str, key: str = "k") -> str:
    # HMAC-SHA256 from the built-in sha256() (no pgcrypto needed): the key table holds the key already
    # XORed with the inner and outer pads.
    return (
        f"encode(sha256({key}.outer_pad || sha256({key}.inner_pad || convert_to({message}, 'UTF8'))), 'hex')"
    )


def _seal_check(alias: str = "s") -> str:
    # The seal the enter function wrote for this scope, this backend and this transaction's start.
    return f"{alias}.seal = " + _hmac(
        f"'seal:' || {alias}.scope || ':' || pg_backend_pid() || ':' || "
        "(extract(epoch from now()) * 1000000)::bigint"
    )


_SCOPE = (
    "(select pg_catalog.current_setting('shopcrm.scope', true) as scope, "
    "pg_catalog.current_setting('shopcrm.seal', true) as seal) s, public.shopcrm_tenantkey k"
)


def _scope_part_function(name: str, part: int) -> str:
    """A policy function returning one part of the sealed scope (1: shop, 2: user), or NULL."""
    return f"""create or replace function {name}() returns bigint
language sql stable security definer
as $$
    select nullif(split_part(s.scope, ':', {part}), '')::bigint from {_SCOPE}
     where k.id = 1 and {_seal_check()}
$$;
"""  # noqa: S608


_ENTER_PROOF = _hmac("'enter:' || v_scope || ':' || pg_backend_pid() || ':' || p_expires")
_NEW_SEAL = _hmac(
    "'seal:' || v_scope || ':' || pg_backend_pid() || ':' || (extract(epoch from now()) * 1000000)::bigint"
)

# Constant SQL (the f-string only assembles the expressions above).
FUNCTIONS = f"""
create table if not exists shopcrm_tenantkey (
    id smallint primary key default 1 check (id = 1),
    inner_pad bytea not null,
    outer_pad bytea not null,
    platform_role text not null
);
revoke all on table shopcrm_tenantkey from public;

create or replace function shopcrm_tenant_enter(
    p_shop bigint, p_user bigint, p_platform boolean, p_expires bigint, p_proof text
) returns void
language plpgsql volatile security definer set search_path = pg_catalog, public, pg_temp
as $$
declare
    k public.shopcrm_tenantkey;
    v_scope text := coalesce(p_shop::text, '') || ':' || coalesce(p_user::text, '') || ':'
        || case when p_platform then 'platform' else '' end;
    v_now double precision := extract(epoch from clock_timestamp());
begin
    -- Qualified: a caller's temporary table of the same name must not stand in for the key.
    select * into k from public.shopcrm_tenantkey where id = 1;
    if not found then
        raise exception 'shopcrm: no tenant key (run migrate as the owner)' using errcode = '42501';
    end if;
    if p_proof is null or p_expires is null or p_expires < v_now or p_expires > v_now + 900
       or p_proof <> {_ENTER_PROOF} then
        raise exception 'shopcrm: refused to enter a tenant scope without a valid proof'
            using errcode = '42501';
    end if;
    perform set_config('shopcrm.scope', v_scope, true);
    perform set_config('shopcrm.seal', {_NEW_SEAL}, true);
end
$$;

{_scope_part_function("shopcrm_tenant_shop", 1)}
{_scope_part_function("shopcrm_tenant_user", 2)}
-- The three policy functions have no SET search_path (a SET clause costs a settings save and restore on
-- every call, and stops nothing here): every table they read is schema-qualified, and pg_catalog is
-- searched first for functions and operators whatever the caller's search_path (pg_temp never is).
-- session_user, not current_user: inside a SECURITY DEFINER function current_user is the owner.
create or replace function shopcrm_platform_access() returns boolean
language sql stable security definer
as $$
    select coalesce((select split_part(s.scope, ':', 3) = 'platform' and session_user::text = k.platform_role
                       from {_SCOPE} where k.id = 1 and {_seal_check()}), false)
$$;
"""  # noqa: S608


def _proof_checked(signature: str, returns: str, proof: str, what: str, body: str) -> str:
    """A SECURITY DEFINER function that runs `body` only for a caller holding the app's proof."""
    return f"""
create or replace function {signature} returns {returns}
language plpgsql volatile security definer set search_path = pg_catalog, public, pg_temp
as $$
declare
    k public.shopcrm_tenantkey;
    v_now double precision := extract(epoch from clock_timestamp());
begin
    select * into k from public.shopcrm_tenantkey where id = 1;
    if not found or p_proof is null or p_expires is null or p_expires < v_now or p_expires > v_now + 900
       or p_proof <> {proof} then
        raise exception 'shopcrm: refused {what} without a valid proof' using errcode = '42501';
    end if;
    {body}
end
$$;
"""  # noqa: S608


_PASSWORD_PROOF = _hmac(
    "'password:' || p_user || ':' || p_hash || ':' || pg_backend_pid() || ':' || p_expires"
)

# The app role may not UPDATE a password column (an injected statement could give another shop's admin a
# password it knows): a password changes only through this function, with a proof made by the app's code.
PASSWORD_FUNCTION = _proof_checked(
    "shopcrm_password_set(p_user bigint, p_hash text, p_expires bigint, p_proof text)",
    "void",
    _PASSWORD_PROOF,
    "to change a password",
    "update public.shopcrm_user set password = p_hash where id = p_user;",
)


def password_function() -> migrations.RunSQL:
    return migrations.RunSQL(
        sql=PASSWORD_FUNCTION,
        reverse_sql="drop function if exists shopcrm_password_set(bigint, text, bigint, text)",
    )


DROP_FUNCTIONS = """
drop function if exists shopcrm_platform_access();
drop function if exists shopcrm_tenant_user();
drop function if exists shopcrm_tenant_shop();
drop function if exists shopcrm_tenant_enter(bigint, bigint, boolean, bigint, text);
drop table if exists shopcrm_tenantkey;
"""


def tenant_functions() -> migrations.RunSQL:
    """The key table and the functions the policies call (shopcrm.0005)."""
    return migrations.RunSQL(sql=FUNCTIONS, reverse_sql=DROP_FUNCTIONS)


def _tenant_policy_sql(table: str, extra_using: str) -> str:
    using = f"({TENANT_SHOP})" + (f" or ({extra_using})" if extra_using else "")
    return f"create policy {POLICY} on {table} using ({using}) with check ({TENANT_SHOP})"


def enable_rls(table: str, *, extra_using: str = "") -> migrations.RunSQL:
    """ENABLE + FORCE row-level security on a new tenant table, with its tenant policy.
    `extra_using` widens what may be read (never what may be written)."""
    return migrations.RunSQL(
        sql=[
            f"alter table {table} enable row level security",
            f"alter table {table} force row level security",
            _tenant_policy_sql(table, extra_using),
        ],
        reverse_sql=[
            f"drop policy if exists {POLICY} on {table}",
            f"alter table {table} no force row level security",
            f"alter table {table} disable row level security",
        ],
    )


def tenant_policy_replace(table: str, *, extra_using: str = "") -> migrations.RunSQL:
    """Swap a table's first-form policy (`enable_rls_v1`) for the sealed one."""
    return migrations.RunSQL(
        sql=[f"drop policy if exists {POLICY} on {table}", _tenant_policy_sql(table, extra_using)],
        reverse_sql=migrations.RunSQL.noop,
    )


def owner_update(table: str, sql: str) -> migrations.RunSQL:
    """A data change across every shop, by the owner inside a migration: FORCE is lifted for the statement
    and put back in the same transaction, so no other session ever sees the table without it."""
    return migrations.RunSQL(
        sql=[
            f"alter table {table} no force row level security",
            sql,
            f"alter table {table} force row level security",
        ],
        reverse_sql=migrations.RunSQL.noop,
    )


# --- the first form, as the early migrations created it ------------------------------------------------

_V1_SHOP = "shop_id = nullif(current_setting('app.shop_id', true), '')::bigint"
_V1_CROSS = "current_setting('app.cross_shop', true) = 'on'"


def enable_rls_v1(table: str, *, extra_using: str = "") -> migrations.RunSQL:
    """Historical: what migrations before shopcrm.0005 created. Do not use for new tables."""
    using = f"({_V1_SHOP}) or ({_V1_CROSS})"
    if extra_using:
        using = f"{using} or ({extra_using})"
    check = f"({_V1_SHOP}) or ({_V1_CROSS})"
    return migrations.RunSQL(
        sql=[
            f"alter table {table} enable row level security",
            f"alter table {table} force row level security",
            f"create policy {POLICY} on {table} using ({using}) with check ({check})",
        ],
        reverse_sql=[
            f"drop policy if exists {POLICY} on {table}",
            f"alter table {table} no force row level security",
            f"alter table {table} disable row level security",
        ],
    )


# --- the platform's own tables: staff accounts and shops (shopcrm.0014) -----------------------------------


_ACCOUNT_FIND_PROOF = _hmac("'account-find:' || p_email || ':' || pg_backend_pid() || ':' || p_expires")
_ACCOUNT_SET_PROOF = _hmac(
    "'account:' || p_user || ':' || p_email || ':' || p_active::text || ':' || p_epoch || ':' "
    "|| pg_backend_pid() || ':' || p_expires"
)

# Sign-in, password reset and invitations find an account by its email before anyone is signed in: the
# function answers only the app's code (a proof), with the id alone. A staff account's email, activity and
# session epoch change only through `shopcrm_account_set`, as its password does through
# `shopcrm_password_set`: the app role may not UPDATE those columns (grants: shopcrm.dbroles), so an injected
# statement can neither point an admin's password reset at another mailbox nor lock anyone out.
# The functions run as the owner, whose `owner_access` policy admits every row of these two tables (FORCE
# makes the owner subject to policies like anyone else).
ACCOUNT_FUNCTIONS = f"""
{
    _proof_checked(
        "shopcrm_account_find(p_email text, p_expires bigint, p_proof text)",
        "bigint",
        _ACCOUNT_FIND_PROOF,
        "to find an account",
        "return (select u.id from public.shopcrm_user u where lower(u.email) = lower(p_email));",
    )
}
{
    _proof_checked(
        "shopcrm_account_set(p_user bigint, p_email text, p_active boolean, p_epoch integer, "
        "p_expires bigint, p_proof text)",
        "void",
        _ACCOUNT_SET_PROOF,
        "to change an account",
        "update public.shopcrm_user set email = p_email, is_active = p_active, session_epoch = p_epoch "
        "where id = p_user;",
    )
}
-- Slugs are public (they are in a shop's own links): finding a shop's id by its slug needs no proof, and
-- reading the shop then needs its scope like any tenant row.
create or replace function shopcrm_shop_find(p_slug text) returns bigint
language sql stable security definer set search_path = pg_catalog, public, pg_temp
as $$
    select s.id from public.shopcrm_shop s where s.slug = p_slug
$$;

do $do$ begin
    execute format('create policy owner_access on shopcrm_user to %I using (true) with check (true)',
                   current_user);
    execute format('create policy owner_access on shopcrm_shop to %I using (true) with check (true)',
                   current_user);
end $do$;

alter table shopcrm_user enable row level security;
alter table shopcrm_user force row level security;
-- Readable as oneself, or as someone working in the shop the transaction entered when the account works
-- there too (the staff list, who did what in a customer's history); changed only as oneself.
create policy {POLICY} on shopcrm_user for select using (
    id = shopcrm_tenant_user()
    or id in (select m.user_id from public.shopcrm_staffmembership m where m.shop_id = shopcrm_tenant_shop())
);
create policy account_self on shopcrm_user for update
    using (id = shopcrm_tenant_user()) with check (id = shopcrm_tenant_user());
create policy account_create on shopcrm_user for insert with check (id = shopcrm_tenant_user());

alter table shopcrm_shop enable row level security;
alter table shopcrm_shop force row level security;
-- Readable inside the shop, and by someone who works there (the shop picker, invitations); written only
-- inside the shop itself.
create policy {POLICY} on shopcrm_shop for select using (
    id = shopcrm_tenant_shop()
    or id in (select m.shop_id from public.shopcrm_staffmembership m where m.user_id = shopcrm_tenant_user())
);
create policy shop_write on shopcrm_shop for update
    using (id = shopcrm_tenant_shop()) with check (id = shopcrm_tenant_shop());
create policy shop_create on shopcrm_shop for insert with check (id = shopcrm_tenant_shop());
"""  # noqa: S608

DROP_ACCOUNT_FUNCTIONS = f"""
drop policy if exists {POLICY} on shopcrm_user;
drop policy if exists account_self on shopcrm_user;
drop policy if exists account_create on shopcrm_user;
drop policy if exists owner_access on shopcrm_user;
drop policy if exists {PLATFORM_POLICY} on shopcrm_user;
alter table shopcrm_user no force row level security;
alter table shopcrm_user disable row level security;
drop policy if exists {POLICY} on shopcrm_shop;
drop policy if exists shop_write on shopcrm_shop;
drop policy if exists shop_create on shopcrm_shop;
drop policy if exists owner_access on shopcrm_shop;
drop policy if exists {PLATFORM_POLICY} on shopcrm_shop;
alter table shopcrm_shop no force row level security;
alter table shopcrm_shop disable row level security;
drop function if exists shopcrm_shop_find(text);
drop function if exists shopcrm_account_set(bigint, text, boolean, integer, bigint, text);
drop function if exists shopcrm_account_find(text, bigint, text);
"""


def platform_tables() -> migrations.RunSQL:
    return migrations.RunSQL(sql=ACCOUNT_FUNCTIONS, reverse_sql=DROP_ACCOUNT_FUNCTIONS)
