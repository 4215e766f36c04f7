"""Staff accounts belong to their owner: what another shop's admin can and cannot do with an invitation."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import OutboundMessage
from messaging.outbox import text_to_send
from shopcrm.models import Role, StaffMembership
from shopcrm.selectors import account_get
from shopcrm.services import staff_create
from shopcrm.tenancy import account_find, shop_context
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def invite(client, email, role="cashier", full_name=""):
    return client.post(reverse("staff_invite"), {"email": email, "role": role, "full_name": full_name})


def sent_text(shop, email) -> str:
    with shop_context(shop):
        message = OutboundMessage.objects.filter(kind="staff_invite", recipient__iexact=email).latest("pk")
        return text_to_send(message)


def test_another_shops_admin_inviting_an_existing_account_changes_nothing_of_it(
    admin_client_us, shop_us, shop_fr, admin_fr
):
    before = account_get(user_id=admin_fr.pk)
    theirs = Client()
    theirs.force_login(admin_fr)
    assert theirs.get(reverse("checkout:who")).status_code == 200
    response = invite(admin_client_us, admin_fr.email.upper(), role="admin", full_name="Renamed By Paws")
    assert response.status_code == 302
    after = account_get(user_id=admin_fr.pk)
    assert (after.full_name, after.password, after.language, after.session_epoch, after.email) == (
        before.full_name,
        before.password,
        before.language,
        before.session_epoch,
        before.email,
    )
    # Their session still works, in their own shop only: the invitation gives nothing until accepted.
    request = theirs.get(reverse("checkout:who")).wsgi_request
    assert request.shop == shop_fr and [m.shop for m in request.invitations] == [shop_us]
    # The email says to sign in; it carries no password link.
    text = sent_text(shop_us, admin_fr.email)
    assert "/accounts/invitation/" not in text and "/reset/" not in text and "/invitations/" in text
    # The Paws admin sees the name they typed, not the account's.
    html = admin_client_us.get(reverse("shop_settings")).content.decode()
    assert "Renamed By Paws" in html and "invited, no answer yet" in html


def test_accepting_an_invitation_after_signing_in_gives_the_shop(
    client, shop_us, shop_fr, admin_fr, admin_us
):
    inviter = Client()
    inviter.force_login(admin_us)
    invite(inviter, admin_fr.email, role="cashier")
    client.force_login(admin_fr)
    page = client.get(reverse("invitations")).content.decode()
    assert "Paws Test" in unescape(page)
    with shop_context(shop_us):
        pending = StaffMembership.objects.get(user=admin_fr)
    response = client.post(reverse("invitation_answer", args=[pending.pk]), {"answer": "accept"}, follow=True)
    assert response.wsgi_request.shop == shop_us
    assert {m.shop for m in response.wsgi_request.memberships} == {shop_us, shop_fr}
    # Answering twice is refused with a message, not an error.
    again = client.post(reverse("invitation_answer", args=[pending.pk]), {"answer": "decline"}, follow=True)
    assert "no longer open" in unescape(again.content.decode())


def test_declining_leaves_the_shop_out_and_the_shop_sees_it(shop_us, admin_fr, admin_us, admin_client_us):
    invite(admin_client_us, admin_fr.email)
    with shop_context(shop_us):
        pending = StaffMembership.objects.get(user=admin_fr)
    theirs = Client()
    theirs.force_login(admin_fr)
    theirs.post(reverse("invitation_answer", args=[pending.pk]), {"answer": "decline"})
    assert theirs.get(reverse("home")).wsgi_request.invitations == []
    assert "declined the invitation" in admin_client_us.get(reverse("shop_settings")).content.decode()
    # They may be invited again later.
    assert invite(admin_client_us, admin_fr.email).status_code == 302


def test_nobody_answers_someone_elses_invitation(client, shop_us, admin_fr, admin_us, cashier_us):
    inviter = Client()
    inviter.force_login(admin_us)
    invite(inviter, admin_fr.email)
    with shop_context(shop_us):
        pending = StaffMembership.objects.get(user=admin_fr)
    client.force_login(cashier_us)
    assert (
        client.post(reverse("invitation_answer", args=[pending.pk]), {"answer": "accept"}).status_code == 404
    )
    with shop_context(shop_us):
        assert StaffMembership.objects.get(pk=pending.pk).is_pending


def test_an_account_invited_by_one_shop_cannot_be_taken_over_by_another(
    shop_fr, shop_us, admin_fr, admin_us, django_capture_on_commit_callbacks
):
    french, paws = Client(), Client()
    french.force_login(admin_fr)
    paws.force_login(admin_us)
    invite(french, "newcomer@example.com", full_name="Newcomer")
    account = account_get(user_id=account_find("newcomer@example.com"))
    assert not account.has_usable_password()
    invite(paws, "newcomer@example.com", full_name="Hijacked")
    account.refresh_from_db()
    assert account.full_name == "Newcomer" and not account.has_usable_password()
    # Paws's email has no password link (the account is not Paws's to open); the French one has.
    assert "/accounts/invitation/" not in sent_text(shop_us, "newcomer@example.com")
    assert "/accounts/invitation/" in sent_text(shop_fr, "newcomer@example.com")
    # And no outbox row of either shop stores a live link.
    for shop in (shop_fr, shop_us):
        with shop_context(shop):
            for body in OutboundMessage.objects.values_list("body_text", flat=True):
                assert "/accounts/invitation/" not in body and "/reset/" not in body


def test_an_invitation_link_is_bound_to_its_invitation(client, shop_fr, shop_us, admin_fr):
    french = Client()
    french.force_login(admin_fr)
    invite(french, "solo@example.com")
    link = re.search(r"/accounts/invitation/(\d+)/(\d+)/(\S+)/", sent_text(shop_fr, "solo@example.com"))
    shop_id, pk, token = link.groups()
    assert client.get(link.group(0)).status_code == 200
    for bad in (
        f"/accounts/invitation/{shop_us.pk}/{pk}/{token}/",
        f"/accounts/invitation/{shop_id}/{int(pk) + 1}/{token}/",
        f"/accounts/invitation/{shop_id}/{pk}/{token[:-2]}xx/",
        f"/accounts/invitation/99999999999999999999999/{pk}/{token}/",
    ):
        assert client.get(bad).status_code == 410, bad
    # Withdrawn by the shop: the link stops working.
    with shop_context(shop_fr):
        membership = StaffMembership.objects.get(pk=pk)
    french.post(reverse("staff_update", args=[membership.pk]), {"action": "deactivate"})
    assert client.get(link.group(0)).status_code == 410


def test_a_weak_password_on_the_invitation_page_is_explained_next_to_the_field(client, shop_fr, admin_fr):
    french = Client()
    french.force_login(admin_fr)
    invite(french, "weak@example.com")
    path = re.search(r"/accounts/invitation/\S+/", sent_text(shop_fr, "weak@example.com")).group(0)
    response = client.post(path, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert 'id="id_new_password2_error"' in response.content.decode()
    assert not account_get(user_id=account_find("weak@example.com")).has_usable_password()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("pending", "already invited"),
        ("active", "already works in this shop"),
        ("deactivated", "reactivate them"),
    ],
)
def test_inviting_again_is_refused_next_to_the_email(admin_client_us, shop_us, setup, message):
    membership = staff_create(shop=shop_us, email="again@example.com", password=PASSWORD, role=Role.CASHIER)
    with shop_context(shop_us):
        if setup == "pending":
            StaffMembership.objects.filter(pk=membership.pk).update(accepted_at=None)
        if setup == "deactivated":
            StaffMembership.objects.filter(pk=membership.pk).update(is_active=False)
    response = invite(admin_client_us, "again@example.com")
    html = unescape(response.content.decode())
    assert response.status_code == 200 and 'id="id_email_error"' in html and message in html


def test_a_never_activated_account_can_choose_its_password_through_the_reset_form(
    client, shop_fr, admin_fr, shop_us, admin_us, django_capture_on_commit_callbacks
):
    french = Client()
    french.force_login(admin_fr)
    invite(french, "lost@example.com")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("password_reset"), {"email": "lost@example.com"})
    assert len(callbacks) == 1  # a reset link is queued for the address's owner
