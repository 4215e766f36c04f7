"""The ledger under concurrency and for points: two tills on one card lose nothing and pay once; points per
unit with rounding and bonus days, taken back by refunds, spent on the catalogue; the cards' caches always
equal the ledger's sums."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from loyalty import rewards, sales, services
from loyalty.models import Card, LedgerEntry, ProgramVersion
from loyalty.sales import LineIn, points_for
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer

CODE = "3017620422003"


def ledger_matches_cards(shop) -> None:
    """Every card's cached punches and points are the sums of its ledger rows."""
    with shop_context(shop):
        for card in Card.objects.all():
            sums = LedgerEntry.objects.filter(card=card).aggregate(p=Sum("punches"), q=Sum("points"))
            assert (card.punches, card.points) == (sums["p"] or 0, sums["q"] or 0), card


def _in_threads(work, n):
    barrier = threading.Barrier(n)
    errors = []

    def run(index):
        try:
            barrier.wait(timeout=10)
            work(index)
        except Exception as exc:  # collected: the assertion below names it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_tills_punching_one_card_at_once_lose_nothing(shop_fr):
    with shop_context(shop_fr):
        services.program_create(
            shop=shop_fr,
            by=None,
            name="Acme",
            kind="frequent_buyer",
            purchases_needed=5,
            codes=CODE,
            reward="any_qualifying",
        )
    betty = add_customer(shop_fr)

    def punch(index):
        with shop_context(shop_fr):
            for _ in range(3):
                sales.sale_record(shop=shop_fr, customer=betty, by=None, lines=[LineIn(code=CODE)])

    assert _in_threads(punch, 2) == []
    with shop_context(shop_fr):
        cards = list(Card.objects.order_by("pk"))
        assert [(c.status, c.punches) for c in cards] == [("complete", 5), ("open", 1)]
        assert LedgerEntry.objects.filter(kind="punch").aggregate(n=Sum("punches"))["n"] == 6
    ledger_matches_cards(shop_fr)


@pytest.mark.django_db(transaction=True)
def test_two_tills_redeeming_one_card_at_once_pay_once(shop_fr):
    with shop_context(shop_fr):
        services.product_save(shop=shop_fr, code=CODE, name="Kibble", price="10")
        services.program_create(
            shop=shop_fr,
            by=None,
            name="Acme",
            kind="frequent_buyer",
            purchases_needed=2,
            codes=CODE,
            reward="any_qualifying",
        )
    betty = add_customer(shop_fr)
    with shop_context(shop_fr):
        sales.sale_record(shop=shop_fr, customer=betty, by=None, lines=[LineIn(code=CODE, quantity=2)])
        card = Card.objects.get()
    outcomes = []

    def redeem(index):
        with shop_context(shop_fr):
            try:
                rewards.card_redeem(shop=shop_fr, by=None, customer=betty, card_id=card.pk, item_code=CODE)
                outcomes.append("paid")
            except ValidationError as exc:
                outcomes.append(" ".join(exc.messages))

    assert _in_threads(redeem, 2) == []
    assert sorted(outcomes) == ["This reward was already given.", "paid"]
    with shop_context(shop_fr):
        assert LedgerEntry.objects.filter(kind="redemption").count() == 1


@pytest.mark.parametrize(
    ("amount", "weekday", "rounding", "expected"),
    [
        ("12.99", 0, "down", 12),
        ("12.99", 0, "nearest", 13),
        ("12.49", 0, "nearest", 12),
        ("12.99", 1, "down", 25),  # Tuesday: double
        ("0.50", 0, "down", 0),
    ],
)
def test_points_per_unit_with_rounding_and_bonus_days(amount, weekday, rounding, expected):
    rule = ProgramVersion(
        points_per_unit=Decimal("1"), rounding=rounding, bonus_weekdays=[1], bonus_multiplier=2
    )
    assert points_for(rule, Decimal(amount), weekday) == expected


@pytest.mark.django_db
def test_points_are_earned_taken_back_by_a_refund_and_spent_on_the_catalogue(shop_fr):
    with shop_context(shop_fr):
        points = services.program_create(
            shop=shop_fr,
            by=None,
            name="Points",
            kind="points",
            points_per_unit="2",
            rewards="50 = A toy\n500 = A bag",
        )
    betty = add_customer(shop_fr)
    with shop_context(shop_fr):
        first = sales.sale_record(
            shop=shop_fr, customer=betty, by=None, lines=[LineIn(code="X", amount="20")]
        )
        second = sales.sale_record(
            shop=shop_fr, customer=betty, by=None, lines=[LineIn(code="Y", amount="10")]
        )
        assert (first.points, second.points) == (40, 20)
        with pytest.raises(ValidationError, match="Not enough points"):
            rewards.points_redeem(
                shop=shop_fr, by=None, customer=betty, program_id=points.pk, reward_points=500
            )
        rewards.points_redeem(shop=shop_fr, by=None, customer=betty, program_id=points.pk, reward_points=50)
        assert Card.objects.get().points == 10
        sales.line_reverse(shop=shop_fr, by=None, customer=betty, line_id=first.lines[0].pk)
        assert Card.objects.get().points == -30  # spent before the refund: owed back
        with pytest.raises(ValidationError):
            rewards.points_redeem(
                shop=shop_fr, by=None, customer=betty, program_id=points.pk, reward_points=7
            )
    ledger_matches_cards(shop_fr)


@pytest.mark.django_db
def test_a_card_lapses_when_its_first_punch_is_older_than_the_program_allows(shop_fr):
    with shop_context(shop_fr):
        services.program_create(
            shop=shop_fr,
            by=None,
            name="Acme",
            kind="frequent_buyer",
            purchases_needed=5,
            codes=CODE,
            reward="same_product",
            punch_expiry_days=30,
        )
    betty = add_customer(shop_fr)
    long_ago = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    with shop_context(shop_fr):
        sales.sale_record(
            shop=shop_fr, customer=betty, by=None, lines=[LineIn(code=CODE, quantity=2)], at=long_ago
        )
        sales.sale_record(shop=shop_fr, customer=betty, by=None, lines=[LineIn(code=CODE)])
        old, new = Card.objects.order_by("pk")
        assert (old.status, old.punches, new.status, new.punches) == ("expired", 0, "open", 1)
    ledger_matches_cards(shop_fr)


@pytest.mark.django_db
def test_passing_a_lifetime_tier_tags_the_customer_once(shop_fr):
    with shop_context(shop_fr):
        services.program_create(
            shop=shop_fr,
            by=None,
            name="Points",
            kind="points",
            points_per_unit="1",
            tiers="100 = Silver\n300 = Gold",
            rewards="50 = A toy",
        )
    betty = add_customer(shop_fr)
    with shop_context(shop_fr):
        from customers.services import customer_tags_set

        customer_tags_set(shop=shop_fr, by=None, customer=betty, names=["VIP"])
        first = sales.sale_record(
            shop=shop_fr, customer=betty, by=None, lines=[LineIn(code="X", amount="120")]
        )
        assert first.tiers == ["Silver"]
        points = Card.objects.get().program_id
        rewards.points_redeem(shop=shop_fr, by=None, customer=betty, program_id=points, reward_points=50)
        second = sales.sale_record(
            shop=shop_fr, customer=betty, by=None, lines=[LineIn(code="X", amount="90")]
        )
        assert second.tiers == []  # spending points does not lower the lifetime total: 210, no tier passed
        third = sales.sale_record(
            shop=shop_fr, customer=betty, by=None, lines=[LineIn(code="X", amount="95")]
        )
        assert third.tiers == ["Gold"]
        assert sorted(betty.tags.values_list("name", flat=True)) == ["Gold", "Silver", "VIP"]
        assert Card.objects.get().earned == 305
    with shop_context(shop_fr), pytest.raises(ValidationError) as refused:
        services.program_create(
            shop=shop_fr, by=None, name="P2", kind="points", points_per_unit="1", tiers="Gold"
        )
    assert "tiers" in refused.value.message_dict
