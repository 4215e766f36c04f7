"""An expired session under htmx: the page goes to sign-in with the way back, never a form inside a
fragment."""

from django.urls import reverse


def test_an_htmx_request_without_a_session_is_sent_to_sign_in_with_next(client, db):
    response = client.post(
        reverse("checkout:who"),
        {"q": "dup"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/checkout/?q=dup",
    )
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fcheckout%2F%3Fq%3Ddup"


def test_the_way_back_never_leaves_the_site(client, db):
    response = client.get(
        reverse("customers:list"), HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/steal"
    )
    assert response["HX-Redirect"] == "/accounts/login/?next=%2F"


def test_a_plain_request_still_gets_the_ordinary_redirect(client, db):
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_there_is_a_favicon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)
