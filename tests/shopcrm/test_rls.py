import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.utils import ProgrammingError

from shopcrm.models import Shop, StaffMembership
from shopcrm.tenancy import cross_shop, current_shop_id, shop_context, stream_in_shop

pytestmark = pytest.mark.django_db


def tenant_tables():
    """Every table of a model that has a foreign key to Shop."""
    tables = []
    for model in apps.get_models():
        if model is Shop:
            continue
        if any(getattr(f, "related_model", None) is Shop for f in model._meta.concrete_fields):
            tables.append(model._meta.db_table)
    return tables


def test_every_model_with_a_shop_key_has_forced_rls_and_a_policy():
    tables = tenant_tables()
    assert "shopcrm_staffmembership" in tables
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "select relrowsecurity, relforcerowsecurity from pg_class where relname = %s",
                [table],
            )
            assert cursor.fetchone() == (True, True), f"{table} lacks ENABLE + FORCE RLS"
            cursor.execute("select count(*) from pg_policies where tablename = %s", [table])
            assert cursor.fetchone()[0] >= 1, f"{table} has no row-level security policy"


def test_the_app_connects_as_a_role_that_row_level_security_applies_to():
    with connection.cursor() as cursor:
        cursor.execute("select rolsuper, rolbypassrls from pg_roles where rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_a_query_without_the_shop_setting_sees_no_rows(shop_fr, cashier_fr):
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from shopcrm_staffmembership")
        assert cursor.fetchone()[0] == 0
    assert StaffMembership.objects.count() == 0
    with shop_context(shop_fr):
        assert StaffMembership.objects.count() == 1


def test_shop_b_cannot_read_shop_a_rows_even_with_raw_sql(shop_fr, shop_us, cashier_fr, cashier_us):
    with shop_context(shop_us), connection.cursor() as cursor:
        cursor.execute("select shop_id from shopcrm_staffmembership")
        assert {row[0] for row in cursor.fetchall()} == {shop_us.pk}
        cursor.execute("select count(*) from shopcrm_staffmembership where shop_id = %s", [shop_fr.pk])
        assert cursor.fetchone()[0] == 0


def test_writing_a_row_into_another_shop_is_refused(shop_fr, shop_us, cashier_fr):
    with shop_context(shop_fr):
        membership = StaffMembership.objects.get()
    with (
        pytest.raises(ProgrammingError, match="row-level security"),
        shop_context(shop_fr),
        transaction.atomic(),
    ):
        StaffMembership.objects.filter(pk=membership.pk).update(shop=shop_us)


def test_nested_shop_contexts_restore_the_outer_shop(shop_fr, shop_us):
    with shop_context(shop_fr):
        with shop_context(shop_us):
            assert current_shop_id() == shop_us.pk
        assert current_shop_id() == shop_fr.pk
    assert current_shop_id() is None


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_cross_shop_sees_every_shop_on_the_platform_connection_and_is_logged(
    shop_fr, shop_us, cashier_fr, cashier_us, caplog
):
    with cross_shop("test: counting staff everywhere") as platform:
        assert StaffMembership.objects.count() == 2
        with platform.cursor() as cursor:
            cursor.execute("select current_user")
            assert cursor.fetchone()[0] == settings.DATABASE_ROLES["platform"]
        with shop_context(shop_fr):  # one shop again, on the app's own connection
            assert StaffMembership.objects.count() == 1
        assert StaffMembership.objects.count() == 2
    assert "counting staff everywhere" in caplog.text
    assert StaffMembership.objects.count() == 0


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_the_platform_role_sees_no_rows_outside_a_cross_shop_block(shop_fr, cashier_fr):
    with transaction.atomic(using="platform"), connections["platform"].cursor() as cursor:
        cursor.execute("select count(*) from shopcrm_staffmembership")
        assert cursor.fetchone()[0] == 0


def test_cross_shop_requires_a_reason():
    with pytest.raises(ValueError), cross_shop(""):
        pass


def test_a_streamed_body_reads_inside_its_shop_after_the_view_transaction(shop_fr, cashier_fr):
    def rows():
        yield StaffMembership.objects.count()

    assert list(rows()) == [0]
    assert list(stream_in_shop(shop_fr, rows())) == [1]


@pytest.mark.django_db(transaction=True)
def test_a_request_length_context_sets_the_shop_without_restoring_it(shop_fr):
    with transaction.atomic():
        with shop_context(shop_fr, until_commit=True):
            assert current_shop_id() == shop_fr.pk
        assert current_shop_id() == shop_fr.pk  # lasts until the transaction ends
    assert current_shop_id() is None


@pytest.mark.django_db(transaction=True)
def test_a_request_length_context_needs_an_open_transaction(shop_fr):
    with pytest.raises(RuntimeError), shop_context(shop_fr, until_commit=True):
        pass
