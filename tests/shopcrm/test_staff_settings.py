import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import OutboundMessage
from messaging.outbox import text_to_send
from shopcrm.models import Role, StaffMembership
from shopcrm.selectors import account_get, shop_get
from shopcrm.services import staff_create, staff_deactivate
from shopcrm.tenancy import account_find, shop_context
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def settings_data(shop, **changes):
    data = {
        "name": shop.name,
        "country": shop.country,
        "language": shop.language,
        "timezone": shop.timezone,
        "checkout_email": shop.checkout_email,
        "checkout_phone": shop.checkout_phone,
        "checkout_address": shop.checkout_address,
        "sender_name": "",
        "contact_phone": "",
        "contact_email": "",
        "retention_years": shop.retention_years,
        "name_order": shop.name_order,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_an_admin_changes_the_shop_settings(admin_client_us, shop_us):
    data = settings_data(
        shop_us,
        name="Happy Paws Brooklyn",
        timezone="America/Chicago",
        internal_id_enabled="on",
        checkout_phone="required",
        sender_name="Happy Paws",
        contact_email="hello@paws.example",
    )
    response = admin_client_us.post(reverse("shop_settings"), data, follow=True)
    assert "Settings saved." in unescape(response.content.decode())
    shop_us = shop_get(shop_id=shop_us.pk)
    assert shop_us.name == "Happy Paws Brooklyn"
    assert shop_us.timezone == "America/Chicago"
    assert shop_us.internal_id_enabled and not shop_us.pets_enabled  # an unticked box turns a feature off
    assert shop_us.checkout_phone == "required"
    assert shop_us.display_sender == "Happy Paws"


def test_bad_settings_get_errors_next_to_their_fields_and_nothing_changes(admin_client_us, shop_us):
    data = settings_data(shop_us, name="", country="ZZ", timezone="Mars/Olympus", contact_email="nope")
    response = admin_client_us.post(reverse("shop_settings"), data)
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("name", "country", "timezone", "contact_email"):
        assert f'id="id_{field}_error"' in html, field
    assert shop_get(shop_id=shop_us.pk).name == "Paws Test"


def test_cashiers_cannot_change_settings_or_staff(client_fr, shop_fr, admin_fr):
    assert client_fr.post(reverse("shop_settings"), settings_data(shop_fr, name="X")).status_code == 403
    assert (
        client_fr.post(reverse("staff_invite"), {"email": "x@example.com", "role": "admin"}).status_code
        == 403
    )
    with shop_context(shop_fr):
        membership = StaffMembership.objects.get(user=admin_fr)
    assert (
        client_fr.post(reverse("staff_update", args=[membership.pk]), {"action": "deactivate"}).status_code
        == 403
    )


def test_inviting_someone_new_creates_the_account_and_the_sent_email_lets_them_choose_a_password(
    admin_client_us, shop_us, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        response = admin_client_us.post(
            reverse("staff_invite"),
            {"email": "New.Hire@Paws.example", "full_name": "Nia", "role": "cashier"},
            follow=True,
        )
    assert "Invitation sent to New.Hire@Paws.example." in unescape(response.content.decode())
    user = account_get(user_id=account_find("new.hire@paws.example"))
    assert not user.has_usable_password()
    with shop_context(shop_us):
        message = OutboundMessage.objects.get(kind="staff_invite")
        membership = StaffMembership.objects.get(user=user)
        assert membership.role == "cashier" and membership.is_pending
        sent = text_to_send(message)
    assert message.recipient == user.email and message.customer is None
    # The outbox row holds no credential; the worker makes the link when it sends.
    assert "/accounts/" not in message.body_text and "/reset/" not in message.body_text
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", sent).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    theirs = Client()
    page = theirs.get(path)
    assert page.status_code == 200 and b"new_password1" in page.content
    done = theirs.post(path, {"new_password1": "Lilac-Harbour-77", "new_password2": "Lilac-Harbour-77"})
    assert done.status_code == 302
    assert theirs.get(reverse("checkout:who")).status_code == 200  # signed in, working in the shop
    with shop_context(shop_us):
        assert StaffMembership.objects.get(pk=membership.pk).accepted_at is not None
    # The link worked once.
    assert Client().get(path).status_code == 410


def test_inviting_someone_already_in_the_shop_is_an_error_next_to_the_email(admin_client_us, admin_us):
    response = admin_client_us.post(reverse("staff_invite"), {"email": admin_us.email, "role": "cashier"})
    assert 'id="id_email_error"' in response.content.decode()


def test_a_shop_always_keeps_one_admin(admin_client_us, shop_us, admin_us):
    with shop_context(shop_us):
        mine = StaffMembership.objects.get(user=admin_us)
    for data in ({"action": "role", "role": "cashier"}, {"action": "deactivate"}):
        response = admin_client_us.post(reverse("staff_update", args=[mine.pk]), data, follow=True)
        assert "at least one admin" in unescape(response.content.decode())
        assert response.redirect_chain[-1][0] == reverse("shop_settings")  # still signed in, on the settings
    with shop_context(shop_us):
        mine.refresh_from_db()
    assert mine.role == "admin" and mine.is_active


def test_deactivating_someone_ends_their_access_to_this_shop_at_once_and_only_to_it(
    admin_client_us, shop_us, shop_fr
):
    cashier = staff_create(shop=shop_us, email="temp@paws.example", password=PASSWORD, role=Role.CASHIER)
    staff_create(shop=shop_fr, email="temp@paws.example", password=None, role=Role.CASHIER)
    theirs = Client()
    theirs.force_login(cashier.user)
    theirs.post(reverse("shop_switch", args=[shop_us.slug]))
    assert theirs.get(reverse("checkout:who")).status_code == 200
    response = admin_client_us.post(reverse("staff_update", args=[cashier.pk]), {"action": "deactivate"})
    assert response.status_code == 302
    # The same session, at once: no longer in the US shop; still signed in and working in the French one.
    assert theirs.get(reverse("checkout:who")).wsgi_request.shop == shop_fr
    assert account_get(user_id=cashier.user_id).session_epoch == 0
    # Reactivated, the same session works in the US shop again.
    admin_client_us.post(reverse("staff_update", args=[cashier.pk]), {"action": "reactivate"})
    theirs.post(reverse("shop_switch", args=[shop_us.slug]))
    assert theirs.get(reverse("checkout:who")).wsgi_request.shop == shop_us


def test_an_admin_of_another_shop_cannot_touch_this_shops_staff(client, shop_fr, admin_fr, shop_us, admin_us):
    with shop_context(shop_fr):
        membership = StaffMembership.objects.get(user=admin_fr)
    client.force_login(admin_us)
    assert (
        client.post(reverse("staff_update", args=[membership.pk]), {"action": "deactivate"}).status_code
        == 404
    )
    with shop_context(shop_fr):
        assert StaffMembership.objects.get(pk=membership.pk).is_active


def test_deactivate_service_leaves_other_admins(shop_us, admin_us):
    other = staff_create(shop=shop_us, email="second@paws.example", password=PASSWORD, role=Role.ADMIN)
    staff_deactivate(shop=shop_us, membership=other)
    with shop_context(shop_us):
        assert not StaffMembership.objects.get(pk=other.pk).is_active
        assert StaffMembership.objects.get(user=admin_us).is_active


def test_a_session_pointing_at_a_shop_the_user_left_sees_only_the_shop_they_still_work_in(
    client, shop_fr, shop_us
):
    from customers.models import Customer
    from tests.conftest import add_customer

    person = staff_create(shop=shop_fr, email="both@example.com", password=PASSWORD, role=Role.ADMIN).user
    staff_create(shop=shop_us, email="both@example.com", password=None, role=Role.ADMIN)
    add_customer(shop_fr, last_name="Lilas")
    add_customer(shop_us, last_name="Paws")
    client.force_login(person)
    client.post(reverse("shop_switch", args=[shop_fr.slug]))
    assert "Lilas" in client.get(reverse("customers:list")).content.decode()
    # Removed from the French shop behind the session's back (no sign-out):
    with shop_context(shop_fr):
        StaffMembership.objects.filter(shop=shop_fr, user=person).delete()
    html = client.get(reverse("customers:list")).content.decode()
    assert "Paws" in html and "Lilas" not in html
    with shop_context(shop_fr):
        assert Customer.objects.filter(last_name="Lilas").exists()  # still there, just not shown
    # And with no shop left at all, nothing of anyone's.
    with shop_context(shop_us):
        StaffMembership.objects.filter(shop=shop_us, user=person).delete()
    response = client.get(reverse("customers:list"))
    assert response.status_code == 403
    assert "Paws" not in response.content.decode()


def test_the_country_picker_names_countries_in_the_readers_language():
    from shopcrm.forms import country_choices

    french = dict(country_choices("fr"))
    english = dict(country_choices("en-us"))
    assert french["FR"] == "France (FR, +33)" and french["DE"] == "Allemagne (DE, +49)"
    assert english["DE"] == "Germany (DE, +49)" and english["US"] == "United States (US, +1)"
    labels = [label for _code, label in country_choices("fr")]
    assert labels.index("Allemagne (DE, +49)") < labels.index("Belgique (BE, +32)")  # by name, not by code
