"""What one injected SQL statement, run as the app's role, can do to the tenant boundary: nothing."""

import time

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from shopcrm import tenancy
from shopcrm.models import StaffMembership
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db


def count_memberships(cursor) -> int:
    cursor.execute("select count(*) from shopcrm_staffmembership")
    return cursor.fetchone()[0]


def refused(sql: str, params=None) -> str:
    """Run `sql` as the app role in a savepoint; return the database's refusal (the test fails if none)."""
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(error.value)


def test_the_app_role_is_neither_owner_nor_member_of_the_owner():
    roles = settings.DATABASE_ROLES
    assert len(set(roles.values())) == 3
    with connection.cursor() as cursor:
        cursor.execute("select current_user")
        assert cursor.fetchone()[0] == roles["app"]
        cursor.execute(
            "select count(*) from pg_tables where schemaname = 'public' and tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("select pg_has_role(current_user, %s, 'member')", [roles["owner"]])
        assert cursor.fetchone()[0] is False


@pytest.mark.parametrize(
    "setting",
    [
        # the first form of the policies trusted these; the app role can set any of them
        "select set_config('app.shop_id', %s, true)",
        "select set_config('app.cross_shop', 'on', true)",
        # the real settings, forged: scope without a seal, scope with a made-up seal
        "select set_config('shopcrm.scope', %s || '::', true)",
        "select set_config('shopcrm.scope', %s || '::', true), "
        "set_config('shopcrm.seal', repeat('0', 64), true)",
        "select set_config('shopcrm.scope', '::platform', true)",
    ],
)
def test_a_bare_set_of_any_tenant_setting_reads_no_rows(setting, shop_fr, cashier_fr):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(setting, [str(shop_fr.pk)] if "%s" in setting else None)
        assert count_memberships(cursor) == 0
        cursor.execute("set local app.shop_id = %s" % int(shop_fr.pk))  # noqa: UP031 (SET takes no params)
        assert count_memberships(cursor) == 0


@pytest.mark.django_db(transaction=True)
def test_a_seal_kept_from_an_earlier_transaction_reads_no_rows(shop_fr, cashier_fr):
    with shop_context(shop_fr), connection.cursor() as cursor:
        assert count_memberships(cursor) == 1
        cursor.execute("select current_setting('shopcrm.scope'), current_setting('shopcrm.seal')")
        scope, seal = cursor.fetchone()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "select set_config('shopcrm.scope', %s, true), set_config('shopcrm.seal', %s, true)",
            [scope, seal],
        )
        assert count_memberships(cursor) == 0


@pytest.mark.django_db(transaction=True)
def test_a_seal_copied_to_another_connection_reads_no_rows(shop_fr, cashier_fr):
    import psycopg

    with shop_context(shop_fr), connection.cursor() as cursor:
        cursor.execute("select current_setting('shopcrm.scope'), current_setting('shopcrm.seal')")
        scope, seal = cursor.fetchone()
        params = connection.get_connection_params()
        with psycopg.connect(**params) as other:
            # Same role, same database, a committed row to see; but another backend.
            other.execute(
                "select set_config('shopcrm.scope', %s, true), set_config('shopcrm.seal', %s, true)",
                [scope, seal],
            )
            assert other.execute("select count(*) from shopcrm_staffmembership").fetchone()[0] == 0


def test_entering_a_shop_needs_a_proof_the_database_accepts(shop_fr, cashier_fr):
    expires = int(time.time()) + 60
    message = refused("select shopcrm_tenant_enter(%s, null, false, %s, %s)", [shop_fr.pk, expires, "0" * 64])
    assert "without a valid proof" in message
    # A genuine proof, made for another backend, replayed here.
    scope = tenancy._scope(shop_fr.pk, None, False)
    other_pid = proof_pid = connection.connection.info.backend_pid + 1
    proof = tenancy._proof(scope, proof_pid, expires)
    assert "valid proof" in refused(
        "select shopcrm_tenant_enter(%s, null, false, %s, %s)", [shop_fr.pk, expires, proof]
    )
    assert other_pid != connection.connection.info.backend_pid
    # A genuine proof for this backend, but expired.
    pid = connection.connection.info.backend_pid
    old = int(time.time()) - 1
    assert "valid proof" in refused(
        "select shopcrm_tenant_enter(%s, null, false, %s, %s)",
        [shop_fr.pk, old, tenancy._proof(scope, pid, old)],
    )
    # A proof for one shop does not open another.
    assert "valid proof" in refused(
        "select shopcrm_tenant_enter(%s, null, false, %s, %s)",
        [shop_fr.pk + 1, expires, tenancy._proof(scope, pid, expires)],
    )


def test_even_a_valid_platform_proof_opens_nothing_to_the_app_role(shop_fr, shop_us, cashier_fr, cashier_us):
    # As if the key had leaked: the platform policy still names the platform role only.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(tenancy.ENTER_SQL, tenancy._enter_args(connection, None, None, True))
        cursor.execute("select shopcrm_platform_access()")
        assert cursor.fetchone()[0] is False
        assert count_memberships(cursor) == 0


@pytest.mark.parametrize(
    "sql",
    [
        "alter table customers_customer no force row level security",
        "alter table customers_customer disable row level security",
        "drop policy tenant_isolation on customers_customer",
        "create policy open_door on customers_customer using (true)",
        "alter policy tenant_isolation on customers_customer using (true)",
        "truncate customers_customer",
        "drop table customers_customer",
        "select * from shopcrm_tenantkey",
        "update shopcrm_tenantkey set inner_pad = '\\x00'",
        "create or replace function shopcrm_tenant_shop() returns bigint language sql as 'select 1::bigint'",
        "alter function shopcrm_tenant_shop() owner to current_user",
        "create table public.shadow (id int)",
        "create schema shadow",
        "alter table customers_customer owner to current_user",
    ],
)
def test_the_app_role_cannot_lift_the_boundary(sql):
    message = refused(sql)
    assert "permission denied" in message or "must be owner" in message, message


def test_the_app_role_cannot_become_another_role():
    roles = settings.DATABASE_ROLES
    for role in (roles["owner"], roles["platform"], "postgres"):
        message = refused(f'set role "{role}"')
        assert "permission denied" in message, message
    message = refused(f'set session authorization "{roles["owner"]}"')
    assert "permission denied" in message, message


def test_rows_written_under_a_forged_scope_are_refused(shop_fr, shop_us, cashier_fr):
    with shop_context(shop_fr):
        membership = StaffMembership.objects.get()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("select set_config('shopcrm.scope', %s, true)", [f"{shop_us.pk}::"])
        cursor.execute("update shopcrm_staffmembership set role = 'admin' where id = %s", [membership.pk])
        assert cursor.rowcount == 0


@pytest.mark.django_db(transaction=True)
def test_a_key_of_ones_own_in_a_temporary_table_does_not_shadow_the_real_one(shop_fr, cashier_fr):
    import hashlib

    attacker_key = b"k" * 32
    inner = bytes(b ^ 0x36 for b in attacker_key.ljust(64, b"\0"))
    outer = bytes(b ^ 0x5C for b in attacker_key.ljust(64, b"\0"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "create temp table shopcrm_tenantkey "
            "(id smallint, inner_pad bytea, outer_pad bytea, platform_role text)"
        )
        cursor.execute("insert into shopcrm_tenantkey values (1, %s, %s, 'x')", [inner, outer])
        # Readable by the owner, whose rights the tenant functions run with.
        cursor.execute(f'grant select on pg_temp.shopcrm_tenantkey to "{settings.DATABASE_ROLES["owner"]}"')
        cursor.execute("select pg_backend_pid(), (extract(epoch from now()) * 1000000)::bigint")
        pid, start = cursor.fetchone()
        scope = f"{shop_fr.pk}::"
        message = f"seal:{scope}:{pid}:{start}".encode()
        seal = hashlib.sha256(outer + hashlib.sha256(inner + message).digest()).hexdigest()
        cursor.execute(
            "select set_config('shopcrm.scope', %s, true), set_config('shopcrm.seal', %s, true)",
            [scope, seal],
        )
        cursor.execute("set local search_path = pg_temp, public")
        assert count_memberships(cursor) == 0
        # Nor does it let one make a proof the enter function accepts.
        expires = int(time.time()) + 60
        message = f"enter:{scope}:{pid}:{expires}".encode()
        proof = hashlib.sha256(outer + hashlib.sha256(inner + message).digest()).hexdigest()
        with pytest.raises(DatabaseError, match="valid proof"), transaction.atomic():
            cursor.execute(
                "select shopcrm_tenant_enter(%s, null, false, %s, %s)", [shop_fr.pk, expires, proof]
            )


def test_no_session_key_is_kept_where_sql_can_read_it(client, cashier_fr):
    client.force_login(cashier_fr)
    assert client.get("/").status_code in (200, 302)
    assert "permission denied" in refused("select count(*) from django_session")
    assert client.session.session_key  # the session exists, in the cache


def test_an_injected_statement_cannot_give_an_account_a_password_it_knows(admin_fr):
    from shopcrm.models import User
    from shopcrm.selectors import account_get
    from shopcrm.tenancy import account_scope

    known = "pbkdf2_sha256$1000000$salt$known"
    assert "permission denied" in refused(
        "update shopcrm_user set password = %s where id = %s", [known, admin_fr.pk]
    )
    expires = int(time.time()) + 60
    assert "valid proof" in refused(
        "select shopcrm_password_set(%s, %s, %s, %s)", [admin_fr.pk, known, expires, "0" * 64]
    )
    # The account's owner may change the rest of it, and the app's own code still changes passwords.
    with account_scope(admin_fr.pk), connection.cursor() as cursor:
        cursor.execute("update shopcrm_user set full_name = 'Renamed' where id = %s", [admin_fr.pk])
        assert cursor.rowcount == 1
    user = account_get(user_id=admin_fr.pk)
    assert user.full_name == "Renamed"
    user.set_password("Lilac-Harbour-77")
    user.save()
    assert account_get(user_id=admin_fr.pk).check_password("Lilac-Harbour-77")
    assert isinstance(user, User)
