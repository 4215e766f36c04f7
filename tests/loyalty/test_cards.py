"""Frequent-buyer, service and cash-back cards: punches, overflow, each reward rule, redemption once,
reversals, and the bad inputs of each."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from loyalty import rewards, sales, services
from loyalty.models import Card, LedgerEntry, Program, SaleLine
from loyalty.sales import LineIn
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer
from tests.loyalty.test_ledger import ledger_matches_cards

pytestmark = pytest.mark.django_db

KIBBLE_S, KIBBLE_L, TREATS = "3017620422003", "0012345678905", "5000112637922"


@pytest.fixture
def shop(shop_fr):
    with shop_context(shop_fr):
        services.product_save(shop=shop_fr, code=KIBBLE_S, name="Kibble 2 kg", brand="Acme", price="12.00")
        services.product_save(shop=shop_fr, code=KIBBLE_L, name="Kibble 10 kg", brand="Acme", price="40.00")
        services.product_save(shop=shop_fr, code=TREATS, name="Treats", brand="Other", price="3.00")
        yield shop_fr


@pytest.fixture
def betty(shop):
    return add_customer(shop, email="betty@example.com")


def program(
    shop, *, needed=3, reward="same_product", codes=(KIBBLE_S, KIBBLE_L), kind="frequent_buyer", **rule
):
    return services.program_create(
        shop=shop,
        by=None,
        name=f"Acme {needed} {reward} {kind}",
        kind=kind,
        purchases_needed=needed,
        codes="\n".join(codes),
        reward=reward,
        **rule,
    )


def scan(shop, customer, code, quantity=1, **more):
    return sales.sale_record(
        shop=shop, customer=customer, by=None, lines=[LineIn(code=code, quantity=quantity, **more)]
    )


def cards(shop, customer):
    return list(Card.objects.filter(shop=shop, customer=customer).order_by("pk"))


def test_a_upc_scans_as_its_ean_and_an_unknown_code_is_recorded(shop, betty):
    with shop_context(shop):
        program(shop)
        scan(shop, betty, "012345678905")  # UPC-A of KIBBLE_L
        result = scan(shop, betty, "ABC-unknown")
        (line,) = result.lines
        assert (line.code, line.product_id, line.amount) == ("ABC-UNKNOWN", None, Decimal("0"))
        assert [c.punches for c in cards(shop, betty)] == [1]


def test_punches_complete_a_card_and_overflow_starts_the_next(shop, betty):
    with shop_context(shop):
        acme = program(shop, needed=3)
        scan(shop, betty, KIBBLE_S, quantity=2)
        result = scan(shop, betty, KIBBLE_L, quantity=3)
        first, second = cards(shop, betty)
        assert (first.status, first.punches, second.status, second.punches) == ("complete", 3, "open", 2)
        assert [c.pk for c in result.completed] == [first.pk]
        assert (
            sum(LedgerEntry.objects.filter(program=acme, kind="punch").values_list("punches", flat=True)) == 5
        )
        customer = Customer.objects.get(pk=betty.pk)
        assert (customer.visit_count, customer.total_spent) == (1, Decimal("144.00"))


def test_several_cards_progress_at_once_and_a_line_outside_the_rule_punches_nothing(shop, betty):
    with shop_context(shop):
        program(shop, needed=5)
        services.program_create(
            shop=shop,
            by=None,
            name="Any brand Acme",
            kind="service_card",
            purchases_needed=4,
            brands="Acme",
            reward="amount_off",
            reward_amount="10",
        )
        scan(shop, betty, KIBBLE_S)
        scan(shop, betty, TREATS)
        assert sorted(c.punches for c in cards(shop, betty)) == [1, 1]


def test_same_product_gives_only_what_was_punched(shop, betty):
    with shop_context(shop):
        program(shop, needed=2, reward="same_product")
        scan(shop, betty, KIBBLE_S, quantity=2)
        (card,) = cards(shop, betty)
        assert [p.code for p in rewards.reward_items(card)] == [KIBBLE_S]
        with pytest.raises(ValidationError) as refused:
            rewards.card_redeem(shop=shop, by=None, customer=betty, card_id=card.pk, item_code=KIBBLE_L)
        assert "item_code" in refused.value.message_dict
        entry = rewards.card_redeem(shop=shop, by=None, customer=betty, card_id=card.pk, item_code=KIBBLE_S)
        assert (entry.item_code, entry.value) == (KIBBLE_S, Decimal("12.00"))


def test_lesser_or_equal_value_offers_only_products_worth_no_more_than_the_cheapest_punched(shop, betty):
    with shop_context(shop):
        program(shop, needed=2, reward="lesser_or_equal", codes=(KIBBLE_S, KIBBLE_L, TREATS))
        scan(shop, betty, KIBBLE_L)
        scan(shop, betty, KIBBLE_S)
        (card,) = cards(shop, betty)
        assert card.lowest_price == Decimal("12.00")
        assert [p.code for p in rewards.reward_items(card)] == [KIBBLE_S, TREATS]
        with pytest.raises(ValidationError):
            rewards.card_redeem(shop=shop, by=None, customer=betty, card_id=card.pk, item_code=KIBBLE_L)
        entry = rewards.card_redeem(shop=shop, by=None, customer=betty, card_id=card.pk, item_code=TREATS)
        assert entry.value == Decimal("3.00")


def test_cash_back_pays_a_percentage_of_what_the_card_bought(shop, betty):
    with shop_context(shop):
        services.program_create(
            shop=shop,
            by=None,
            name="Cash back",
            kind="cash_back",
            purchases_needed=2,
            codes=f"{KIBBLE_S}\n{KIBBLE_L}",
            reward_percent="5",
        )
        scan(shop, betty, KIBBLE_S)
        scan(shop, betty, KIBBLE_L)
        (card,) = cards(shop, betty)
        entry = rewards.card_redeem(shop=shop, by=None, customer=betty, card_id=card.pk)
        assert entry.value == Decimal("2.60")


def test_a_card_is_redeemed_once_and_not_before_it_is_complete(shop, betty):
    with shop_context(shop):
        program(shop, needed=2, reward="any_qualifying")
        scan(shop, betty, KIBBLE_S)
        (card,) = cards(shop, betty)
        with pytest.raises(ValidationError, match="not complete"):
            rewards.card_redeem(shop=shop, by=None, customer=betty, card_id=card.pk, item_code=KIBBLE_S)
        scan(shop, betty, KIBBLE_S)
        rewards.card_redeem(shop=shop, by=None, customer=betty, card_id=card.pk, item_code=KIBBLE_L)
        with pytest.raises(ValidationError, match="already"):
            rewards.card_redeem(shop=shop, by=None, customer=betty, card_id=card.pk, item_code=KIBBLE_L)
        assert LedgerEntry.objects.filter(kind="redemption").count() == 1


def test_a_program_that_needs_an_email_at_redemption_asks_for_one(shop):
    customer = add_customer(shop, first_name="Nomail", phone="06 11 22 33 44")
    with shop_context(shop):
        program(shop, needed=1, reward="amount_off", reward_amount="5", required_at_redemption="email")
        scan(shop, customer, KIBBLE_S)
        (card,) = cards(shop, customer)
        with pytest.raises(ValidationError) as refused:
            rewards.card_redeem(shop=shop, by=None, customer=customer, card_id=card.pk, email="nope")
        assert "email" in refused.value.message_dict
        entry = rewards.card_redeem(
            shop=shop, by=None, customer=customer, card_id=card.pk, email="n@example.com"
        )
        assert (entry.captured_email, entry.value) == ("n@example.com", Decimal("5.00"))


def test_a_refund_takes_punches_back_from_the_overflow_card_first_and_reopens_a_card(shop, betty):
    with shop_context(shop):
        program(shop, needed=3)
        scan(shop, betty, KIBBLE_S, quantity=2)
        big = scan(shop, betty, KIBBLE_L, quantity=2).lines[0]
        first, second = cards(shop, betty)
        assert (first.status, second.punches) == ("complete", 1)
        sales.line_reverse(shop=shop, by=None, customer=betty, line_id=big.pk)
        first, second = cards(shop, betty)
        assert (first.status, first.punches, second.status, second.punches) == ("open", 2, "void", 0)
        punched = LedgerEntry.objects.filter(customer=betty).values_list("punches", flat=True)
        assert sum(punched) == 2
        with pytest.raises(ValidationError, match="already"):
            sales.line_reverse(shop=shop, by=None, customer=betty, line_id=big.pk)
        assert SaleLine.objects.filter(reverses=big).count() == 1
        assert Customer.objects.get(pk=betty.pk).total_spent == Decimal("24.00")
    ledger_matches_cards(shop)


def test_an_edited_program_leaves_open_cards_with_their_rule(shop, betty):
    with shop_context(shop):
        acme = program(shop, needed=3)
        scan(shop, betty, KIBBLE_S)
        services.program_update(
            shop=shop,
            by=None,
            program=acme,
            name=acme.name,
            purchases_needed=5,
            codes=KIBBLE_S,
            reward="same_product",
        )
        scan(shop, betty, KIBBLE_S, quantity=2)
        (first,) = cards(shop, betty)
        assert (first.needed, first.status) == (3, "complete")
        scan(shop, betty, KIBBLE_S)
        first, second = cards(shop, betty)
        assert (second.needed, second.punches) == (5, 1)


def test_a_paused_program_punches_nothing(shop, betty):
    with shop_context(shop):
        acme = program(shop)
        services.program_pause(shop=shop, program=acme, paused=True)
        scan(shop, betty, KIBBLE_S)
        assert cards(shop, betty) == []


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"code": "  "}, "code"),
        ({"code": KIBBLE_S, "quantity": 0}, "quantity"),
        ({"code": KIBBLE_S, "quantity": 10_000}, "quantity"),
        ({"code": KIBBLE_S, "quantity": "two"}, "quantity"),
        ({"code": KIBBLE_S, "amount": "-5"}, "amount"),
        ({"code": KIBBLE_S, "amount": "NaN"}, "amount"),
        ({"code": KIBBLE_S, "amount": "1e9"}, "amount"),
    ],
)
def test_a_bad_line_is_refused_next_to_its_field_and_writes_nothing(shop, betty, line, field):
    with shop_context(shop):
        program(shop)
        with pytest.raises(ValidationError) as refused:
            sales.sale_record(shop=shop, customer=betty, by=None, lines=[LineIn(**line)])
        assert field in refused.value.message_dict
        assert not SaleLine.objects.exists() and not Card.objects.exists()


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"purchases_needed": None}, "purchases_needed"),
        ({"purchases_needed": 0}, "purchases_needed"),
        ({"codes": ""}, "codes"),
        ({"reward": "cash_back"}, "reward"),
        ({"reward": "amount_off"}, "reward_amount"),
        ({"reward": "percent_off", "reward_percent": "150"}, "reward_percent"),
        ({"punch_expiry_days": "-3"}, "punch_expiry_days"),
    ],
)
def test_a_bad_rule_is_refused_next_to_its_field(shop, rule, field):
    spec = {"purchases_needed": 10, "codes": KIBBLE_S, "reward": "same_product", **rule}
    with shop_context(shop), pytest.raises(ValidationError) as refused:
        services.program_create(shop=shop, by=None, name="Bad", kind="frequent_buyer", **spec)
    assert field in refused.value.message_dict
    with shop_context(shop):
        assert not Program.objects.exists()


def test_a_second_delivery_of_a_sale_counts_once(shop, betty):
    with shop_context(shop):
        program(shop)
        lines = [LineIn(code=KIBBLE_S)]
        first = sales.sale_record(
            shop=shop, customer=betty, by=None, lines=lines, source="api", external_id="T-1"
        )
        again = sales.sale_record(
            shop=shop, customer=betty, by=None, lines=lines, source="api", external_id="T-1"
        )
        assert (first.created, again.created, again.sale.pk) == (True, False, first.sale.pk)
        assert [c.punches for c in cards(shop, betty)] == [1]
