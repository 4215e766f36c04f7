import datetime
import re
from html import unescape

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, CustomerChange, CustomerTag, Tag
from customers.services import customer_tags_set, customers_tag_bulk, pet_create
from desk import listing
from desk.listing import CustomerFilter
from shopcrm.selectors import account_get
from shopcrm.tenancy import account_find, shop_context
from tests.conftest import add_customer as add
from tests.conftest import export_post

pytestmark = pytest.mark.django_db


def numbers(rows):
    return [c.number for c in rows]


def test_customer_filter_combines_type_tags_pets_and_consent(shop_us):
    cat_owner = add(shop_us, first_name="Ann", last_name="Cat", phone="+14155550101")
    dog_owner = add(shop_us, first_name="Bob", last_name="Dog", email="bob@example.com")
    add(shop_us, first_name="Cy", last_name="Pro", type="professional", company_name="Acme")
    with shop_context(shop_us):
        pet_create(shop=shop_us, by=None, owner=cat_owner, name="Mia", species="cat", birth_month=3)
        pet_create(shop=shop_us, by=None, owner=dog_owner, name="Rex", species="dog", birth_month=3)
        customer_tags_set(shop=shop_us, by=None, customer=dog_owner, names=["VIP"])
        Customer.objects.filter(pk=cat_owner.pk).update(sms_status="opted_in")
        vip = Tag.objects.get(shop=shop_us, name="VIP")

        def find(**kw):
            return sorted(
                c.number for c in listing.customer_filter_queryset(shop=shop_us, filters=CustomerFilter(**kw))
            )

        assert find(species="cat", sms_status="opted_in") == [cat_owner.number]
        assert find(pet_birth_month=3) == sorted([cat_owner.number, dog_owner.number])
        assert find(species="cat", pet_birth_month=4) == []
        assert find(tag_ids=[vip.pk]) == [dog_owner.number]
        assert find(type="professional") != []
        assert find(has_email=True) == [dog_owner.number]
        assert find(has_phone=True) == [cat_owner.number]
        assert find(query="dog") == [dog_owner.number]


def test_customer_filter_dates_are_days_in_the_shop_time_zone(shop_fr):
    customer = add(shop_fr, last_name="Martin")
    # 23:30 in Paris on 1 March is 22:30 UTC: it belongs to 1 March for the shop.
    paris_evening = datetime.datetime(2026, 3, 1, 22, 30, tzinfo=datetime.UTC)
    with shop_context(shop_fr), timezone.override(shop_fr.tzinfo):
        Customer.objects.filter(pk=customer.pk).update(created_at=paris_evening, last_visit_at=paris_evening)
        march_first = datetime.date(2026, 3, 1)
        hit = CustomerFilter(created_from=march_first, created_to=march_first)
        assert listing.customer_count(shop=shop_fr, filters=hit) == 1
        after = CustomerFilter(created_from=datetime.date(2026, 3, 2))
        assert listing.customer_count(shop=shop_fr, filters=after) == 0
        assert listing.customer_count(shop=shop_fr, filters=CustomerFilter(visit_before=march_first)) == 0
        assert listing.customer_count(shop=shop_fr, filters=CustomerFilter(visit_after=march_first)) == 1


@pytest.mark.parametrize("sort", sorted(listing.SORTS))
def test_customer_page_walks_every_customer_once_forwards_and_back(shop_fr, sort):
    now = timezone.now()
    for i in range(23):
        c = add(shop_fr, first_name=f"P{i % 5}", last_name=f"Name{i % 4}")
        with shop_context(shop_fr):
            # Ties on the sort values and NULL visits: the cursor must still be exact.
            Customer.objects.filter(pk=c.pk).update(
                created_at=now - datetime.timedelta(days=i % 3),
                last_visit_at=None if i % 3 == 0 else now - datetime.timedelta(days=i % 4),
            )
    with shop_context(shop_fr):
        seen, cursor, pages = [], "", []
        while True:
            page = listing.customer_page(
                shop=shop_fr, filters=CustomerFilter(), sort=sort, cursor=cursor, size=5
            )
            pages.append(page)
            seen += numbers(page.rows)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        expected = numbers(
            Customer.objects.filter(shop=shop_fr).order_by(
                *[listing._order(k, reverse=False) for k in listing.SORTS[sort]]
            )
        )
        assert seen == expected
        assert pages[0].previous_cursor is None
        # Back from the last page, page by page, gives the same pages.
        back = pages[-1].previous_cursor
        for earlier in reversed(pages[:-1]):
            page = listing.customer_page(
                shop=shop_fr, filters=CustomerFilter(), sort=sort, cursor=back, size=5
            )
            assert numbers(page.rows) == numbers(earlier.rows)
            back = page.previous_cursor


def test_a_tampered_cursor_starts_from_the_first_page(shop_fr):
    add(shop_fr)
    with shop_context(shop_fr):
        page = listing.customer_page(shop=shop_fr, filters=CustomerFilter(), cursor="garbage")
    assert len(page.rows) == 1


def test_customer_list_ignores_other_shops(shop_fr, shop_us):
    add(shop_us, last_name="Stranger")
    mine = add(shop_fr, last_name="Martin")
    with shop_context(shop_fr):
        page = listing.customer_page(shop=shop_fr, filters=CustomerFilter())
        assert numbers(page.rows) == [mine.number]
        assert listing.customer_count(shop=shop_fr, filters=CustomerFilter(query="Stranger")) == 0


def test_the_list_page_filters_from_the_url_and_shows_the_count(client_fr, shop_fr):
    add(shop_fr, first_name="Hélène", last_name="Dupont", email="helene@example.fr")
    add(shop_fr, first_name="Jean", last_name="Martin")
    html = unescape(client_fr.get(reverse("customers:list") + "?has_email=yes").content.decode())
    assert "Dupont" in html and "Martin" not in html
    assert "1 client" in html
    # An htmx request gets the results only.
    partial = client_fr.post(
        reverse("customers:list"), {"q": "mart"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Martin" in partial and "<html" not in partial


def test_a_bad_filter_value_is_an_error_next_to_it_and_the_rest_still_applies(client_fr, shop_fr):
    add(shop_fr, first_name="Jean", last_name="Martin")
    response = client_fr.get(reverse("customers:list") + "?created_from=31/02/2026&q=zzz", follow=True)
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert 'id="id_created_from_error"' in html
    assert "Aucun client ne correspond" in html  # q=zzz still applied


def test_cashiers_see_the_list_without_export_or_bulk_actions(client_fr, shop_fr):
    add(shop_fr)
    html = client_fr.get(reverse("customers:list")).content.decode()
    assert 'data-export="csv"' not in html
    assert 'name="all_matching"' not in html
    assert client_fr.post(reverse("customers:bulk_tag"), {"tag": "x", "action": "add"}).status_code == 403


def test_bulk_tag_on_ticked_customers_and_on_all_matching(client, shop_us, admin_us):
    a = add(shop_us, first_name="Ann", last_name="Able", email="ann@example.com")
    b = add(shop_us, first_name="Bob", last_name="Baker")
    c = add(shop_us, first_name="Cy", last_name="Cole", email="cy@example.com")
    client.force_login(admin_us)
    url = reverse("customers:bulk_tag")
    response = client.post(url, {"tag": "Newsletter", "action": "add", "customer": [a.number, b.number]})
    assert response.status_code == 302
    response = client.post(
        url, {"tag": "newsletter", "action": "add", "all_matching": "on", "filters": "has_email=yes"}
    )
    with shop_context(shop_us):
        tag = Tag.objects.get(shop=shop_us)
        tagged = set(CustomerTag.objects.filter(tag=tag).values_list("customer__number", flat=True))
        assert tagged == {a.number, b.number, c.number}
        # Only the customers that changed have a history line: a and b once, c once.
        assert CustomerChange.objects.filter(details__tags=["", "Newsletter"]).count() == 3
    response = client.post(
        url, {"tag": "Newsletter", "action": "remove", "customer": [b.number]}, follow=True
    )
    assert "removed from 1 customer" in unescape(response.content.decode())
    with shop_context(shop_us):
        assert CustomerTag.objects.filter(tag=tag).count() == 2


def test_bulk_tag_without_a_selection_says_so(client, shop_us, admin_us):
    client.force_login(admin_us)
    response = client.post(reverse("customers:bulk_tag"), {"tag": "VIP", "action": "add"}, follow=True)
    assert "Select at least one customer" in unescape(response.content.decode())


def test_bulk_tag_never_reaches_another_shops_customers(shop_fr, shop_us, admin_us, client):
    theirs = add(shop_fr, last_name="Martin")
    client.force_login(admin_us)
    client.post(reverse("customers:bulk_tag"), {"tag": "VIP", "action": "add", "customer": [theirs.number]})
    with shop_context(shop_fr):
        assert not CustomerTag.objects.exists()
    with shop_context(shop_us):
        assert (
            customers_tag_bulk(
                shop=shop_us, by=None, customers=Customer.objects.all(), tag_name="VIP", add=True
            )
            == 0
        )


def test_a_long_list_answers_first_and_counts_exactly_afterwards(admin_client_us, shop_us, monkeypatch):
    from desk import listing

    for i in range(3):
        add(shop_us, first_name=f"N{i}", last_name="Many")
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    html = unescape(admin_client_us.get(reverse("customers:list") + "?q=many", follow=True).content.decode())
    assert "Counting the customers…" in html
    assert re.search(r'hx-get="/customers/count/\?search=[\w-]+"', html) and "q=many" not in html
    assert html.count('name="customer"') == 2  # the first page is there
    count = admin_client_us.get(reverse("customers:count") + "?q=many").content.decode()
    assert count.strip() == "3 customers"


def test_a_search_covers_every_match_not_the_tills_best(admin_client_us, shop_us):
    """Count, pages and export hold every customer the search finds: more than the till's cards and more than
    a page, inner words and look-alikes included as the till finds them."""
    from customers.search import customer_search_count
    from desk.listing import CustomerFilter, customer_count
    from shopcrm.tenancy import shop_context

    for i in range(55):
        add(shop_us, first_name=f"N{i:02d}", last_name="Broad", email=f"n{i}@example.org")
    add(shop_us, first_name="Ann", last_name="Van Broad")
    add(shop_us, first_name="Zed", last_name="Other")
    count = admin_client_us.get(reverse("customers:count") + "?q=broad").content.decode()
    assert count.strip() == "56 customers"
    with shop_context(shop_us):
        assert customer_count(shop=shop_us, filters=CustomerFilter(query="broad")) == 56
        # A typo: the list holds the look-alikes the till finds, all of them.
        typos = customer_count(shop=shop_us, filters=CustomerFilter(query="brod"))
        assert typos >= 55 and typos == customer_search_count(shop=shop_us, query="brod")
        assert customer_count(shop=shop_us, filters=CustomerFilter(query="zzzz")) == 0
    html = unescape(admin_client_us.get(reverse("customers:list") + "?q=broad", follow=True).content.decode())
    assert "best matches" not in html and html.count('name="customer"') == 50  # a full first page


@pytest.mark.parametrize(
    "query",
    [
        "sort=bogus",
        "tag=abc&tag=99999",
        "pet_birth_month=13",
        "created_from=2026-02-30",
        "visit_after=9999-12-31&visit_before=0001-01-01",
        "cursor=%00%ff",
        "q=" + "x" * 500,
        "q=%00",
        "has_email=maybe&type=robot&civility=king&email_status=x&sms_status=y",
    ],
)
def test_bad_list_parameters_never_break_the_page_or_the_export(admin_client_us, shop_us, query):
    add(shop_us)
    assert admin_client_us.get(reverse("customers:list") + "?" + query, follow=True).status_code == 200
    form = QueryDict(query)
    assert admin_client_us.post(reverse("customers:list"), form, HTTP_HX_REQUEST="true").status_code == 200
    assert admin_client_us.get(reverse("customers:count") + "?" + query).status_code == 200
    response = export_post(admin_client_us, "csv", query)
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_the_search_text_never_appears_in_an_address(admin_client_us, shop_us):
    add(shop_us, first_name="Ann", last_name="Able", email="ann.able@example.org", phone="+12025550143")
    for text in ("ann.able@example.org", "+1 202 555 0143"):
        response = admin_client_us.post(reverse("customers:list"), {"q": text}, HTTP_HX_REQUEST="true")
        pushed = response["HX-Push-Url"]
        assert "search=" in pushed and "able" not in pushed and "555" not in pushed
        html = unescape(response.content.decode())
        assert "Able" in html
        for address in re.findall(r'(?:href|hx-get|action)="([^"]*)"', html):
            assert "ann.able" not in address and "0143" not in address, address
        # The pushed address shows the same list again (back, reload) in this session.
        again = unescape(admin_client_us.get(pushed).content.decode())
        assert "Able" in again and f'value="{text}"' in again
    # Someone else with the address sees the list without the search, and is told why.
    from django.test import Client

    colleague = Client()
    colleague.force_login(account_get(user_id=account_find("boss@paws.example")))
    shared = unescape(colleague.get(pushed).content.decode())
    assert "kept only in the session that typed it" in shared


def test_an_address_that_carries_the_search_text_is_moved_out_of_it(admin_client_us, shop_us):
    response = admin_client_us.get(reverse("customers:list") + "?q=ann.able%40example.org&has_email=yes")
    assert response.status_code == 302
    assert "ann.able" not in response["Location"] and "has_email=yes" in response["Location"]


def test_starting_an_export_is_a_post(admin_client_us, shop_us):
    add(shop_us)
    assert admin_client_us.get(reverse("customers:export") + "?format=csv").status_code == 405
