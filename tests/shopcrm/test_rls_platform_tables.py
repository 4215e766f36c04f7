"""Staff accounts and shops are under the same boundary as tenant rows: what one injected statement, run as
the app role inside another shop's request, can do to them — nothing."""

import time

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from shopcrm import tenancy
from shopcrm.models import Role, Shop, User
from shopcrm.selectors import account_get, shop_get
from shopcrm.tenancy import account_scope, request_scope, shop_context

pytestmark = pytest.mark.django_db

ATTACKER = "attacker@evil.example"


def refused(sql: str, params=None) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(error.value)


@pytest.fixture
def in_us_request(shop_us, admin_us):
    """Inside a request of shop US's admin, as the middleware enters it."""

    def _enter():
        return request_scope(admin_us, shop_us.pk)

    return _enter


@pytest.mark.parametrize(
    ("column", "value"),
    [("email", ATTACKER), ("is_active", False), ("session_epoch", 7)],
)
def test_another_shops_admin_cannot_be_repointed_deactivated_or_signed_out(
    column, value, admin_fr, in_us_request
):
    with transaction.atomic(), in_us_request():
        assert "permission denied" in refused(
            f"update shopcrm_user set {column} = %s where id = %s",  # noqa: S608
            [value, admin_fr.pk],
        )
    # Not even by the account itself: those columns change only through the app's code.
    with transaction.atomic(), account_scope(admin_fr.pk):
        assert "permission denied" in refused(
            f"update shopcrm_user set {column} = %s where id = %s",  # noqa: S608
            [value, admin_fr.pk],
        )
    user = account_get(user_id=admin_fr.pk)
    assert (user.email, user.is_active, user.session_epoch) == ("admin@test.example", True, 0)


def test_the_account_function_wants_the_apps_proof(admin_fr):
    expires = int(time.time()) + 60
    assert "valid proof" in refused(
        "select shopcrm_account_set(%s, %s, true, 0, %s, %s)", [admin_fr.pk, ATTACKER, expires, "0" * 64]
    )
    # A genuine proof for other values does not carry over.
    pid = connection.connection.info.backend_pid
    proof = tenancy._signature(f"account:{admin_fr.pk}:admin@test.example:true:0:{pid}:{expires}")
    assert "valid proof" in refused(
        "select shopcrm_account_set(%s, %s, true, 0, %s, %s)", [admin_fr.pk, ATTACKER, expires, proof]
    )
    assert "valid proof" in refused("select shopcrm_account_find(%s, %s, %s)", [ATTACKER, expires, "0" * 64])


def test_a_repointed_email_then_a_reset_sends_the_attacker_nothing(client, admin_fr, in_us_request):
    with transaction.atomic(), in_us_request():
        refused("update shopcrm_user set email = %s where id = %s", [ATTACKER, admin_fr.pk])
    with pytest.MonkeyPatch.context() as patch:
        sent = []
        patch.setattr("shopcrm.tasks.publish_on_commit", lambda task, *args: sent.append(args))
        client.post(reverse("password_reset"), {"email": ATTACKER})
        client.post(reverse("password_reset"), {"email": "admin@test.example"})
    assert [args[0] for args in sent] == [admin_fr.pk]
    assert mail.outbox == []


def test_another_shops_staff_and_shop_are_invisible(shop_fr, admin_fr, cashier_fr, shop_us, in_us_request):
    # Outside any scope, nothing at all.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("select count(*) from shopcrm_user")
        assert cursor.fetchone()[0] == 0
        cursor.execute("select count(*) from shopcrm_shop")
        assert cursor.fetchone()[0] == 0
    with transaction.atomic(), in_us_request(), connection.cursor() as cursor:
        cursor.execute("select count(*) from shopcrm_user where id in (%s, %s)", [admin_fr.pk, cashier_fr.pk])
        assert cursor.fetchone()[0] == 0
        cursor.execute("select array_agg(id) from shopcrm_shop")
        assert cursor.fetchone()[0] == [shop_us.pk]


def test_another_shop_cannot_be_renamed_or_its_sender_taken_even_by_someone_working_in_both(
    shop_fr, shop_us, admin_us, make_staff
):
    make_staff(shop_fr, "boss@paws.example", Role.CASHIER)  # the US admin also works in the French shop
    with transaction.atomic(), request_scope(admin_us, shop_us.pk), connection.cursor() as cursor:
        cursor.execute("select count(*) from shopcrm_shop")
        assert cursor.fetchone()[0] == 2  # both readable: the shop picker lists them
        cursor.execute(
            "update shopcrm_shop set name = 'Hacked', contact_email = %s, sms_sender = '+33644000009' "
            "where id = %s",
            [ATTACKER, shop_fr.pk],
        )
        assert cursor.rowcount == 0
        assert "row-level security" in refused(
            "insert into shopcrm_shop (id, name, slug, country, language, timezone) "
            "values (nextval(pg_get_serial_sequence('shopcrm_shop', 'id')), 'X', 'x', 'FR', 'fr', 'UTC')"
        )
    assert shop_get(shop_id=shop_fr.pk).name == "Pressing Test"


def test_an_account_cannot_be_made_outside_its_own_scope(shop_us, in_us_request):
    with transaction.atomic(), in_us_request():
        message = refused(
            "insert into shopcrm_user (id, password, email, full_name, language, is_active, date_joined, "
            "session_epoch) values (nextval(pg_get_serial_sequence('shopcrm_user', 'id')), '', %s, '', '', "
            "true, now(), 0)",
            [ATTACKER],
        )
    assert "row-level security" in message
    assert "permission denied" in refused("delete from shopcrm_user")


@pytest.mark.parametrize("table", ["axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"])
def test_the_sign_in_throttle_holds_no_table_the_app_role_may_touch(table):
    assert "permission denied" in refused(f"select count(*) from {table}")  # noqa: S608
    assert "permission denied" in refused(f"delete from {table}")  # noqa: S608


def test_the_apps_own_code_still_changes_an_email_and_deactivates(admin_fr, cashier_fr):
    user = account_get(user_id=cashier_fr.pk)
    user.email = "new@test.example"
    user.is_active = False
    user.save()
    user = account_get(user_id=cashier_fr.pk)
    assert (user.email, user.is_active) == ("new@test.example", False)
    assert tenancy.account_find("NEW@test.example") == cashier_fr.pk


def test_a_shop_and_its_staff_read_each_other_as_before(client, shop_fr, admin_fr, cashier_fr):
    client.force_login(admin_fr)
    page = client.get(reverse("shop_settings"))
    assert page.status_code == 200
    assert "caisse@test.example" in page.content.decode()
    with shop_context(shop_fr):
        assert set(User.objects.values_list("pk", flat=True)) == {admin_fr.pk, cashier_fr.pk}
        assert list(Shop.objects.values_list("pk", flat=True)) == [shop_fr.pk]
