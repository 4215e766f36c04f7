"""The till finds people by the start of their phone, any word of their name, a compound first name, the
second person on the account and another email; the card says what matched."""

import pytest

from customers.models import SearchTerm
from customers.search import customer_search, phone_start
from customers.services import customer_update
from desk.merge import customers_merge
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.conftest import make_shop

pytestmark = pytest.mark.django_db


def found(shop, query, field="last_name"):
    with shop_context(shop):
        return [getattr(c, field) for c in customer_search(shop=shop, query=query, limit=12)]


def why(shop, query):
    with shop_context(shop):
        return [(c.last_name, c.matched.why) for c in customer_search(shop=shop, query=query, limit=12)]


@pytest.mark.parametrize(
    ("query", "country", "expected"),
    [
        ("06 12", "FR", "+33612"),
        ("0612345", "FR", "+33612345"),
        ("6 12 34", "FR", "+3361234"),
        ("+33 6 12", "FR", "+33612"),
        ("0033 6 12", "FR", "+33612"),
        ("212 555", "US", "+1212555"),
        ("1 212 555", "US", "+1212555"),
        ("+1 (212) 555", "US", "+1212555"),
        ("06", "FR", ""),
    ],
)
def test_a_phone_being_typed_is_the_start_of_an_e164_number(query, country, expected):
    assert phone_start(query, country)[0] == expected


@pytest.fixture
def phones(shop_fr):
    add(shop_fr, first_name="Hélène", last_name="Dupont", phone="06 12 34 56 78")
    # A stranger whose number ends with what the cashier has typed so far.
    add(shop_fr, first_name="Paul", last_name="Lointain", phone="07 81 22 06 12")
    add(shop_fr, first_name="Anna", last_name="Etrangere", phone="+44 7911 123456")


@pytest.mark.parametrize("query", ["06 12", "0612", "06 12 3", "0612345", "+33 6 12", "+336123", "0033 612"])
def test_a_phone_is_found_while_it_is_typed_national_or_international(shop_fr, phones, query):
    assert found(shop_fr, query)[0] == "Dupont"


def test_the_start_of_a_number_ranks_before_numbers_ending_so(shop_fr, phones):
    assert why(shop_fr, "0612") == [("Dupont", "phone_start"), ("Lointain", "phone_end")]


def test_last_digits_still_find_and_a_plus_means_the_start(shop_fr, phones):
    assert found(shop_fr, "5678") == ["Dupont"]
    assert found(shop_fr, "+44 7911") == ["Etrangere"]
    assert found(shop_fr, "+33 0612") == []  # a typed + is the start: nothing ends with it
    assert why(shop_fr, "06 12 34 56 78") == [("Dupont", "phone")]


def test_us_numbers_are_found_by_area_code_and_exchange(shop_us):
    add(shop_us, first_name="Linda", last_name="Smith", phone="(212) 555-0147")
    add(shop_us, first_name="Tom", last_name="Other", phone="(646) 555-0100")
    for query in ("212 555", "212-55", "1 212 555 01", "+1 212 555"):
        assert found(shop_us, query) == ["Smith"], query


@pytest.fixture
def names(shop_fr):
    for first, last, extra in [
        ("Jean", "de la Fontaine", {}),
        ("Léon", "Fontaine", {}),
        ("Yann", "Le Gall", {}),
        ("Claire", "Lacroix-Dubois", {}),
        ("Pieter", "Van Der Berg", {}),
        ("Paul", "Martin", {"type": "professional", "company_name": "Hôtel du Parc"}),
        ("Jean-Pierre", "Moreau", {}),
        ("Marie-Claire", "Roux", {}),
        ("Mary-Kate", "Olsen", {}),
        ("Mary", "Martin", {}),
        ("Kate", "Martinez", {}),
    ]:
        add(shop_fr, first_name=first, last_name=last, **extra)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fontaine", "Fontaine"),  # the whole-name prefix first…
        ("gall", "Le Gall"),
        ("dubois", "Lacroix-Dubois"),
        ("berg", "Van Der Berg"),
        ("der berg", "Van Der Berg"),
        ("parc", "Martin"),
        ("yann gall", "Le Gall"),
        ("gall yann", "Le Gall"),
        ("yann le gall", "Le Gall"),
        ("jean fontaine", "de la Fontaine"),
        ("fontaine je", "de la Fontaine"),
        ("jean pierre", "Moreau"),
        ("pierre moreau", "Moreau"),
        ("marie claire", "Roux"),
        ("claire roux", "Roux"),
        ("mary kate", "Olsen"),
    ],
)
def test_any_word_of_a_name_and_compound_first_names(shop_fr, names, query, expected):
    assert found(shop_fr, query)[0] == expected, found(shop_fr, query)


def test_an_inner_word_ranks_after_the_whole_name_and_says_so(shop_fr, names):
    assert why(shop_fr, "fontaine") == [("Fontaine", "name"), ("de la Fontaine", "name")]
    with shop_context(shop_fr):
        ranks = [c.last_name for c in customer_search(shop=shop_fr, query="fontaine")]
    assert ranks == ["Fontaine", "de la Fontaine"]
    # A compound first name finds only its owner: no look-alike surnames fill the cards.
    assert found(shop_fr, "mary kate") == ["Olsen"]


def test_a_second_person_on_the_account_is_found_by_their_own_name(shop_fr):
    couple = add(shop_fr, first_name="Jean", last_name="Dupont", also_name="Marie")
    other = add(shop_fr, first_name="John", last_name="Doe", also_name="Linda Smith")
    add(shop_fr, first_name="Marie", last_name="Curie")
    assert found(shop_fr, "marie dupont") == ["Dupont"]
    assert why(shop_fr, "marie du") == [("Dupont", "also")]
    assert "Dupont" in found(shop_fr, "marie")
    assert found(shop_fr, "linda smith") == ["Doe"]
    assert found(shop_fr, "smith linda") == ["Doe"]
    assert found(shop_fr, "linda") == ["Doe"]
    with shop_context(shop_fr):
        customer_update(shop=shop_fr, by=None, customer=other, also_name="")
        customer_update(shop=shop_fr, by=None, customer=couple, also_name="Marion")
    assert found(shop_fr, "linda") == []
    assert why(shop_fr, "marie dupont") == [("Dupont", "typo")]  # only the look-alike fallback now
    assert found(shop_fr, "marion dupont") == ["Dupont"]


def test_other_emails_are_found(shop_fr):
    add(shop_fr, first_name="Nadia", last_name="Benali", email="nadia@example.org")
    customer = add(shop_fr, first_name="Omar", last_name="Benali")
    with shop_context(shop_fr):
        customer_update(
            shop=shop_fr, by=None, customer=customer, secondary_emails=["Compta@Boulangerie.example"]
        )
    assert why(shop_fr, "compta@boulangerie.example") == [("Benali", "other_email")]
    assert found(shop_fr, "compta@boul", "first_name") == ["Omar"]
    assert found(shop_fr, "nadia@", "first_name") == ["Nadia"]


def test_terms_follow_edits_and_merges(shop_fr, names):
    with shop_context(shop_fr):
        gall = customer_search(shop=shop_fr, query="yann le gall")[0]
        from customers.models import Customer

        yann = Customer.objects.get(pk=gall.pk)
        customer_update(shop=shop_fr, by=None, customer=yann, last_name="Le Bihan")
    assert found(shop_fr, "gall") == []
    assert found(shop_fr, "bihan") == ["Le Bihan"]
    with shop_context(shop_fr):
        survivor = Customer.objects.get(last_name="Fontaine")
        other = Customer.objects.get(last_name="de la Fontaine")
        customers_merge(shop=shop_fr, by=None, survivor=survivor, other=other, choices={})
        assert not SearchTerm.objects.filter(customer_id=other.pk).exists()
    assert found(shop_fr, "fontaine") == ["Fontaine"]


def test_another_shops_words_and_phones_are_never_found(shop_fr, names):
    other = make_shop(name="Autre boutique")
    add(other, first_name="Yann", last_name="Le Gall", phone="06 12 99 99 99", also_name="Linda Smith")
    assert found(shop_fr, "gall") == ["Le Gall"]
    assert found(other, "gall") == ["Le Gall"]
    assert found(shop_fr, "06 12 99") == []
    assert found(shop_fr, "linda") == []
    with shop_context(shop_fr):
        assert SearchTerm.objects.count() == SearchTerm.objects.filter(shop=shop_fr).count()


def test_a_compound_first_name_with_a_surname_of_particles(shop_fr):
    add(shop_fr, first_name="Jean-Pierre", last_name="Van der Ronardle")
    for i in range(13):
        add(shop_fr, first_name="Jean-Pierre", last_name=f"Van der Berg{'x' * i}")
    assert found(shop_fr, "jean pierre van der ronardle") == ["Van der Ronardle"]


def test_terms_are_rewritten_only_when_what_they_hold_changes(shop_fr):
    customer = add(shop_fr, first_name="Yann", last_name="Le Gall")
    with shop_context(shop_fr):
        before = set(SearchTerm.objects.filter(customer_id=customer.pk).values_list("pk", flat=True))
        customer_update(
            shop=shop_fr, by=None, customer=customer, phone="06 12 34 56 78", notes="Client fidèle"
        )
        assert set(SearchTerm.objects.filter(customer_id=customer.pk).values_list("pk", flat=True)) == before
        customer_update(shop=shop_fr, by=None, customer=customer, first_name="Yannick")
        after = set(SearchTerm.objects.filter(customer_id=customer.pk).values_list("pk", flat=True))
    assert before and after and not before & after
    assert found(shop_fr, "yannick gall") == ["Le Gall"]
