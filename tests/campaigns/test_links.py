"""Links in a campaign tell the truth: no bidi or invisible characters, look-alike hosts in punycode, no
link whose words name another address, no name hidden before a host; the preview loads no remote image."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from campaigns import content, services
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db


def checked(shop, body, channel="email"):
    with translation.override("en"):
        return services.message_checked(shop, channel=channel, subject="Sale", body=body)


def refusal(shop, body) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.message_checked(shop, channel="email", subject="Sale", body=body)
    return " ".join(refused.value.message_dict["body"])


def test_bidi_and_invisible_characters_are_stripped(shop_fr):
    body = "Offre : https://shop.example/\u202eexe.gpj \u200bici\u2066\u2069 👨\u200d👩\u200d👧"
    cleaned = checked(shop_fr, body)["body"]
    assert not set(cleaned) & {"\u202e", "\u200b", "\u2066", "\u2069"}
    assert "👨\u200d👩\u200d👧" in cleaned  # the joiner of an emoji sequence stays
    subject = services.message_checked(shop_fr, channel="email", subject="\u202eSoldes", body="x")["subject"]
    assert subject == "Soldes"


def test_a_look_alike_host_is_shown_in_punycode(shop_fr):
    cyrillic_a = "\u0430"
    body = f"Votre compte : https://p{cyrillic_a}ypal.com/login et [ici](https://b{cyrillic_a}nk.fr)"
    cleaned = checked(shop_fr, body)["body"]
    assert "https://xn--pypal-4ve.com/login" in cleaned and cyrillic_a not in cleaned
    assert "(https://xn--bnk-6cd.fr)" in cleaned
    html = content.email_html(cleaned)
    assert 'href="https://xn--pypal-4ve.com/login"' in html


@pytest.mark.parametrize(
    "body",
    [
        "[https://bank.fr](https://evil.example)",
        "[www.bank.fr/compte](https://evil.example/compte)",
        "[bank.fr](https://bank.fr.evil.example)",
        "Voir https://bank.fr@evil.example/login",
    ],
)
def test_a_link_that_lies_about_where_it_goes_is_refused_next_to_the_message(shop_fr, body):
    said = refusal(shop_fr, body)
    assert "must not name another address" in said or "puts a name before its address" in said


@pytest.mark.parametrize(
    "body",
    [
        "[https://bank.fr/compte](https://www.bank.fr/compte)",
        "[notre site](https://bank.fr)",
        "[Soldes 2026 !](https://bank.fr/soldes)",
        "Tout est sur https://bank.fr/soldes.",
    ],
)
def test_honest_links_pass(shop_fr, body):
    assert checked(shop_fr, body)["body"] == body


def test_the_editor_shows_the_refusal_next_to_the_message(admin_client_fr):
    response = admin_client_fr.post(
        reverse("campaigns:new"),
        {
            "name": "Soldes",
            "channel": "email",
            "audience": "all",
            "subject": "Les soldes",
            "body": "[https://bank.fr](https://evil.example)",
        },
    )
    assert response.status_code == 200 and 'id="id_body_error"' in response.content.decode()


def test_the_email_preview_loads_no_remote_image(admin_client_fr, shop_fr):
    with shop_context(shop_fr):
        campaign = services.campaign_create(
            shop=shop_fr, by=None, name="S", channel="email", subject="S", body="Bonjour"
        )
    response = admin_client_fr.get(reverse("campaigns:preview_email", args=[campaign.pk]))
    assert "img-src 'self' data:" in response["Content-Security-Policy"]
