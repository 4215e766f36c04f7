import datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, CustomerChange, CustomerTag, Merge, Pet
from customers.services import customer_tags_set, pet_create
from desk.merge import customers_merge, merge_undo
from messaging.models import ConsentEvent, OutboundMessage
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(shop_us):
    old = add(shop_us, first_name="Ann", last_name="Smith", phone="+14155550101", email="ann@example.com")
    new = add(
        shop_us,
        first_name="Annie",
        last_name="Smith",
        phone="+14155550102",
        email="annie@example.com",
        send_welcome_email=True,
    )
    with shop_context(shop_us):
        Customer.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
        Customer.objects.filter(pk=new.pk).update(notes="Prefers mornings", email_status="verified")
        pet_create(shop=shop_us, by=None, owner=new, name="Mia", species="cat")
        customer_tags_set(shop=shop_us, by=None, customer=old, names=["VIP"])
        customer_tags_set(shop=shop_us, by=None, customer=new, names=["VIP", "Groomer"])
        old.refresh_from_db()
        new.refresh_from_db()
    return old, new


def test_merge_moves_everything_to_the_survivor_and_keeps_the_chosen_values(shop_us, pair, admin_us):
    old, new = pair
    with shop_context(shop_us):
        record = customers_merge(
            shop=shop_us,
            by=admin_us,
            survivor=old,
            other=new,
            choices={"email": "other", "first_name": "survivor"},
        )
        survivor = Customer.objects.get(pk=old.pk)
        assert not Customer.objects.filter(pk=new.pk).exists()
        assert survivor.first_name == "Ann"
        assert survivor.email == "annie@example.com"
        assert survivor.email_status == "verified"  # consent follows the address
        assert str(survivor.phone) == "+14155550101"
        assert survivor.secondary_emails == ["ann@example.com"]  # the email not kept is not lost
        assert survivor.notes == "Prefers mornings"
        assert list(Pet.objects.filter(owner=survivor).values_list("name", flat=True)) == ["Mia"]
        assert sorted(survivor.tags.values_list("name", flat=True)) == ["Groomer", "VIP"]
        assert OutboundMessage.objects.filter(customer=survivor).count() == 1
        assert ConsentEvent.objects.filter(customer=survivor).exists()
        assert CustomerChange.objects.filter(customer=survivor, action="merged").exists()
        assert record.merged_number == new.number


def test_undo_brings_the_merged_customer_back_with_its_number_and_belongings(shop_us, pair, admin_us):
    old, new = pair
    with shop_context(shop_us):
        before_old = Customer.objects.filter(pk=old.pk).values().get()
        before_new = Customer.objects.filter(pk=new.pk).values().get()
        record = customers_merge(
            shop=shop_us, by=admin_us, survivor=old, other=new, choices={"email": "other"}
        )
        restored = merge_undo(shop=shop_us, by=admin_us, merge=record)
        assert restored.number == new.number
        after_old = Customer.objects.filter(pk=old.pk).values().get()
        after_new = Customer.objects.filter(pk=new.pk).values().get()
        ignore = {"updated_at", "updated_by_id"}
        assert {k: v for k, v in after_old.items() if k not in ignore} == {
            k: v for k, v in before_old.items() if k not in ignore
        }
        assert {k: v for k, v in after_new.items() if k not in ignore} == {
            k: v for k, v in before_new.items() if k not in ignore
        }
        assert list(Pet.objects.filter(owner_id=new.pk).values_list("name", flat=True)) == ["Mia"]
        assert sorted(CustomerTag.objects.filter(customer_id=old.pk).values_list("tag__name", flat=True)) == [
            "VIP"
        ]
        assert sorted(CustomerTag.objects.filter(customer_id=new.pk).values_list("tag__name", flat=True)) == [
            "Groomer",
            "VIP",
        ]
        assert OutboundMessage.objects.filter(customer_id=new.pk).count() == 1
        assert Merge.objects.get().undone_at is not None
        with pytest.raises(Exception, match="already been undone"):
            merge_undo(shop=shop_us, by=admin_us, merge=record)


def test_undo_is_refused_when_the_phone_went_to_someone_else(shop_us, pair, admin_us):
    old, new = pair
    with shop_context(shop_us):
        record = customers_merge(shop=shop_us, by=admin_us, survivor=old, other=new, choices={})
    add(shop_us, first_name="Zed", last_name="Other", phone="+14155550102")
    with shop_context(shop_us), pytest.raises(Exception, match="cannot come back"):
        merge_undo(shop=shop_us, by=admin_us, merge=record)
    with shop_context(shop_us):
        assert Merge.objects.get().undone_at is None
        assert Customer.objects.filter(pk=old.pk).exists()


def test_merge_from_the_list_then_undo_from_the_customer_page(admin_client_us, shop_us, pair):
    old, new = pair
    page = admin_client_us.get(reverse("customers:merge") + f"?customer={old.number}&customer={new.number}")
    html = unescape(page.content.decode())
    assert page.status_code == 200
    assert "Annie" in html and f"№ {old.number}" in html
    response = admin_client_us.post(
        reverse("customers:merge"),
        {
            "customer": [old.number, new.number],
            "survivor": old.number,
            "field_first_name": "other",
            "confirm": "1",
        },
        follow=True,
    )
    html = unescape(response.content.decode())
    assert "was merged into this customer" in html
    with shop_context(shop_us):
        assert Customer.objects.get(pk=old.pk).first_name == "Annie"
        record = Merge.objects.get()
    assert "Undo merge" in html
    response = admin_client_us.post(reverse("customers:merge_undo", args=[record.pk]), follow=True)
    assert "The merge was undone" in unescape(response.content.decode())
    with shop_context(shop_us):
        assert Customer.objects.count() == 2


def test_merge_needs_exactly_two_customers(admin_client_us, shop_us, pair):
    old, _new = pair
    response = admin_client_us.get(reverse("customers:merge") + f"?customer={old.number}", follow=True)
    assert "Tick exactly two customers" in unescape(response.content.decode())


def test_cashiers_and_other_shops_cannot_merge(client_fr, shop_us, pair, shop_fr):
    old, new = pair
    url = reverse("customers:merge") + f"?customer={old.number}&customer={new.number}"
    assert client_fr.get(url).status_code == 403


def test_an_admin_of_another_shop_cannot_merge_or_undo_here(
    client, shop_us, pair, shop_fr, make_staff, admin_us
):
    from shopcrm.models import Role

    old, new = pair
    with shop_context(shop_us):
        record = customers_merge(shop=shop_us, by=admin_us, survivor=old, other=new, choices={})
    client.force_login(make_staff(shop_fr, "chef@pressing.example", Role.ADMIN))
    url = reverse("customers:merge") + f"?customer={old.number}&customer={new.number}"
    assert client.get(url).status_code == 404
    assert client.post(reverse("customers:merge_undo", args=[record.pk])).status_code == 404
