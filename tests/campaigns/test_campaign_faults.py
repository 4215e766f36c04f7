"""What the campaign page says when sending goes wrong: stalled while nothing moves, "may have gone" for what
a dead worker was handing over, and "Retry failed" for what really failed."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from messaging import outbox
from messaging.models import OutboundMessage
from shopcrm.tenancy import shop_context
from tests.campaigns.conftest import verified
from tests.campaigns.test_campaigns import campaign, send_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(shop_fr, launched, monkeypatch):
    monkeypatch.setattr(outbox, "message_publish", lambda messages, bulk=False: None)
    for name in ("Ana", "Bea", "Cy", "Dan"):
        verified(shop_fr, first_name=name, email=f"{name.lower()}@example.fr")
    c = campaign(shop_fr)
    messages = send_all(shop_fr, c)
    return c, messages


def page(client, c) -> str:
    return unescape(client.get(reverse("campaigns:detail", args=[c.pk])).content.decode())


def test_a_campaign_whose_messages_do_not_move_says_it_is_stalled(admin_client_fr, shop_fr, sent):
    c, _messages = sent
    assert "Stalled" not in page(admin_client_fr, c) and "Bloquée" not in page(admin_client_fr, c)
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(source=c.source_key).update(
            updated_at=timezone.now() - timedelta(minutes=5)
        )
    assert "nothing has moved since" in page(admin_client_fr, c) or "rien n’a bougé depuis" in page(
        admin_client_fr, c
    )


def test_retry_failed_sends_again_what_failed_and_never_what_may_have_gone(
    admin_client_fr, shop_fr, sent, monkeypatch, django_capture_on_commit_callbacks
):
    c, messages = sent
    published = []
    monkeypatch.setattr(outbox, "message_publish", lambda batch, bulk=False: published.append((batch, bulk)))
    failed, unknown, *rest = messages
    with shop_context(shop_fr):
        OutboundMessage.objects.filter(pk=failed.pk).update(status="failed", attempts=6, last_error="550")
        OutboundMessage.objects.filter(pk=unknown.pk).update(status="unknown", handover_at=timezone.now())
        OutboundMessage.objects.filter(pk__in=[m.pk for m in rest]).update(status="sent")
    shown = page(admin_client_fr, c)
    assert f'action="/campaigns/{c.pk}/retry/"' in shown
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_fr.post(reverse("campaigns:retry", args=[c.pk]))
    assert response.status_code == 302
    with shop_context(shop_fr):
        states = dict(OutboundMessage.objects.filter(source=c.source_key).values_list("pk", "status"))
        again = OutboundMessage.objects.get(pk=failed.pk)
    assert states[failed.pk] == "queued" and again.attempts == 0 and again.last_error == ""
    assert states[unknown.pk] == "unknown"
    assert published == [([(failed.pk, shop_fr.pk)], True)]
    with shop_context(shop_fr):
        assert services.campaign_retry_failed(shop=shop_fr, campaign=c) == 0  # nothing failed any more
