"""Erasure erases: a scan of every text column of every table finds none of the person's values after it,
the ledger keeps its proof (hashed addresses, no name), and neither a re-import nor a re-creation
subscribes them again. Access shows everything."""

import json
import re
from html import unescape

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import ProgrammingError, connection, transaction
from django.urls import reverse

from customers import services
from customers.erasure import customer_erase
from customers.models import Customer, Export, Import
from desk.merge import customers_merge
from messaging import consent, outbox, tokens
from messaging.consent import suppression
from messaging.models import ConsentEvent, Erasure, ErasureRequest, OutboundMessage, Suppression
from shopcrm.tenancy import shop_context
from tests.customers.test_import import run

pytestmark = pytest.mark.django_db

# The person's values as they could appear anywhere (a phone as its digits).
VALUES = [
    "Philippa",
    "Zwanziger",
    "philippa.zw@example.org",
    "pz.other@example.net",
    "611223344",
    "Iris Bleues",
    "ZW-7781",
    "Quenouille",
    "Moustachu",
]


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setattr(outbox, "message_publish", lambda messages: None)


def scan(shop, values=VALUES) -> dict[str, int]:
    """{"table.column": rows holding any of `values`} over every text, JSON and array column of every table
    the app can read, in `shop`'s context (the person's rows are all the shop's)."""
    found, skipped = {}, set()
    with shop_context(shop), connection.cursor() as cursor:
        cursor.execute(
            """select table_name, column_name from information_schema.columns
                where table_schema = 'public'
                  and data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'inet')"""
        )
        for table, column in cursor.fetchall():
            pattern = " or ".join([f'"{column}"::text ilike %s'] * len(values))
            try:
                with transaction.atomic():
                    cursor.execute(
                        f'select count(*) from "{table}" where {pattern}',  # noqa: S608
                        [f"%{v}%" for v in values],
                    )
                    count = cursor.fetchone()[0]
            except ProgrammingError:  # permission denied
                skipped.add(table)
                continue
            if count:
                found[f"{table}.{column}"] = count
    # The app role reads every table but the tenant key (which holds no customer data).
    assert skipped <= {"shopcrm_tenantkey"}, skipped
    return found


@pytest.fixture
def philippa(shop_fr, admin_fr):
    with shop_context(shop_fr):
        customer = services.customer_create(
            shop=shop_fr,
            by=admin_fr,
            first_name="Philippa",
            last_name="Zwanziger-Oberholz",
            email="philippa.zw@example.org",
            phone="06 11 22 33 44",
            internal_id="ZW-7781",
            send_welcome_email=True,
            send_sms_opt_in=True,
        )
        services.customer_update(
            shop=shop_fr,
            by=admin_fr,
            customer=customer,
            address_line1="17 rue des Iris Bleues",
            notes="Allergique aux acariens, voir Dr Quenouille",
            secondary_emails=["pz.other@example.net"],
        )
        services.pet_create(shop=shop_fr, by=admin_fr, owner=customer, name="Moustachu", species="cat")
        services.customer_visit_record(shop=shop_fr, by=admin_fr, customer=customer)
        consent.email_verify(shop=shop_fr, customer=customer, ip="203.0.113.77", user_agent="Firefox/140")
        consent.sms_opt_out(shop=shop_fr, customer=customer, source="sms_reply", detail="STOP Philippa ici")
    return customer


def test_erasure_leaves_no_personal_value_in_any_table_and_the_ledger_keeps_its_proof(
    shop_fr, admin_fr, admin_client_fr, philippa, django_capture_on_commit_callbacks
):
    # A finished import whose kept file names her, and an export file built before.
    run(
        admin_client_fr,
        shop_fr,
        "Nom;Prénom;Email\r\nZwanziger-Oberholz;Philippa;philippa.zw@example.org\r\n".encode(),
    )
    with shop_context(shop_fr):
        job = Import.objects.get()
        export_file = default_storage.save("exports/test.csv", ContentFile(b"Zwanziger"))
        Export.objects.create(shop=shop_fr, by=admin_fr, format="csv", file=export_file, status="done")
        events_before = ConsentEvent.objects.filter(customer=philippa).count()
    before = scan(shop_fr)
    assert {
        "customers_customer.last_name",
        "customers_pet.name",
        "messaging_outboundmessage.recipient",
    } <= set(before)
    assert "messaging_consentevent.detail" in before  # "STOP Philippa ici"

    with django_capture_on_commit_callbacks(execute=True), shop_context(shop_fr):
        erasure = customer_erase(shop=shop_fr, by=admin_fr, customer=philippa, reason="request")

    # The last email was queued to her address before it went; once sent, its copy keeps no address.
    with shop_context(shop_fr):
        (last,) = OutboundMessage.objects.filter(kind="erasure_done")
    assert last.recipient == "philippa.zw@example.org" and last.customer_id is None
    assert outbox.message_send(message_id=last.pk, shop_id=shop_fr.pk) == "sent"
    assert mail.outbox[-1].to == ["philippa.zw@example.org"]
    assert "erased" in mail.outbox[-1].subject or "effacées" in mail.outbox[-1].subject

    after = scan(shop_fr)
    print("row scan before:", before, "after:", after)
    assert after == {}
    assert not default_storage.exists(job.file) and not default_storage.exists(export_file)

    with shop_context(shop_fr):
        assert not Customer.objects.filter(pk=philippa.pk).exists()
        kept = list(ConsentEvent.objects.filter(erasure=erasure))
        assert len(kept) == events_before
        assert all(e.customer_id is None and len(e.address_hash) == 64 for e in kept)
        verified = next(e for e in kept if e.action == "confirmed" and e.channel == "email")
        assert (verified.ip_address, verified.user_agent) == ("203.0.113.0", "")
        assert {(s.channel, s.address) for s in Suppression.objects.all()} == {("email", ""), ("sms", "")}
        audit = Erasure.objects.get()
        assert (audit.customer_number, audit.by, audit.reason) == (philippa.number, admin_fr, "request")
        assert audit.removed["pets"] == 1 and audit.removed["import_files"] == 1


def test_after_erasure_a_re_import_or_a_re_creation_does_not_subscribe_them(
    shop_fr, admin_fr, admin_client_fr, philippa
):
    with shop_context(shop_fr):
        customer_erase(shop=shop_fr, by=admin_fr, customer=philippa)
    data = "Nom;Prénom;Email;Consentement email\r\nZwanziger;Philippa;philippa.zw@example.org;oui\r\n"
    job = run(admin_client_fr, shop_fr, data.encode())
    assert job.result["consent_refused"] == 1
    page = unescape(admin_client_fr.get(reverse("customers:import_detail", args=[job.pk])).content.decode())
    assert "désinscrite, désabonnée, en erreur ou effacée" in page  # the desk says so
    with shop_context(shop_fr):
        again = Customer.objects.get()
        assert again.email_status == "unsubscribed"
        assert not ConsentEvent.objects.filter(customer=again).exists()
        again.delete()
        with pytest.raises(ValidationError) as refused:
            services.customer_create(
                shop=shop_fr,
                by=admin_fr,
                first_name="Philippa",
                last_name="Zwanziger",
                phone="06 11 22 33 44",
                send_sms_opt_in=True,
            )
    assert "send_sms_opt_in" in refused.value.message_dict


def test_erasing_a_merge_survivor_takes_the_merged_record_with_it(shop_fr, admin_fr, philippa):
    with shop_context(shop_fr):
        other = services.customer_create(
            shop=shop_fr, by=admin_fr, first_name="Pippa", last_name="Quenouillard", email="pippa@example.org"
        )
        customers_merge(shop=shop_fr, by=admin_fr, survivor=philippa, other=other, choices={})
        assert scan(shop_fr, ["Quenouillard", "pippa@example.org"])
        customer_erase(shop=shop_fr, by=admin_fr, customer=Customer.objects.get(pk=philippa.pk))
        (last,) = OutboundMessage.objects.filter(kind="erasure_done")
    outbox.message_send(message_id=last.pk, shop_id=shop_fr.pk)
    assert scan(shop_fr, ["Quenouillard", "pippa@example.org", *VALUES]) == {}
    with shop_context(shop_fr):
        assert (
            suppression.suppression_reason(shop=shop_fr, channel="email", address="pippa@example.org")
            == "erased"
        )


def test_the_erase_page_asks_why_and_for_a_confirmation(admin_client_fr, shop_fr, philippa):
    url = reverse("customers:erase", args=[philippa.number])
    page = unescape(admin_client_fr.get(url).content.decode())
    assert "Effacer" in page and "registre des consentements" in page
    refused = admin_client_fr.post(url, {"reason": "shop"})
    assert refused.status_code == 200
    assert "field-confirm" in refused.content.decode() and "field__error" in refused.content.decode()
    done = admin_client_fr.post(url, {"reason": "shop", "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == reverse("customers:list")
    with shop_context(shop_fr):
        assert not Customer.objects.filter(pk=philippa.pk).exists()


def test_a_cashier_cannot_erase_or_read_everything(client_fr, philippa):
    assert client_fr.get(reverse("customers:erase", args=[philippa.number])).status_code == 403
    assert (
        client_fr.post(
            reverse("customers:erase", args=[philippa.number]), {"reason": "shop", "confirm": "on"}
        ).status_code
        == 403
    )
    assert client_fr.get(reverse("customers:data", args=[philippa.number])).status_code == 403


def test_another_shops_admin_cannot_erase_or_read_her(admin_client_us, philippa, shop_fr):
    for name in ("customers:erase", "customers:data"):
        assert admin_client_us.get(reverse(name, args=[philippa.number])).status_code == 404
    assert (
        admin_client_us.post(
            reverse("customers:erase", args=[philippa.number]), {"reason": "shop", "confirm": "on"}
        ).status_code
        == 404
    )
    with shop_context(shop_fr):
        assert Customer.objects.filter(pk=philippa.pk).exists()


def test_a_request_from_the_preferences_page_is_handled_by_the_erasure(
    client, admin_client_fr, shop_fr, philippa
):
    preferences = reverse("messaging:preferences", args=[tokens.make(philippa, "preferences")])
    client.post(preferences, {"action": "erase"})
    settings_page = unescape(admin_client_fr.get(reverse("shop_settings")).content.decode())
    assert "Zwanziger-Oberholz" in settings_page
    erase = reverse("customers:erase", args=[philippa.number])
    assert re.search(r'value="request"[^>]*checked', admin_client_fr.get(erase).content.decode())
    admin_client_fr.post(erase, {"reason": "request", "confirm": "on"})
    with shop_context(shop_fr):
        request = ErasureRequest.objects.get()
        assert request.handled_at and request.erasure.customer_number == philippa.number
    settings_page = unescape(admin_client_fr.get(reverse("shop_settings")).content.decode())
    assert philippa.number in settings_page and "Zwanziger" not in settings_page


def test_the_admin_sees_and_downloads_everything_held(admin_client_fr, philippa):
    url = reverse("customers:data", args=[philippa.number])
    page = unescape(admin_client_fr.get(url).content.decode())
    for value in ("Moustachu", "Quenouille", "Iris Bleues", "pz.other@example.net", "STOP Philippa ici"):
        assert value in page, value
    download = admin_client_fr.get(url + "?format=json")
    assert download["Content-Disposition"] == f'attachment; filename="customer-{philippa.number}.json"'
    data = json.loads(download.content)
    assert data["pets"][0]["name"] == "Moustachu"
    assert len(data["consent"]) == 4  # two requests, the email verified, the STOP
    assert "STOP Philippa ici" in {e["detail"] for e in data["consent"]}
    assert len(data["visits"]) == 1


def test_the_customer_gets_a_fresh_link_to_a_copy_of_their_data(client, shop_fr, philippa):
    preferences = reverse("messaging:preferences", args=[tokens.make(philippa, "preferences")])
    page = unescape(client.get(preferences).content.decode())
    assert "Quenouille" in page and "Moustachu" in page  # the preferences page shows all of it
    client.post(preferences, {"action": "copy"})
    client.post(preferences, {"action": "copy"})  # pressed twice: one email
    with shop_context(shop_fr):
        (message,) = OutboundMessage.objects.filter(kind="data_copy")
    link = next(word for word in message.body_text.split() if "/m/d/" in word)
    path = link.removeprefix("http://127.0.0.1:8000")
    copy = client.get(path)
    assert copy.status_code == 200 and "no-store" in copy["Cache-Control"]
    assert "Moustachu" in unescape(copy.content.decode())
    assert json.loads(client.get(path + "?format=json").content)["customer"]["internal_id"] == "ZW-7781"
    with shop_context(shop_fr):
        services.customer_update(shop=shop_fr, by=None, customer=philippa, email="new@example.org")
    assert client.get(path).status_code == 410  # only while the address is the one it went to
