import pytest
from django.core import mail
from django.urls import reverse

from shopcrm.mail import password_reset_send
from shopcrm.models import Role
from shopcrm.selectors import account_get
from shopcrm.services import shop_update
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_home_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_sign_in_with_email_in_any_case_lands_on_the_home_screen(client, cashier_fr):
    response = client.post(
        "/accounts/login/", {"username": "CAISSE@test.example", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == "/"
    assert response.context["shop"].name == "Pressing Test"


def test_a_wrong_password_shows_a_clear_error(client, cashier_fr):
    response = client.post(
        "/accounts/login/",
        {"username": "caisse@test.example", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()


def test_repeated_failures_lock_the_account_out_for_a_while(client, cashier_fr):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "caisse@test.example", "password": "nope"})
    response = client.post("/accounts/login/", {"username": "caisse@test.example", "password": PASSWORD})
    assert response.status_code == 429
    assert "15" in response.content.decode()


def test_home_greets_in_the_shop_language(client, shop_fr, cashier_fr):
    shop_update(shop=shop_fr, customer_first=False)
    client.force_login(cashier_fr)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="fr"' in html
    assert "Ajouter un client" in html


def test_a_customer_first_shop_opens_the_till_search_from_home(client_fr):
    response = client_fr.get("/", follow=True)
    assert "Trouver un client" in response.content.decode()


def test_a_staff_language_choice_overrides_the_shop_and_is_remembered(client_fr, cashier_fr):
    response = client_fr.post(reverse("language_switch"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert account_get(user_id=cashier_fr.pk).language == "en"
    assert "Find a customer" in client_fr.get("/", follow=True).content.decode()


def test_language_switch_ignores_an_offsite_next(client_fr):
    response = client_fr.post(reverse("language_switch"), {"language": "en", "next": "https://evil.example/"})
    assert response.url == "/"


def test_a_member_of_two_shops_picks_one_then_switches(client, shop_fr, shop_us, make_staff):
    make_staff(shop_fr, "both@test.example", Role.ADMIN)
    user = make_staff(shop_us, "both@test.example")
    client.force_login(user)
    assert client.get("/").url == reverse("shop_picker")
    picker = client.get(reverse("shop_picker")).content.decode()
    assert "Pressing Test" in picker and "Paws Test" in picker
    client.post(reverse("shop_switch", args=[shop_us.slug]))
    assert client.get("/").context["shop"] == shop_us
    client.post(reverse("shop_switch", args=[shop_fr.slug]))
    assert client.get("/", follow=True).context["shop"] == shop_fr


def test_switching_to_a_shop_one_is_not_a_member_of_is_404(client_fr, shop_us):
    assert client_fr.post(reverse("shop_switch", args=[shop_us.slug])).status_code == 404
    assert client_fr.post(reverse("shop_switch", args=["no-such-shop"])).status_code == 404


def test_a_deactivated_membership_ends_access_to_the_shop(client_fr, shop_fr, cashier_fr, in_shop):
    with in_shop(shop_fr):
        cashier_fr.memberships.update(is_active=False)
    response = client_fr.get("/")
    assert response.status_code == 403


def test_settings_are_for_admins_only(client, cashier_fr, admin_fr):
    client.force_login(cashier_fr)
    assert client.get(reverse("shop_settings")).status_code == 403
    client.force_login(admin_fr)
    response = client.get(reverse("shop_settings"))
    assert response.status_code == 200
    assert "caisse@test.example" in response.content.decode()


def test_pages_send_a_csp_without_unsafe_inline_scripts(client_fr):
    policy = client_fr.get("/").headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_503_when_the_broker_is_down(client, settings, tmp_path):
    settings.REDIS_URL = f"unix://{tmp_path}/nothing.sock"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


def test_password_reset_queues_the_mail_after_commit(
    client, cashier_fr, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(
        "shopcrm.tasks.send_password_reset.apply_async",
        lambda args, **kw: published.append(args),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("password_reset"), {"email": "CAISSE@test.example"})
        assert response.status_code == 302
        assert published == []  # not before the commit
    for callback in callbacks:
        callback()
    assert published == [(cashier_fr.pk, "en")]
    assert mail.outbox == []  # nothing sent inside the request


def test_password_reset_for_an_unknown_email_reveals_nothing(client, monkeypatch):
    published = []
    monkeypatch.setattr(
        "shopcrm.tasks.send_password_reset.apply_async", lambda args, **kw: published.append(args)
    )
    response = client.post(reverse("password_reset"), {"email": "ghost@test.example"})
    assert response.status_code == 302
    assert published == []


def test_the_password_reset_mail_holds_a_working_link(client, cashier_fr, settings):
    settings.SITE_URL = "https://crm.example"
    assert password_reset_send(user_id=cashier_fr.pk, language="fr")
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if line.startswith("https://"))
    path = link.removeprefix("https://crm.example")
    response = client.get(path, follow=True)
    assert response.context["validlink"]
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-secret", "new_password2": "a-brand-new-secret"},
    )
    assert response.status_code == 302
    assert account_get(user_id=cashier_fr.pk).check_password("a-brand-new-secret")


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy configured: the header is the client's own words
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the left entry was written by the client
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.2"),  # fewer entries than proxies: not through them
        (1, "not-an-address", "10.0.0.2"),
    ],
)
def test_the_client_address_is_taken_from_the_trusted_proxies_only(settings, rf, count, forwarded, expected):
    from shopcrm.http import client_ip

    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_sign_in_throttle_counts_the_real_client_behind_the_proxy(client, settings, cashier_fr):
    settings.TRUSTED_PROXY_COUNT = 1
    url = reverse("login")
    for _ in range(5):
        client.post(
            url,
            {"username": "caisse@test.example", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    blocked = client.post(
        url,
        {"username": "caisse@test.example", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert blocked.status_code in (403, 429)
    # Another client behind the same proxy is not locked out by the first one's failures.
    other = client.post(
        url,
        {"username": "caisse@test.example", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )
    assert other.status_code == 302


def test_english_times_do_not_end_a_sentence_twice():
    import datetime

    from django.utils import translation
    from django.utils.formats import date_format

    with translation.override("en"):
        shown = date_format(datetime.datetime(2026, 12, 2, 5, 2), "SHORT_DATETIME_FORMAT")
    assert shown == "12/02/2026 5:02 AM"
