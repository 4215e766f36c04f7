import time
from html import unescape
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse

from customers.models import Customer
from customers.services import customer_create
from messaging import tokens
from messaging.models import ConsentEvent
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def betty(shop_fr, monkeypatch):
    monkeypatch.setattr("messaging.outbox.message_publish", lambda messages: None)
    with shop_context(shop_fr):
        return customer_create(
            shop=shop_fr,
            by=None,
            first_name="Betty",
            last_name="Smith",
            email="betty@example.com",
            phone="0612345678",
            send_welcome_email=True,
            send_sms_opt_in=True,
        )


def fresh(shop, customer):
    with shop_context(shop):
        return Customer.objects.get(pk=customer.pk)


def events(shop, customer):
    with shop_context(shop):
        return list(
            ConsentEvent.objects.filter(customer=customer).order_by("pk").values_list("channel", "action")
        )


def test_verify_get_changes_nothing_and_post_verifies_once(client, shop_fr, betty):
    url = reverse("messaging:verify", args=[tokens.make(betty, "verify")])
    page = client.get(url)
    assert page.status_code == 200 and "Confirmer" in unescape(page.content.decode())
    assert fresh(shop_fr, betty).email_status == "pending"
    done = client.post(url)
    assert done.status_code == 200
    assert fresh(shop_fr, betty).email_status == "verified"
    again = client.post(url)
    assert "Déjà confirmé" in unescape(again.content.decode())
    assert events(shop_fr, betty).count(("email", "confirmed")) == 1


def test_a_tampered_verify_link_is_a_400_page(client, betty):
    token = tokens.make(betty, "verify")
    response = client.get(reverse("messaging:verify", args=[token[:-3] + "abc"]))
    assert response.status_code == 400


def test_an_expired_verify_link_says_ask_the_shop(client, betty):
    token = tokens.make(betty, "verify")
    later = SimpleNamespace(time=lambda: time.time() + 8 * 86400)
    with mock.patch.object(signing, "time", later):  # the signatures' clock only, not the database's
        response = client.get(reverse("messaging:verify", args=[token]))
    assert response.status_code == 410
    assert "expiré" in unescape(response.content.decode())


def test_a_token_for_one_purpose_does_not_work_for_another(client, betty):
    token = tokens.make(betty, "unsubscribe")
    assert client.post(reverse("messaging:verify", args=[token])).status_code == 400


def test_unsubscribe_get_shows_the_choice_and_post_unsubscribes_idempotently(client, shop_fr, betty):
    url = reverse("messaging:unsubscribe", args=[tokens.make(betty, "unsubscribe")])
    assert client.get(url).status_code == 200
    assert fresh(shop_fr, betty).email_status == "pending"
    client.post(url)
    client.post(url)
    assert fresh(shop_fr, betty).email_status == "unsubscribed"
    assert events(shop_fr, betty).count(("email", "withdrawn")) == 1


def test_one_click_unsubscribe_is_a_cookieless_post_returning_200(shop_fr, betty):
    from django.test import Client

    mailer = Client(enforce_csrf_checks=True)
    url = reverse("messaging:unsubscribe", args=[tokens.make(betty, "unsubscribe")])
    response = mailer.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert fresh(shop_fr, betty).email_status == "unsubscribed"


def test_the_unsubscribe_pages_own_form_is_csrf_protected(shop_fr, betty):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    url = reverse("messaging:unsubscribe", args=[tokens.make(betty, "unsubscribe")])
    # A forged cross-site form (no CSRF token) is refused, and so is a one-click body with extra fields.
    assert browser.post(url, {}).status_code == 403
    assert browser.post(url, {"List-Unsubscribe": "One-Click", "x": "1"}).status_code == 403
    assert fresh(shop_fr, betty).email_status != "unsubscribed"
    # The page's own form carries the token and works.
    page = browser.get(url)
    token = page.cookies["csrftoken"].value
    assert browser.post(url, {"csrfmiddlewaretoken": token}).status_code == 200
    assert fresh(shop_fr, betty).email_status == "unsubscribed"


def test_one_click_also_comes_urlencoded(shop_fr, betty):
    from django.test import Client

    url = reverse("messaging:unsubscribe", args=[tokens.make(betty, "unsubscribe")])
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and fresh(shop_fr, betty).email_status == "unsubscribed"


def test_the_preferences_page_is_never_cached(client, shop_fr, betty):
    response = client.get(reverse("messaging:preferences", args=[tokens.make(betty, "preferences")]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_an_unknown_unsubscribe_token_is_refused(client):
    assert (
        client.post(
            reverse("messaging:unsubscribe", args=["nonsense"]), {"List-Unsubscribe": "One-Click"}
        ).status_code
        == 400
    )
    assert client.get(reverse("messaging:unsubscribe", args=["nonsense"])).status_code == 400


def test_sms_confirm_link_opts_in_on_post_only(client, shop_fr, betty):
    url = reverse("messaging:sms_confirm", args=[tokens.make(betty, "sms")])
    client.get(url)
    assert fresh(shop_fr, betty).sms_status == "pending"
    client.post(url)
    assert fresh(shop_fr, betty).sms_status == "opted_in"


def test_preferences_show_the_data_and_change_consent(client, shop_fr, betty):
    url = reverse("messaging:preferences", args=[tokens.make(betty, "preferences")])
    html = unescape(client.get(url).content.decode())
    assert "Betty Smith" in html and "06 12 34 56 78" in html
    client.post(url, {"action": "sms_off"})
    assert fresh(shop_fr, betty).sms_status == "opted_out"
    client.post(url, {"action": "erase"})
    from messaging.models import ErasureRequest

    with shop_context(shop_fr):
        assert ErasureRequest.objects.filter(customer=betty).count() == 1


def test_a_token_for_shop_a_never_acts_on_shop_b(client, shop_fr, shop_us, betty, monkeypatch):
    # Even a validly signed token that names shop B cannot reach shop A's customer: the customer is
    # looked up inside the shop the token names.
    signer = signing.TimestampSigner(salt=tokens.SALTS["unsubscribe"])
    forged = signer.sign_object([shop_us.pk, betty.pk, ""], compress=True)
    response = client.post(reverse("messaging:unsubscribe", args=[forged]))
    assert response.status_code == 404
    assert fresh(shop_fr, betty).email_status == "pending"


def test_the_admin_sees_and_handles_an_erasure_request(client, shop_fr, admin_fr, betty):
    url = reverse("messaging:preferences", args=[tokens.make(betty, "preferences")])
    client.post(url, {"action": "erase"})
    client.force_login(admin_fr)
    settings_page = unescape(client.get(reverse("shop_settings")).content.decode())
    assert "Betty Smith" in settings_page
    from messaging.models import ErasureRequest

    with shop_context(shop_fr):
        pk = ErasureRequest.objects.get().pk
    client.post(reverse("erasure_handled", args=[pk]))
    assert "Betty Smith" not in unescape(client.get(reverse("shop_settings")).content.decode())
