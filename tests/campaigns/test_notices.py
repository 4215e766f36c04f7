"""“Order ready”: a service message by text, else by email, once per ticket; never to a customer who turned
service messages off or stopped texts; only for the shop's own customers."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns.models import Notice
from campaigns.notices import notice_channel, order_ready_notify
from messaging import consent, outbox
from messaging.models import OutboundMessage
from messaging.sms.backends import locmem
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer as add
from tests.conftest import make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setattr(outbox, "message_publish", lambda messages: None)
    locmem.outbox.clear()


def notify(shop, customer, reference="A-1027", what=""):
    with shop_context(shop):
        return order_ready_notify(shop=shop, by=None, customer=customer, reference=reference, what=what)


def send(shop, notice):
    return outbox.message_send(message_id=notice.message_id, shop_id=shop.pk)


def test_by_text_to_a_mobile_naming_the_shop_and_the_ticket(shop_fr, quiet):
    lea = add(shop_fr, first_name="Léa", last_name="Petit", phone="06 12 34 56 78", email="lea@example.fr")
    notice = notify(shop_fr, lea, what="2 chemises")
    assert notice.message.channel == "sms" and notice.message.kind == "order_ready"
    assert send(shop_fr, notice) == "sent"
    (text,) = locmem.outbox
    assert text.body == (
        "Pressing Test : votre commande A-1027 (2 chemises) est disponible. "
        "Répondez STOP pour ne plus recevoir de SMS."
    )


def test_by_email_when_there_is_no_mobile(shop_fr, quiet):
    paul = add(shop_fr, first_name="Paul", last_name="Roux", email="paul@example.fr")
    notice = notify(shop_fr, paul)
    assert notice.message.channel == "email"
    assert send(shop_fr, notice) == "sent"
    (email,) = mail.outbox
    assert email.to == ["paul@example.fr"] and "A-1027" in email.subject and "Pressing Test" in email.body
    assert "/m/p/" in email.body  # where messages about orders can be turned off


def test_marketing_consent_does_not_matter_but_a_stop_does(shop_fr, quiet):
    betty = add(shop_fr, phone="06 12 34 56 78", email="betty@example.fr")
    assert betty.sms_status == "none" and notice_channel(shop=shop_fr, customer=betty) == "sms"
    with shop_context(shop_fr):
        consent.sms_opt_out(shop=shop_fr, customer=betty, source="sms_reply", detail="STOP")
        assert notice_channel(shop=shop_fr, customer=betty) == "email"  # texts stopped: by email instead
        consent.service_opt_out(shop=shop_fr, customer=betty, channel="email", ip=None, user_agent="")
        assert notice_channel(shop=shop_fr, customer=betty) is None
    with pytest.raises(ValidationError) as refused:
        notify(shop_fr, betty)
    assert "reference" in refused.value.message_dict
    with shop_context(shop_fr):
        assert not Notice.objects.exists() and not OutboundMessage.objects.filter(kind="order_ready").exists()


def test_once_per_ticket_and_a_reference_is_required(shop_fr, quiet):
    lea = add(shop_fr, phone="06 12 34 56 78")
    notify(shop_fr, lea, reference="A-1")
    for reference, expected in (("A-1", "already told"), ("  ", "reference"), ("x" * 41, "40")):
        with pytest.raises(ValidationError) as refused:
            notify(shop_fr, lea, reference=reference)
        assert expected in " ".join(refused.value.message_dict["reference"])
    with shop_context(shop_fr):
        assert OutboundMessage.objects.filter(kind="order_ready").count() == 1


def test_the_checkout_screen_sends_and_shows_it(client_fr, shop_fr, quiet):
    lea = add(shop_fr, first_name="Léa", last_name="Petit", phone="06 12 34 56 78")
    page = client_fr.get(reverse("checkout:customer", args=[lea.number])).content.decode()
    assert "Commande prête" in page and 'id="order-ready-button"' in page
    url = reverse("checkout:order_ready", args=[lea.number])
    html = client_fr.post(
        url, {"reference": "T-88", "what": "manteau"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "T-88" in html and "manteau" in html and "consent-pill--queued" in html and "SMS" in html
    html = client_fr.post(url, {"reference": "T-88"}, HTTP_HX_REQUEST="true").content.decode()
    assert "field--invalid" in html and "déjà" in html
    html = client_fr.post(url, {"reference": ""}, HTTP_HX_REQUEST="true").content.decode()
    assert "field--invalid" in html


def test_another_shops_customer_cannot_be_notified(client_fr, shop_fr, quiet):
    other = make_shop(name="Autre")
    theirs = add(other, phone="06 12 34 56 78")
    response = client_fr.post(reverse("checkout:order_ready", args=[theirs.number]), {"reference": "X"})
    assert response.status_code == 404
    with pytest.raises(theirs.DoesNotExist), shop_context(shop_fr):
        order_ready_notify(shop=shop_fr, by=None, customer=theirs, reference="X")
    with shop_context(other):
        assert not Notice.objects.exists()
