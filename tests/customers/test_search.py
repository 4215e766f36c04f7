import pytest

from customers.models import Pet
from customers.search import customer_search
from customers.services import customer_create, pet_create
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(shop_fr):
    specs = [
        {
            "first_name": "Hélène",
            "last_name": "Dupont",
            "phone": "06 12 34 56 78",
            "email": "helene@example.com",
        },
        {"first_name": "Jean", "last_name": "Dupond", "phone": "06 98 76 54 32"},
        {"first_name": "Seán", "last_name": "O'Connor", "email": "sean.oconnor@example.ie"},
        {"first_name": "Marie", "last_name": "de la Tour", "internal_id": "C-042"},
        {
            "first_name": "Paul",
            "last_name": "Martin",
            "type": "professional",
            "company_name": "Hôtel du Parc",
        },
    ]
    out = {}
    with shop_context(shop_fr):
        for spec in specs:
            c = customer_create(shop=shop_fr, by=None, **spec)
            out[c.last_name] = c
    return out


def names(shop, query):
    with shop_context(shop):
        return [c.last_name for c in customer_search(shop=shop, query=query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dup", "Dupont"),
        ("helene", "Dupont"),
        ("HÉLÈNE dupont", "Dupont"),
        ("dupont hélène", "Dupont"),
        ("oconnor", "O'Connor"),
        ("o'connor", "O'Connor"),
        ("de la t", "de la Tour"),
        ("C-042", "de la Tour"),
        ("hotel du", "Martin"),
        ("06 12 34 56 78", "Dupont"),
        ("+33 6 12 34 56 78", "Dupont"),
        ("0612345678", "Dupont"),
        ("5678", "Dupont"),
        ("helene@ex", "Dupont"),
        ("sean.oconnor@example.ie", "O'Connor"),
        ("duppont", "Dupont"),
    ],
)
def test_the_one_box_finds_each_kind_of_query(shop_fr, people, query, expected):
    assert names(shop_fr, query)[:2].count(expected) >= 1, names(shop_fr, query)


def test_a_customer_number_is_an_exact_match_ranked_first(shop_fr, people):
    number = people["Dupond"].number
    assert names(shop_fr, number.lower())[0] == "Dupond"


def test_exact_phone_ranks_before_name_prefixes(shop_fr, people):
    assert names(shop_fr, "0698765432") == ["Dupond"]


@pytest.mark.parametrize("query", ["", "   ", "%", "_", "\\", "%%%", "' or 1=1 --", "🙂", "שלום", "x" * 500])
def test_odd_input_returns_sensible_results_or_none(shop_fr, people, query):
    assert names(shop_fr, query) == [] or all(isinstance(n, str) for n in names(shop_fr, query))
    if query.strip() in ("%", "_", "\\", "%%%"):
        assert names(shop_fr, query) == []


def test_one_character_matches_name_prefixes_only(shop_fr, people):
    assert sorted(names(shop_fr, "d")) == ["Dupond", "Dupont", "de la Tour"]


def test_search_ignores_other_shops(shop_fr, shop_us, people):
    with shop_context(shop_us):
        customer_create(shop=shop_us, by=None, first_name="Other", last_name="Dupont", phone="+12015550123")
    assert names(shop_us, "dup") == ["Dupont"]
    assert len(names(shop_fr, "dup")) == 2
    assert names(shop_fr, "+1 201 555 0123") == []


def test_cards_come_with_their_pets_and_tags_without_further_queries(shop_us, django_assert_max_num_queries):
    from customers.services import customer_tags_set, pet_create

    with shop_context(shop_us):
        owner = customer_create(shop=shop_us, by=None, first_name="Ann", last_name="Lee")
        pet_create(shop=shop_us, by=None, owner=owner, name="Rex", species="dog")
        customer_tags_set(shop=shop_us, by=None, customer=owner, names=["VIP"])
        # one statement for the search, one more for typo tolerance when few customers matched
        with django_assert_max_num_queries(2):
            (found,) = customer_search(shop=shop_us, query="lee")
            assert [p.name for p in found.pets.all()] == ["Rex"]
            assert [t.name for t in found.tags.all()] == ["VIP"]


def test_an_internal_id_is_found_in_any_case(shop_fr):
    customer = add(shop_fr, first_name="Léa", last_name="Roux", internal_id="A1027")
    with shop_context(shop_fr):
        for typed in ("a1027", "A1027"):
            found = customer_search(shop=shop_fr, query=typed, limit=12)
            assert found and found[0].pk == customer.pk, typed


def test_a_pet_name_finds_its_owner_after_the_peoples_own_names(shop_us):
    owner = add(shop_us, first_name="Ann", last_name="Lee")
    namesake = add(shop_us, first_name="Biscuit", last_name="Moreau")
    with shop_context(shop_us):
        pet_create(shop=shop_us, by=None, owner=owner, name="Biscuitte", species="cat")
        found = [c.pk for c in customer_search(shop=shop_us, query="bisc", limit=12)]
    assert found == [namesake.pk, owner.pk]


def test_pets_are_not_searched_in_a_shop_without_pets(shop_fr):
    owner = add(shop_fr, first_name="Ann", last_name="Lee")
    with shop_context(shop_fr):
        Pet.objects.create(shop=shop_fr, owner=owner, name="Biscuit", name_key="biscuit", species="cat")
        assert customer_search(shop=shop_fr, query="bisc", limit=12) == []


@pytest.mark.parametrize(
    "query", ["du", "dupont", "06 12", "5678", "helene@", "c-042", "parc", "martin", "dupnot", "tour", "zz"]
)
def test_the_till_s_count_is_the_number_of_customers_its_search_finds(shop_fr, people, query):
    from customers.search import customer_search_count

    with shop_context(shop_fr):
        for i in range(6):
            add(shop_fr, first_name=f"Client{i}", last_name="Dupontel", email=f"c{i}@example.org")
        found = {c.pk for c in customer_search(shop=shop_fr, query=query, limit=1000)}
        assert customer_search_count(shop=shop_fr, query=query) == len(found)


def test_the_till_s_count_stops_one_past_its_cap(shop_fr, people):
    from customers.search import customer_search_count

    with shop_context(shop_fr):
        for i in range(6):
            add(shop_fr, first_name=f"Client{i}", last_name="Dupontel", email=f"c{i}@example.org")
        assert customer_search_count(shop=shop_fr, query="dup") == 8
        assert customer_search_count(shop=shop_fr, query="dup", cap=3) == 4
        assert customer_search_count(shop=shop_fr, query="dup", cap=8) == 8


def test_the_till_s_count_leaves_another_shop_s_customers_out(shop_fr, shop_us, people):
    from customers.search import customer_search_count

    with shop_context(shop_us):
        for i in range(5):
            add(shop_us, first_name=f"Other{i}", last_name="Dupont", email=f"o{i}@example.org")
        assert customer_search_count(shop=shop_us, query="dupont") == 5
    with shop_context(shop_fr):
        assert customer_search_count(shop=shop_fr, query="dupont") == 2  # Dupont, and Dupond as a look-alike
        # Asked for the other shop from inside this one: row-level security shows none of its rows.
        assert customer_search_count(shop=shop_us, query="dupont") == 0
