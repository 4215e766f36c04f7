"""The campaign screens: admins only, errors next to their field, the audience list, other shops' campaigns
answer 404."""

import pytest
from django.urls import reverse

from campaigns import services
from campaigns.models import Campaign
from customers.models import Export
from shopcrm.tenancy import shop_context
from tests.campaigns.conftest import verified
from tests.conftest import add_customer as add

pytestmark = pytest.mark.django_db


def new(client, **data):
    fields = {
        "name": "Soldes d'hiver",
        "channel": "email",
        "audience": "all",
        "subject": "Les soldes",
        "body": "Bonjour {{ first_name }} !",
        **data,
    }
    return client.post(reverse("campaigns:new"), fields)


def only(shop):
    with shop_context(shop):
        return Campaign.objects.get()


def test_the_top_bar_shows_campaigns_to_admins(admin_client_fr):
    assert 'href="/campaigns/"' in admin_client_fr.get(reverse("checkout:who")).content.decode()


def test_the_top_bar_shows_no_campaigns_to_cashiers(client_fr):
    assert 'href="/campaigns/"' not in client_fr.get(reverse("checkout:who")).content.decode()


def test_cashiers_cannot_open_campaigns(client_fr):
    assert client_fr.get(reverse("campaigns:list")).status_code == 403
    assert client_fr.post(reverse("campaigns:new"), {"name": "x"}).status_code == 403


def test_a_campaign_is_written_then_sent_from_its_page(admin_client_fr, shop_fr, launched):
    ana = verified(shop_fr, first_name="Ana", email="ana@example.fr")
    add(shop_fr, first_name="Nadia", email="nadia@example.fr")
    response = new(admin_client_fr)
    campaign = only(shop_fr)
    assert response.status_code == 302 and response["Location"] == reverse(
        "campaigns:detail", args=[campaign.pk]
    )
    page = admin_client_fr.get(response["Location"]).content.decode()
    assert "Send now" in page or "Envoyer maintenant" in page
    assert 'name="seen" value="1"' in page
    assert "Bonjour Ana !" in page  # the text version, as the first customer it reaches
    framed = admin_client_fr.get(reverse("campaigns:preview_email", args=[campaign.pk]) + f"?as={ana.pk}")
    assert "Bonjour Ana !" in framed.content.decode()
    assert "frame-ancestors 'self'" in framed["Content-Security-Policy"]
    sent = admin_client_fr.post(reverse("campaigns:send", args=[campaign.pk]), {"seen": "1"})
    assert sent.status_code == 302 and launched == [campaign.pk]
    assert only(shop_fr).status == "sending"


def test_each_bad_field_is_explained_next_to_it_and_nothing_is_saved(admin_client_fr, shop_fr):
    response = new(admin_client_fr, name="", subject="", body="Bonjour {{ prenom }}")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_name_error"' in page and 'id="id_subject_error"' in page and 'id="id_body_error"' in page
    assert "{{ prenom }}" in page
    with shop_context(shop_fr):
        assert not Campaign.objects.exists()


def test_a_changed_audience_is_said_next_to_send_and_nothing_goes(admin_client_fr, shop_fr, launched):
    verified(shop_fr, email="ana@example.fr")
    new(admin_client_fr)
    campaign = only(shop_fr)
    response = admin_client_fr.post(reverse("campaigns:send", args=[campaign.pk]), {"seen": "5"})
    assert response.status_code == 422 and 'id="send-error"' in response.content.decode()
    assert launched == [] and only(shop_fr).status == "draft"


def test_a_schedule_in_the_past_is_refused_next_to_the_field(admin_client_fr, shop_fr):
    verified(shop_fr, email="ana@example.fr")
    new(admin_client_fr)
    campaign = only(shop_fr)
    response = admin_client_fr.post(
        reverse("campaigns:schedule", args=[campaign.pk]), {"scheduled_at": "2020-01-01T10:00", "seen": "1"}
    )
    assert response.status_code == 422 and 'id="id_scheduled_at_error"' in response.content.decode()
    response = admin_client_fr.post(
        reverse("campaigns:schedule", args=[campaign.pk]), {"scheduled_at": "demain", "seen": "1"}
    )
    assert response.status_code == 422 and 'id="id_scheduled_at_error"' in response.content.decode()
    assert only(shop_fr).status == "draft"


def test_the_audience_list_says_who_receives_it_and_why_not(admin_client_fr, shop_fr):
    ana = verified(shop_fr, first_name="=Ana", email="ana@example.fr")
    nadia = add(shop_fr, first_name="Nadia", email="nadia@example.fr")
    new(admin_client_fr)
    response = admin_client_fr.post(reverse("campaigns:audience", args=[only(shop_fr).pk]))
    lines = b"".join(response.streaming_content).decode().splitlines()
    with shop_context(shop_fr):
        (audit,) = Export.objects.all()
    assert audit.by_id is not None and audit.row_count == 2 and audit.expected_rows == 2
    assert response["Content-Type"].startswith("text/csv")
    assert len(lines) == 3
    by_number = {line.split(",")[0]: line for line in lines[1:]}
    assert by_number[ana.number].endswith(("Receives it", "La reçoit"))
    assert ",'=Ana," in by_number[ana.number]  # a name a spreadsheet would run as a formula is shown as text
    assert by_number[nadia.number].endswith(("No consent", "Pas de consentement"))


def test_a_test_goes_to_the_admin_not_to_customers(admin_client_fr, shop_fr, admin_fr):
    from messaging.models import OutboundMessage

    verified(shop_fr, email="ana@example.fr")
    new(admin_client_fr)
    campaign = only(shop_fr)
    assert admin_client_fr.post(reverse("campaigns:test", args=[campaign.pk])).status_code == 302
    with shop_context(shop_fr):
        (test,) = OutboundMessage.objects.all()
    assert test.kind == "campaign_test" and test.recipient == admin_fr.email and test.customer_id is None
    assert "[[" not in test.body_text and "[[" not in test.body_html


def test_a_sending_campaign_cannot_be_edited(admin_client_fr, shop_fr, launched):
    verified(shop_fr, email="ana@example.fr")
    new(admin_client_fr)
    campaign = only(shop_fr)
    admin_client_fr.post(reverse("campaigns:send", args=[campaign.pk]), {"seen": "1"})
    response = new(admin_client_fr)  # a new one is fine
    edit = admin_client_fr.post(
        reverse("campaigns:edit", args=[campaign.pk]),
        {"name": "Autre", "channel": "email", "audience": "all", "subject": "S", "body": "B"},
    )
    assert response.status_code == 302 and edit.status_code == 302
    assert only_named(shop_fr, campaign.pk).name == "Soldes d'hiver"


def only_named(shop, pk):
    with shop_context(shop):
        return Campaign.objects.get(pk=pk)


def test_the_client_lists_filters_become_the_audience(admin_client_fr, shop_fr):
    verified(shop_fr, first_name="Ana", last_name="Vidal", email="ana@example.fr")
    page = admin_client_fr.get(reverse("campaigns:new") + "?filters=email_status%3Dverified").content.decode()
    assert 'value="filters" selected' in page
    new(admin_client_fr, audience="filters", filters="email_status=verified")
    assert only(shop_fr).filters == "email_status=verified"


@pytest.mark.parametrize("filters", [None, "q=nobody-by-this-name"])
def test_a_campaign_nobody_can_receive_says_so_and_sends_nothing(admin_client_fr, shop_fr, launched, filters):
    """An empty shop, or filters that match nobody: the page shows the campaign, and sending it is refused
    with the reason next to the button."""
    add(shop_fr, first_name="Nadia", last_name="Vidal")  # no email: not in an email audience
    new(admin_client_fr, **({"audience": "filters", "filters": filters} if filters else {}))
    campaign = only(shop_fr)
    page = admin_client_fr.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert page.status_code == 200 and "Soldes d'hiver" in page.content.decode().replace("&#x27;", "'")
    sent = admin_client_fr.post(reverse("campaigns:send", args=[campaign.pk]), {"seen": "0"})
    assert sent.status_code == 422 and "rien n’a été envoyé" in sent.content.decode()
    assert launched == [] and only(shop_fr).status == "draft"


@pytest.mark.parametrize(
    "name",
    ["detail", "edit", "send", "schedule", "cancel", "test", "audience", "preview_email", "unschedule"],
)
def test_another_shops_campaign_answers_404(admin_client_fr, shop_us, name):
    with shop_context(shop_us):
        theirs = services.campaign_create(
            shop=shop_us, by=None, name="Theirs", channel="email", subject="S", body="B"
        )
    url = reverse(f"campaigns:{name}", args=[theirs.pk])
    method = admin_client_fr.get if name in ("detail", "edit", "preview_email") else admin_client_fr.post
    assert method(url).status_code == 404


def test_the_pet_birthday_page_is_for_pet_shops_admins(admin_client_fr, shop_fr):
    assert admin_client_fr.get(reverse("campaigns:pet_birthday")).status_code == 404


def test_the_pet_birthday_promotion_is_saved_with_its_errors_next_to_the_fields(admin_client_us, shop_us):
    from campaigns.automations import pet_birthday_get

    url = reverse("campaigns:pet_birthday")
    page = admin_client_us.get(url).content.decode()
    assert "{{ pet_name }}" in page  # a suggested text to start from
    bad = admin_client_us.post(url, {"enabled": "on", "channel": "email", "subject": "", "body": "{{ age }}"})
    assert 'id="id_subject_error"' in bad.content.decode() and 'id="id_body_error"' in bad.content.decode()
    ok = admin_client_us.post(
        url, {"enabled": "on", "channel": "sms", "subject": "", "body": "Happy birthday {{ pet_name }}!"}
    )
    assert ok.status_code == 302
    with shop_context(shop_us):
        saved = pet_birthday_get(shop=shop_us)
    assert saved.enabled and saved.channel == "sms" and saved.pk


def test_a_preview_never_shows_another_shops_customer(admin_client_fr, shop_fr, shop_us):
    theirs = verified(shop_us, first_name="Secret", email="secret@example.com")
    new(admin_client_fr)
    url = reverse("campaigns:preview_email", args=[only(shop_fr).pk]) + f"?as={theirs.pk}"
    page = admin_client_fr.get(url).content.decode()
    assert "Secret" not in page and "[prénom]" in page


def test_the_results_refresh_themselves_while_messages_wait(admin_client_fr, shop_fr, launched):
    verified(shop_fr, email="ana@example.fr")
    new(admin_client_fr)
    campaign = only(shop_fr)
    admin_client_fr.post(reverse("campaigns:send", args=[campaign.pk]), {"seen": "1"})
    url = reverse("campaigns:detail", args=[campaign.pk]) + "?part=results"
    part = admin_client_fr.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert part.startswith('<div id="results"') and 'hx-trigger="every 3s"' in part
    assert "<html" not in part
