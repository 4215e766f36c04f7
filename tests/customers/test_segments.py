"""Segments: the list's filters (its search included) saved under a name, opened by the list, its count and
its export, shared by the shop's admins and by nobody else."""

from html import unescape

import pytest
from django.urls import reverse

from customers.models import Segment
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.conftest import export_post, make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(shop_us):
    add(shop_us, first_name="Ann", last_name="Martin", email="ann@example.com")
    add(shop_us, first_name="Bob", last_name="Martin")
    add(shop_us, first_name="Cy", last_name="Cole", email="cy@example.com")


def list_address(client, data):
    """POST the list's filters as the filter form does; the address it redirects to."""
    response = client.post(reverse("customers:list"), data)
    assert response.status_code == 302
    return response.url


def save(client, name, address):
    filters = address.split("?", 1)[1] if "?" in address else ""
    return client.post(
        reverse("customers:segment_save"), {"name": name, "filters": filters}, HTTP_HX_REQUEST="true"
    )


def test_save_the_search_and_filters_then_open_count_and_export_them(admin_client_us, shop_us, people):
    address = list_address(admin_client_us, {"q": "martin", "has_email": "yes"})
    response = save(admin_client_us, "Martins with email", address)
    assert "Martins with email" in unescape(response.content.decode())
    with shop_context(shop_us):
        segment = Segment.objects.get()
    # The search text is kept in the segment, never in an address.
    assert "q=martin" in segment.filters and "has_email=yes" in segment.filters
    page = unescape(admin_client_us.get(reverse("customers:segments")).content.decode())
    assert "Martins with email" in page and "Has an email: Yes" in page
    count = admin_client_us.get(reverse("customers:count") + f"?segment={segment.pk}").content.decode()
    assert count.strip() == "1 customer"
    listing = admin_client_us.get(reverse("customers:list") + f"?segment={segment.pk}").content.decode()
    assert "Ann" in listing and "Bob" not in listing and 'id="segment-open"' in listing
    assert "q=martin" not in listing  # the page's links and forms carry a key to the search, not the text
    response = export_post(admin_client_us, "csv", filters=f"segment={segment.pk}")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Ann" in body and "Bob" not in body and "Cole" not in body


def test_the_same_name_replaces_and_a_name_is_required(admin_client_us, shop_us, people):
    save(admin_client_us, "Mine", list_address(admin_client_us, {"q": "martin"}))
    save(admin_client_us, " Mine ", list_address(admin_client_us, {"q": "cole"}))
    with shop_context(shop_us):
        assert list(Segment.objects.values_list("name", "filters")) == [("Mine", "q=cole")]
    html = unescape(save(admin_client_us, "  ", "").content.decode())
    assert "field--invalid" in html and "This field is required." in html
    html = unescape(save(admin_client_us, "x" * 81, "").content.decode())
    assert "at most 80 characters" in html.lower()


def test_another_shops_segments_cannot_be_opened_counted_exported_or_deleted(
    client, shop_us, people, admin_fr
):
    other = make_shop(name="Autre")
    with shop_context(other):
        theirs = Segment.objects.create(shop=other, name="Leur segment", filters="q=martin")
    with shop_context(shop_us):
        mine = Segment.objects.create(shop=shop_us, name="Mine", filters="q=martin")
    client.force_login(admin_fr)  # an admin of another shop (shop_fr)
    for url in (
        reverse("customers:list") + f"?segment={mine.pk}",
        reverse("customers:count") + f"?segment={mine.pk}",
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("customers:segment_delete", args=[mine.pk])).status_code == 404
    assert export_post(client, "csv", filters=f"segment={mine.pk}").status_code == 404
    assert "Mine" not in client.get(reverse("customers:segments")).content.decode()
    with shop_context(shop_us):
        assert Segment.objects.filter(pk=mine.pk).exists()
    with shop_context(other):
        assert Segment.objects.filter(pk=theirs.pk).exists()


def test_cashiers_neither_save_nor_manage_segments(client_fr, shop_fr):
    assert client_fr.get(reverse("customers:segments")).status_code == 403
    assert client_fr.post(reverse("customers:segment_save"), {"name": "x"}).status_code == 403


def test_delete_a_segment(admin_client_us, shop_us):
    with shop_context(shop_us):
        segment = Segment.objects.create(shop=shop_us, name="Old", filters="")
    assert admin_client_us.post(reverse("customers:segment_delete", args=[segment.pk])).status_code == 302
    with shop_context(shop_us):
        assert not Segment.objects.exists()
    assert admin_client_us.get(reverse("customers:list") + f"?segment={segment.pk}").status_code == 404
