"""The memberships every signed-in request reads (`selectors.membership_list`): whose, which, in what order,
in one statement, and under row-level security."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shopcrm import selectors
from shopcrm.models import Role
from shopcrm.services import staff_create, staff_deactivate, staff_invitation_answer, staff_invite
from shopcrm.tenancy import request_scope, shop_context, user_scope
from tests.conftest import PASSWORD, make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops():
    return [make_shop(name=name) for name in ("Zinc bar", "Atelier", "Mercerie", "Boulangerie")]


def read(user, shop_id=None):
    with request_scope(user, shop_id):
        return selectors.membership_list(user=user)


def test_a_person_s_memberships_come_by_shop_name_each_with_its_shop_loaded(shops):
    zinc, atelier, mercerie, _ = shops
    membership = staff_create(shop=zinc, email="ana@example.com", password=PASSWORD, role=Role.ADMIN)
    staff_create(shop=atelier, email="ana@example.com", password=None, role=Role.CASHIER)
    staff_create(shop=mercerie, email="ana@example.com", password=None, role=Role.CASHIER)
    user = membership.user

    with CaptureQueriesContext(connection) as queries, request_scope(user, None):
        memberships = selectors.membership_list(user=user)
        names = [m.shop.name for m in memberships]
        roles = {m.shop.name: m.role for m in memberships}
        countries = {m.shop.country for m in memberships}

    assert names == ["Atelier", "Mercerie", "Zinc bar"]
    assert roles["Zinc bar"] == Role.ADMIN and roles["Atelier"] == Role.CASHIER
    assert countries == {"FR"}
    assert all(m.user_id == user.pk and m.shop_id == m.shop.pk for m in memberships)
    # The scope's own statement, then one for the memberships and their shops.
    assert len([q for q in queries.captured_queries if "shopcrm_tenant_enter" not in q["sql"]]) == 1


def test_a_deactivated_or_declined_membership_is_left_out_and_an_open_invitation_is_kept(shops):
    zinc, atelier, mercerie, boulangerie = shops
    kept = staff_create(shop=zinc, email="ana@example.com", password=PASSWORD, role=Role.CASHIER)
    user = kept.user
    gone = staff_create(shop=atelier, email="ana@example.com", password=None, role=Role.CASHIER)
    with shop_context(atelier):
        staff_deactivate(shop=atelier, membership=gone)
    inviter = staff_create(shop=mercerie, email="boss@example.com", password=PASSWORD, role=Role.ADMIN).user
    with shop_context(mercerie):
        invited = staff_invite(shop=mercerie, by=inviter, email="ana@example.com", role=Role.CASHIER)
    other = staff_create(shop=boulangerie, email="chef@example.com", password=PASSWORD, role=Role.ADMIN).user
    with shop_context(boulangerie):
        declined = staff_invite(shop=boulangerie, by=other, email="ana@example.com", role=Role.CASHIER)
    with user_scope(user):
        staff_invitation_answer(user=user, membership_id=declined.pk, accept=False)

    memberships = read(user)

    assert [m.pk for m in memberships] == [invited.pk, kept.pk]  # Mercerie, Zinc bar
    assert [m.accepted_at is None for m in memberships] == [True, False]


def test_another_person_s_memberships_are_not_read_even_when_asked_for_by_id(shops):
    zinc, atelier, *_ = shops
    ana = staff_create(shop=zinc, email="ana@example.com", password=PASSWORD, role=Role.ADMIN).user
    bob = staff_create(shop=atelier, email="bob@example.com", password=PASSWORD, role=Role.ADMIN).user

    # Signed in as Ana, asking for Bob's: row-level security shows Ana's own rows only.
    with request_scope(ana, None):
        assert selectors.membership_list(user=bob) == []
    assert [m.shop.name for m in read(bob)] == ["Atelier"]
