"""Every form on the main pages, sent with odd values one field at a time: an error message or a redirect,
never a server error. Complements the precise validation tests of each form."""

import re
from html import unescape
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.services import campaign_create
from customers.services import pet_create
from messaging import tokens
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer

pytestmark = pytest.mark.django_db

ODD = [
    "",
    "x" * 3000,
    "\x00",
    "<script>alert(1)</script>",
    "-1",
    "99999999999999999999999",
    "2026-02-30",
    "🙂\u202e",
]


def forms_of(html: str) -> list[tuple[str | None, str, list[str]]]:
    """(action, method, field names) of each form of a page."""
    found = []
    for match in re.finditer(r"<form\b([^>]*)>(.*?)</form>", html, re.S):
        attrs, body = match.groups()
        action = re.search(r'action="([^"]*)"', attrs)
        method = re.search(r'method="([^"]*)"', attrs)
        names = sorted(set(re.findall(r'name="([^"]+)"', body)) - {"csrfmiddlewaretoken"})
        method = method.group(1).lower() if method else "get"
        found.append((unescape(action.group(1)) if action else None, method, names))
    return found


def server_errors(client, page: str, sign_in=None, htmx: bool = True, seen: set | None = None) -> list:
    """Submit each form of `page` with each odd value in each field (the others empty); the failures.
    A form already in `seen` (the same form on several pages) is sent once."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    forms = forms_of(response.content.decode())
    assert forms, page
    seen = set() if seen is None else seen
    failures = []
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for action, method, names in forms:
        target = action or page
        if "logout" in target or (target, method, tuple(names)) in seen:
            continue
        seen.add((target, method, tuple(names)))
        for name in names:
            for odd in ODD:
                data = {**dict.fromkeys(names, ""), name: odd}
                send = client.post if method == "post" else client.get
                try:
                    status = send(target, data, **headers).status_code
                except Exception as exc:  # the test client re-raises what would be a 500
                    status = f"{type(exc).__name__}: {exc}"[:200]
                if not isinstance(status, int) or status >= 500:
                    failures.append((method, target, name, odd[:20], status))
                if sign_in:
                    sign_in()  # a form may end the session (deactivating oneself, switching shop)
    return failures


def test_staff_pages_never_answer_a_server_error(client, shop_us, admin_us):
    customer = add_customer(shop_us, phone="(201) 555-0123", email="a@example.com")
    other = add_customer(shop_us, first_name="Other", last_name="Person")
    with shop_context(shop_us):
        pet_create(shop=shop_us, by=None, owner=customer, name="Rex", species="dog")
    n = customer.number

    def sign_in():
        client.force_login(admin_us)

    sign_in()
    pages = [
        "/",
        "/checkout/",
        f"/checkout/{n}/",
        "/customers/",
        "/customers/new/",
        f"/customers/{n}/",
        f"/customers/{n}/edit/",
        "/customers/import/",
        f"/customers/merge/?customer={n}&customer={other.number}",
        "/settings/",
    ]
    failures, seen = [], set()
    for page in pages:
        failures += server_errors(client, page, sign_in, seen=seen)
    assert len(seen) >= 15  # the pages' forms were found and sent
    for query in ["q", "sort", "cursor", "tags", "species", "birth_month", "created_from", "visit_before"]:
        for odd in ODD:
            for page in ("/customers/", "/customers/count/"):
                status = client.get(page, {query: odd}, HTTP_HX_REQUEST="true").status_code
                if status >= 500:
                    failures.append(("get", page, query, odd[:20], status))
    assert not failures


def test_import_wizard_never_answers_a_server_error(client, shop_fr, admin_fr):
    def sign_in():
        client.force_login(admin_fr)

    sign_in()
    upload = SimpleUploadedFile(
        "clients.csv",
        "Nom;Prénom;Téléphone;Email\nDupont;Jean;0612345679;j@example.com\n".encode(),
        "text/csv",
    )
    detail = client.post(reverse("customers:import"), {"file": upload}).headers["Location"]
    assert not server_errors(client, detail, sign_in)


def test_customer_link_pages_never_answer_a_server_error(client, shop_fr):
    customer = add_customer(
        shop_fr, phone="06 12 34 56 78", email="a@example.com", send_welcome_email=True, send_sms_opt_in=True
    )
    failures = []
    for purpose, route in [
        ("verify", "verify"),
        ("unsubscribe", "unsubscribe"),
        ("sms", "sms_confirm"),
        ("preferences", "preferences"),
    ]:
        token = tokens.make(customer, purpose)
        failures += server_errors(client, reverse(f"messaging:{route}", args=[token]), htmx=False)
        for bad in ["x", "a" * 3000, token[:-2], "🙂"]:
            for send in (client.get, client.post):
                status = send(reverse(f"messaging:{route}", args=[bad])).status_code
                if status >= 500:
                    failures.append((route, bad[:20], status))
    assert not failures


def test_live_helpers_of_the_create_form_never_answer_a_server_error(client, shop_fr, admin_fr):
    """The traffic lights, the possible-duplicates box and the email preview post what is being typed."""
    client.force_login(admin_fr)
    add_customer(shop_fr, phone="06 12 34 56 78", email="a@example.com")
    endpoints = [
        (reverse("customers:check", args=["phone"]), ["phone", "customer"]),
        (reverse("customers:check", args=["email"]), ["email", "customer"]),
        (reverse("customers:matches"), ["last_name", "phone"]),
        (reverse("customers:email_preview"), ["first_name", "last_name", "email"]),
    ]
    failures = []
    for url, names in endpoints:
        for name in names:
            for odd in [*ODD, "06 12 34\x0056 78", "a\x00@example.com", "dup\x00ont"]:
                try:
                    status = client.post(url, {name: odd}, HTTP_HX_REQUEST="true").status_code
                except Exception as exc:
                    status = f"{type(exc).__name__}: {exc}"[:200]
                if not isinstance(status, int) or status >= 500:
                    failures.append((url, name, odd[:20], status))
    assert not failures


NOT_NUMBERS = ["\x00", "A\x00B", "a" * 300, "A1001;", "ÉTÉ", "²"]


def test_an_address_with_what_cannot_be_a_customer_number_is_not_found(client, shop_fr, admin_fr):
    """The number in a customer's or the till's address: anything but a short alphanumeric code is a 404,
    whichever page it is and whether it is read or posted to, and never reaches the database."""
    customer = add_customer(shop_fr, phone="06 12 34 56 78")
    client.force_login(admin_fr)
    routes = [
        "/customers/{}/",
        "/customers/{}/details/",
        "/customers/{}/edit/",
        "/customers/{}/data/",
        "/customers/{}/erase/",
        "/customers/{}/visit/",
        "/customers/{}/resend/email/",
        "/customers/{}/pets/add/",
        "/customers/{}/pets/1/",
        "/customers/{}/pets/1/delete/",
        "/checkout/{}/",
        "/checkout/{}/prompts/",
        "/checkout/{}/order-ready/",
    ]
    answers = {}
    for route in routes:
        for odd in NOT_NUMBERS:
            for send in (client.get, client.post):
                answers[(route, odd[:8], send.__name__)] = send(route.format(quote(odd))).status_code
    assert set(answers.values()) == {404}, {k: v for k, v in answers.items() if v != 404}
    # The same pages still open for the real number, in either case.
    assert client.get(f"/customers/{customer.number.lower()}/").status_code == 200
    assert client.get(f"/checkout/{customer.number}/").status_code == 200


def test_customer_numbers_posted_by_the_desks_forms_that_cannot_be_numbers_find_nobody(
    client, shop_fr, admin_fr
):
    """Merge, "not the same person" and the retention list take numbers from the form itself."""
    first = add_customer(shop_fr, first_name="Ana")
    client.force_login(admin_fr)
    for odd in NOT_NUMBERS:
        pair = {"customer": [first.number, odd]}
        assert client.get(reverse("customers:merge"), pair).status_code == 404
        assert client.post(reverse("customers:duplicate_dismiss"), pair).status_code == 404
        assert client.post(reverse("customers:retention"), {"number": odd, "reason": "x"}).status_code == 404
        tagged = client.post(reverse("customers:bulk_tag"), {**pair, "action": "add", "tag": "VIP"})
        assert tagged.status_code in (302, 303), tagged.status_code


def test_ids_written_in_other_digits_are_no_ids(client, shop_fr, admin_fr):
    """ "²" and "٣" pass `str.isdigit`; as a segment, a campaign, a customer to preview as or a count seen,
    they are no id at all: the page answers as for an id that exists nowhere, or says what is wrong."""
    client.force_login(admin_fr)
    with shop_context(shop_fr):
        campaign = campaign_create(
            shop=shop_fr, by=admin_fr, name="Soldes", channel="email", subject="Soldes", body="Bonjour"
        )
    unknown = {
        page: client.get(reverse(page), {"segment": "987654"}).status_code
        for page in ("customers:list", "campaigns:new")
    }
    assert all(status < 500 for status in unknown.values())
    for odd in ["²", "٣", "1²"]:
        for page, status in unknown.items():
            assert client.get(reverse(page), {"segment": odd}).status_code == status
        preview = client.get(reverse("campaigns:preview_email", args=[campaign.pk]), {"as": odd})
        assert preview.status_code == 200
        sent = client.post(reverse("campaigns:send", args=[campaign.pk]), {"seen": odd})
        assert sent.status_code in (302, 422), sent.status_code
