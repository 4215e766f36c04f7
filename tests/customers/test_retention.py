"""Retention runs: customers inactive for the shop's period are erased by the daily job, a month's notice
shows who, an admin keeps someone with a reason, and a running import makes the job wait."""

import datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import retention, tasks
from customers.models import Customer, CustomerChange, Import
from customers.services import customer_create
from messaging import consent, outbox
from messaging.models import ConsentEvent, Erasure
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db
YEAR = datetime.timedelta(days=365)


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setattr(outbox, "message_publish", lambda messages: None)


def aged(shop, first, *, age, visit_age=None, **more):
    """A customer created and last changed `age` ago (a timedelta), last seen `visit_age` ago."""
    with shop_context(shop):
        customer = customer_create(shop=shop, by=None, first_name=first, last_name="Old", **more)
        when = timezone.now() - age
        visit = timezone.now() - visit_age if visit_age else None
        Customer.objects.filter(pk=customer.pk).update(created_at=when, updated_at=when, last_visit_at=visit)
        ConsentEvent.objects.filter(customer=customer).update(at=when)
        return Customer.objects.get(pk=customer.pk)


def names(shop, queryset) -> set[str]:
    with shop_context(shop):
        return {c.first_name for c in queryset}


def test_who_is_due_and_the_run_erases_only_them(shop_fr):
    aged(shop_fr, "Gone", age=4 * YEAR)
    aged(shop_fr, "Visited", age=6 * YEAR, visit_age=2 * YEAR)
    clicked = aged(shop_fr, "Clicked", age=5 * YEAR, email="clicked@example.com", send_welcome_email=True)
    kept = aged(shop_fr, "Kept", age=5 * YEAR)
    aged(shop_fr, "Recent", age=2 * YEAR)
    with shop_context(shop_fr):
        consent.email_verify(shop=shop_fr, customer=clicked)  # their own action, now
        retention.retention_keep(
            shop=shop_fr, by=None, customer=kept, reason="Unpaid invoice, kept for the accountant"
        )
        assert names(shop_fr, retention.retention_due(shop=shop_fr)) == {"Gone"}
        assert retention.retention_run(shop=shop_fr) == 1
        assert set(Customer.objects.values_list("first_name", flat=True)) == {
            "Visited",
            "Clicked",
            "Kept",
            "Recent",
        }
        erasure = Erasure.objects.get()
        assert (erasure.reason, erasure.by) == ("retention", None)
        line = CustomerChange.objects.get(customer=kept, action="kept")
        assert "Unpaid invoice" in str(line.details)


def test_the_shops_period_is_its_own(shop_fr):
    with shop_context(shop_fr):
        shop_fr.retention_years = 5
        shop_fr.save(update_fields=["retention_years"])
    aged(shop_fr, "Four", age=4 * YEAR)
    aged(shop_fr, "Six", age=6 * YEAR)
    with shop_context(shop_fr):
        assert names(shop_fr, retention.retention_due(shop=shop_fr)) == {"Six"}


def test_a_months_notice_lists_who_goes_soon_but_the_run_waits_for_the_date(shop_fr):
    aged(shop_fr, "Soon", age=3 * YEAR - datetime.timedelta(days=10))
    with shop_context(shop_fr):
        upcoming, total = retention.retention_upcoming(shop=shop_fr)
        assert [c.first_name for c in upcoming] == ["Soon"] and total == 1
        assert upcoming[0].due_on > timezone.localdate()
        assert retention.retention_run(shop=shop_fr) == 0


def test_a_running_import_makes_the_run_wait(shop_fr, admin_fr):
    aged(shop_fr, "Gone", age=4 * YEAR)
    with shop_context(shop_fr):
        Import.objects.create(
            shop=shop_fr, by=admin_fr, filename="a.csv", file="x", sha256="0", status="importing"
        )
        assert retention.retention_run(shop=shop_fr) == 0
        assert Customer.objects.filter(first_name="Gone").exists()


def test_the_page_keeps_someone_with_a_reason_and_says_so_next_to_the_field(admin_client_fr, shop_fr):
    soon = aged(shop_fr, "Soon", age=3 * YEAR - datetime.timedelta(days=10))
    url = reverse("customers:retention")
    page = unescape(admin_client_fr.get(url).content.decode())
    assert "Soon Old" in page and soon.number in page
    refused = admin_client_fr.post(url, {"number": soon.number, "reason": "  "})
    html = unescape(refused.content.decode())
    assert refused.status_code == 200 and f"keep-{soon.number}-error" in html
    assert "Indiquez pourquoi" in html
    kept = admin_client_fr.post(url, {"number": soon.number, "reason": "Fidèle, revient chaque été"})
    assert kept.status_code == 302
    with shop_context(shop_fr):
        soon = Customer.objects.get(pk=soon.pk)
    assert soon.kept_reason == "Fidèle, revient chaque été" and soon.kept_until > timezone.localdate()
    after = unescape(admin_client_fr.get(url).content.decode())
    assert "Soon Old est conservé jusqu'au" in after  # the flash
    assert f'value="{soon.number}"' not in after  # no longer in the list


def test_the_settings_page_gives_notice(admin_client_fr, shop_fr):
    aged(shop_fr, "Soon", age=3 * YEAR - datetime.timedelta(days=10))
    page = unescape(admin_client_fr.get(reverse("shop_settings")).content.decode())
    assert reverse("customers:retention") in page and "<strong>1</strong>" in page


def test_a_cashier_cannot_see_or_keep(client_fr):
    assert client_fr.get(reverse("customers:retention")).status_code == 403


@pytest.mark.django_db(transaction=True, databases=["default", "platform"])
def test_the_daily_task_runs_in_every_shop_each_in_its_own(shop_fr, shop_us):
    aged(shop_fr, "GoneFr", age=4 * YEAR)
    aged(shop_us, "GoneUs", age=4 * YEAR)
    aged(shop_us, "StaysUs", age=1 * YEAR)
    assert tasks.retention_run() == 2
    for shop, left in ((shop_fr, set()), (shop_us, {"StaysUs"})):
        with shop_context(shop):
            assert set(Customer.objects.values_list("first_name", flat=True)) == left
            assert Erasure.objects.filter(reason="retention").count() == 1


def test_a_reason_with_a_nul_byte_is_refused_next_to_the_field(admin_client_fr, shop_fr):
    soon = aged(shop_fr, "Soon", age=3 * YEAR - datetime.timedelta(days=10))
    refused = admin_client_fr.post(
        reverse("customers:retention"), {"number": soon.number, "reason": "a\x00b"}
    )
    html = unescape(refused.content.decode())
    assert refused.status_code == 200 and f"keep-{soon.number}-error" in html
    with shop_context(shop_fr):
        assert Customer.objects.get(pk=soon.pk).kept_until is None
