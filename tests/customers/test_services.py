import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from customers import services
from customers.models import Customer, CustomerChange, Pet
from customers.services import DuplicateCustomer, customer_create
from messaging.consent import EmailStatus, SmsStatus
from messaging.models import ConsentEvent
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db


def create(shop, by=None, **kw):
    values = {"first_name": "Betty", "last_name": "Smith"}
    values.update(kw)
    with shop_context(shop):
        return customer_create(shop=shop, by=by, **values)


def test_a_french_local_number_is_stored_in_e164(shop_fr, cashier_fr):
    customer = create(shop_fr, cashier_fr, phone="06 12 34 56 78")
    assert str(customer.phone) == "+33612345678"


def test_a_us_local_number_gets_the_us_prefix(shop_us):
    customer = create(shop_us, phone="(201) 555-0123")
    assert str(customer.phone) == "+12015550123"


def test_email_is_trimmed_and_its_domain_lower_cased(shop_fr):
    customer = create(shop_fr, email="  Betty.Smith@Example.COM ")
    assert customer.email == "Betty.Smith@example.com"


def test_the_customer_number_is_short_readable_and_not_the_id(shop_fr):
    numbers = {create(shop_fr, first_name=f"N{i}", last_name="X").number for i in range(5)}
    assert len(numbers) == 5
    for number in numbers:
        assert len(number) == 8
        assert not set(number) & set("01IO")


def test_creation_is_recorded_with_who_did_it(shop_fr, cashier_fr):
    customer = create(shop_fr, cashier_fr)
    with shop_context(shop_fr):
        change = CustomerChange.objects.select_related("by").get(customer=customer)
    assert (change.action, change.by) == ("created", cashier_fr)
    assert customer.created_by_id == cashier_fr.pk


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"phone": "06 12 34 56 78"}, {"phone": "+33612345678"}),
        ({"email": "betty@example.com"}, {"email": "BETTY@EXAMPLE.COM"}),
    ],
)
def test_a_second_customer_with_the_same_contact_is_refused_naming_the_first(shop_fr, first, second):
    original = create(shop_fr, **first)
    with pytest.raises(DuplicateCustomer) as info:
        create(shop_fr, first_name="Other", last_name="Person", **second)
    assert info.value.existing == original
    field = next(iter(first))
    assert "Betty Smith" in info.value.message_dict[field][0]
    with shop_context(shop_fr):
        assert Customer.objects.count() == 1


def test_the_same_phone_in_another_shop_is_a_different_customer(shop_fr, shop_us):
    create(shop_fr, phone="+12015550123")
    create(shop_us, phone="+12015550123")


def test_the_internal_id_is_unique_per_shop_when_present(shop_fr):
    create(shop_fr, internal_id="C-001")
    create(shop_fr, first_name="No", last_name="Id")
    create(shop_fr, first_name="No", last_name="Id2")
    with pytest.raises(DuplicateCustomer):
        create(shop_fr, first_name="A", last_name="B", internal_id="C-001")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_the_same_phone_make_one_customer(shop_fr):
    barrier = threading.Barrier(2)
    outcomes = []

    def save(name):
        try:
            with shop_context(shop_fr):
                barrier.wait(timeout=10)
                create(shop_fr, first_name=name, last_name="Race", phone="0612345678")
            outcomes.append("saved")
        except DuplicateCustomer:
            outcomes.append("duplicate")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["duplicate", "saved"]
    with shop_context(shop_fr):
        assert Customer.objects.filter(phone="+33612345678").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12"),
        ("phone", "not a phone"),
        ("email", "betty@"),
        ("email", "no-at-sign"),
        ("first_name", ""),
    ],
)
def test_bad_contact_data_is_a_field_error_and_nothing_is_saved(shop_fr, field, value):
    with pytest.raises(ValidationError) as info:
        create(shop_fr, **{field: value})
    assert field in info.value.message_dict
    with shop_context(shop_fr):
        assert not Customer.objects.exists()


def test_ticking_the_boxes_records_consent_requests_and_pending_statuses(shop_fr, cashier_fr):
    customer = create(
        shop_fr,
        cashier_fr,
        phone="0612345678",
        email="betty@example.com",
        send_sms_opt_in=True,
        send_welcome_email=True,
    )
    assert (customer.sms_status, customer.email_status) == (SmsStatus.PENDING, EmailStatus.PENDING)
    with shop_context(shop_fr):
        events = list(
            ConsentEvent.objects.filter(customer=customer).select_related("message", "by").order_by("channel")
        )
    assert [(e.channel, e.action, e.source, e.by) for e in events] == [
        ("email", "requested", "till", cashier_fr),
        ("sms", "requested", "till", cashier_fr),
    ]
    # The catalogue's current sentence, in the shop's language, with its version and the message it caused.
    assert events[1].wording.startswith("Pressing Test vous enverra des SMS")
    assert (events[1].wording_version, events[0].wording_version) == ("sms-marketing-2", "email-marketing-2")
    assert events[1].message.kind == "sms_opt_in" and events[0].message.kind == "welcome"


def test_the_sms_box_needs_a_mobile_number(shop_fr):
    with pytest.raises(ValidationError) as info:
        create(shop_fr, phone="01 42 68 53 00", send_sms_opt_in=True)
    assert "send_sms_opt_in" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        create(shop_fr, send_welcome_email=True)
    assert "send_welcome_email" in info.value.message_dict


def test_update_records_old_and_new_values_and_resets_consent_on_a_new_email(shop_fr, admin_fr):
    customer = create(shop_fr, email="old@example.com", send_welcome_email=True)
    with shop_context(shop_fr):
        services.customer_update(shop=shop_fr, by=admin_fr, customer=customer, email="new@example.com")
        change = CustomerChange.objects.filter(action="updated").get()
    assert change.details == {"email": ["old@example.com", "new@example.com"]}
    assert customer.email_status == EmailStatus.NONE


def test_update_cannot_take_another_customers_phone(shop_fr):
    create(shop_fr, phone="0612345678")
    other = create(shop_fr, first_name="Jo", last_name="Doe")
    with pytest.raises(DuplicateCustomer), shop_context(shop_fr):
        services.customer_update(shop=shop_fr, by=None, customer=other, phone="+33 6 12 34 56 78")


def test_a_professional_converts_to_an_individual_and_back(shop_fr):
    customer = create(shop_fr, type="professional", company_name="Hôtel du Parc")
    with shop_context(shop_fr):
        services.customer_update(shop=shop_fr, by=None, customer=customer, type="individual")
        assert customer.type == "individual"
        services.customer_update(
            shop=shop_fr, by=None, customer=customer, type="professional", company_name="Hôtel du Parc"
        )
    assert customer.company_name == "Hôtel du Parc"


def test_pets_are_added_with_an_age_turned_into_a_birth_year(shop_us):
    owner = create(shop_us)
    with shop_context(shop_us):
        rex = services.pet_create(shop=shop_us, by=None, owner=owner, name="Rex", species="dog", age=3)
        services.pet_create(shop=shop_us, by=None, owner=owner, name="Tom", species="cat", birth_month=4)
        assert Pet.objects.filter(owner=owner).count() == 2
    assert rex.age() == 3 or rex.age() == 2


def test_tags_join_the_shop_catalogue_case_insensitively(shop_fr):
    customer = create(shop_fr)
    with shop_context(shop_fr):
        services.customer_tags_set(shop=shop_fr, by=None, customer=customer, names=["VIP", " vip ", "Hôtel"])
        assert sorted(t.name for t in customer.tags.all()) == ["Hôtel", "VIP"]
        other = create(shop_fr, first_name="A", last_name="B")
        services.customer_tags_set(shop=shop_fr, by=None, customer=other, names=["Vip"])
        assert [t.pk for t in other.tags.all()] == [t.pk for t in customer.tags.filter(name="VIP")]
