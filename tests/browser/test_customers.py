import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from shopcrm.tenancy import shop_context
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keyboard_only_create_in_a_french_shop_then_the_duplicate_is_offered(
    page, live_server, shop_fr, cashier_fr, login, axe_check, shot
):
    login(page, "caisse@test.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/new/")
    expect(page.get_by_role("heading", name="Ajouter un client")).to_be_visible()
    axe_check(page)

    # Keyboard only: focus the first name, type, Tab through the form, Enter submits.
    page.get_by_label("Prénom").focus()
    page.keyboard.type("Hélène")
    page.keyboard.press("Tab")
    page.keyboard.type("Dupont")
    page.get_by_label("Téléphone mobile").focus()
    page.keyboard.type("06 12 34 56 78")
    expect(page.locator("#check-phone")).to_contain_text("Numéro valide")
    sms_box = page.get_by_label("Envoyer le SMS d'inscription")
    expect(sms_box).to_be_enabled()
    expect(page.get_by_label("Envoyer l'e-mail de bienvenue")).to_be_disabled()
    sms_box.focus()
    page.keyboard.press("Space")
    expect(page.locator("#save-customer")).to_contain_text("Enregistrer le client – envoyer")
    shot(page, "customer-new-fr-tablet")
    shot(page, "customer-new-fr-phone", 390, 844)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.locator("#save-customer").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=re.compile("adresse et animaux"))).to_be_visible()
    axe_check(page)
    shot(page, "customer-step2-fr-tablet")
    with shop_context(shop_fr):
        customer = Customer.objects.get()
    assert str(customer.phone) == "+33612345678"
    assert customer.sms_status == "pending"
    page.get_by_label("Ville").fill("Paris")
    page.get_by_role("button", name="Terminer").click()
    expect(page).to_have_url(re.compile(f"/checkout/{customer.number}/$"))
    expect(page.get_by_text("06 12 34 56 78")).to_be_visible()

    # Same phone again: the existing customer is offered.
    page.goto(f"{live_server.url}/customers/new/")
    page.get_by_label("Prénom").fill("Autre")
    page.locator("#id_last_name").fill("Personne")
    page.get_by_label("Téléphone mobile").fill("+33 6 12 34 56 78")
    expect(page.locator("#check-phone")).to_contain_text("Déjà utilisé par Hélène Dupont")
    page.get_by_role("button", name=re.compile("Enregistrer le client")).click()
    expect(page.get_by_role("alert")).to_contain_text("déjà dans votre fichier clients")
    shot(page, "customer-duplicate-fr-tablet")
    page.locator("#use-existing").click()
    expect(page).to_have_url(re.compile(f"/checkout/{customer.number}/$"))


def test_pets_and_the_edit_popup_in_a_us_shop(page, live_server, shop_us, cashier_us, login, axe_check, shot):
    login(page, "cashier@test.example", PASSWORD)
    page.goto(f"{live_server.url}/customers/new/")
    page.get_by_label("First name").fill("Betty")
    page.get_by_label("Last name").fill("Smith")
    page.get_by_role("button", name="Save customer").click()
    expect(page.get_by_role("heading", name=re.compile("address and pets"))).to_be_visible()

    for name, species in (("Rex", "Dog"), ("Tom", "Cat")):
        page.locator("#id_newpet-name").fill(name)
        page.locator("#id_newpet-species").select_option(label=species)
        page.locator("#id_newpet-birth_month").select_option(label="April")
        page.get_by_role("button", name="Add pet").click()
        expect(page.locator(".pets__list")).to_contain_text(name)
    axe_check(page)
    shot(page, "customer-step2-us-pets-tablet")
    page.get_by_role("button", name="Finish").click()

    expect(page.get_by_role("button", name="No email on file")).to_be_visible()
    axe_check(page)
    shot(page, "checkout-customer-us-tablet")
    shot(page, "checkout-customer-us-phone", 390, 844)
    page.set_viewport_size({"width": 1024, "height": 768})

    page.get_by_role("button", name="No email on file").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    axe_check(page)
    shot(page, "edit-popup-us-tablet")
    dialog.get_by_label("Email", exact=True).fill("Betty@Example.COM")
    dialog.get_by_label("Tags").fill("VIP")
    dialog.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="Betty@example.com")).to_be_visible()

    page.get_by_role("button", name="Betty@example.com").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
