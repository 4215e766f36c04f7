"""Files as Shopify, Square and Odoo export them import without editing: their headers, their text marks,
their yes/no words, a whole-name column, a landline column beside the mobile one."""

import pytest
from django.urls import reverse

from customers.models import Customer
from desk import imports
from messaging.consent import EmailStatus, SmsStatus
from shopcrm.tenancy import shop_context
from tests.customers.test_import import run, upload

pytestmark = pytest.mark.django_db

SHOPIFY = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,"
    "Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,"
    "Total Spent,Total Orders,Note,Tax Exempt,Tags\r\n"
    "'7001000000001,Ann,Lee,ann@example.com,yes,,12 rue des Lilas,Bât. B,Bourg-en-Bresse,,FR,'01000,,"
    '\'+33612345678,no,12.50,2,Aime les chats,no,"VIP, Fidèle"\r\n'
)
SQUARE = (
    "Reference ID,First Name,Last Name,Email Address,Phone Number,Nickname,Company Name,Street Address 1,"
    "Street Address 2,City,State,Postal Code,Birthday,Memo,Square Customer ID,Creation Source,First Visit,"
    "Last Visit,Transaction Count,Total Spend,Email Subscription Status,Instant Profile\r\n"
    "R-12,Marie,Curie,marie@example.org,06 12 34 56 78,,,3 rue X,,Paris,,75005,,Allergique à la laine,SQ1,"
    ",,,,,subscribed,No\r\n"
    "R-13,Paul,Dirac,paul@example.org,06 98 76 54 32,,,,,,,,,,SQ2,,,,,,unsubscribed,No\r\n"
)
ODOO = (
    "name,email,phone,mobile,street,street2,zip,city,ref,comment\r\n"
    "Jean Dupont,jean@example.fr,01 23 45 67 89,06 11 22 33 44,1 rue A,,75001,Paris,C-1,\r\n"
    "DUPONT Marie,marie.d@example.fr,,06 11 22 33 55,,,,,C-2,\r\n"
    "Cher,cher@example.fr,,,,,,,C-3,\r\n"
)


def test_a_shopify_export_imports_its_text_marked_ids_codes_and_consents(admin_client_fr, shop_fr):
    job = run(admin_client_fr, shop_fr, SHOPIFY.encode(), name="customers_export.csv")
    assert job.check_result["new"] == 1 and job.check_result["invalid"] == 0, job.check_result
    with shop_context(shop_fr):
        ann = Customer.objects.get(email="ann@example.com")
    assert ann.internal_id == "7001000000001" and ann.postal_code == "01000"
    assert str(ann.phone) == "+33612345678" and ann.city == "Bourg-en-Bresse"
    assert (ann.address_line1, ann.address_line2) == ("12 rue des Lilas", "Bât. B")
    assert ann.email_status == EmailStatus.SUBSCRIBED and ann.sms_status == SmsStatus.NONE
    assert ann.notes == "Aime les chats"


def test_a_square_export_reads_subscribed_and_unsubscribed(admin_client_fr, shop_fr):
    job = run(admin_client_fr, shop_fr, SQUARE.encode(), name="export-customers.csv")
    assert job.check_result["new"] == 2 and job.check_result["invalid"] == 0, job.check_result
    with shop_context(shop_fr):
        curie, dirac = Customer.objects.get(last_name="Curie"), Customer.objects.get(last_name="Dirac")
    assert curie.email_status == EmailStatus.SUBSCRIBED and dirac.email_status == EmailStatus.NONE
    assert curie.internal_id == "R-12" and curie.notes == "Allergique à la laine"


def test_an_odoo_export_splits_the_whole_name_and_takes_the_mobile(admin_client_fr, shop_fr):
    job = run(admin_client_fr, shop_fr, ODOO.encode(), name="res.partner.csv")
    assert job.check_result["new"] == 2 and job.check_result["invalid"] == 1, job.check_result
    assert job.check_result["errors"][0][:2] == [4, "name"]
    assert "Écrivez le prénom et le nom." in job.check_result["errors"][0][2]
    with shop_context(shop_fr):
        jean = Customer.objects.get(email="jean@example.fr")
        marie = Customer.objects.get(email="marie.d@example.fr")
    assert (jean.first_name, jean.last_name, str(jean.phone)) == ("Jean", "Dupont", "+33611223344")
    assert (marie.first_name, marie.last_name) == ("Marie", "DUPONT")


def test_the_wizard_names_the_software_it_recognised(admin_client_fr, shop_fr):
    upload(admin_client_fr, SQUARE.encode(), "export.csv")
    with shop_context(shop_fr):
        from customers.models import Import

        job = Import.objects.latest("pk")
    html = admin_client_fr.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert 'id="import-source"' in html and "Square" in html


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["name", "email", "phone", "mobile"], {"0": "full_name", "1": "email", "3": "phone"}),
        (["Nom", "Prénom", "Name"], {"0": "last_name", "1": "first_name"}),
        (["Téléphone", "Portable"], {"1": "phone"}),
    ],
)
def test_guessed_columns(headers, expected):
    assert imports.guess_mapping(headers) == expected


@pytest.mark.parametrize("value", ["subscribed", "Opted In", "TRUE", "1", "oui", "Yes"])
def test_consent_words_that_mean_yes(value):
    assert imports.yes_no(value) is True


@pytest.mark.parametrize("value", ["unsubscribed", "Not subscribed", "FALSE", "0", "non", "", "pending"])
def test_consent_words_that_mean_no(value):
    assert imports.yes_no(value) is False


def test_a_yes_to_texts_for_a_landline_is_not_imported_but_the_number_is(admin_client_fr, shop_fr):
    data = (
        "Nom;Prénom;Téléphone;Consentement SMS\r\n"
        "Durand;Paul;01 23 45 67 89;oui\r\nPetit;Anne;06 11 22 33 44;oui\r\n"
    )
    job = run(admin_client_fr, shop_fr, data.encode())
    assert job.check_result["landline_consents"] == 1 and job.check_result["new"] == 2
    with shop_context(shop_fr):
        paul, anne = Customer.objects.get(last_name="Durand"), Customer.objects.get(last_name="Petit")
    assert str(paul.phone) == "+33123456789" and paul.sms_status == SmsStatus.NONE
    assert anne.sms_status == SmsStatus.SUBSCRIBED


def test_a_lightspeed_export_is_recognised():
    headers = ["Customer Code", "First Name", "Last Name", "Company", "Email", "Phone", "Mobile"]
    headers += ["Date of Birth", "Street", "Suburb", "City", "Postcode", "Note"]
    mapping = imports.guess_mapping(headers)
    assert imports.import_source(headers) == "Lightspeed"
    assert mapping["0"] == "internal_id" and mapping["6"] == "phone" and mapping["7"] == "birthday"
    assert (mapping["8"], mapping["9"], mapping["11"]) == ("address_line1", "address_line2", "postal_code")
