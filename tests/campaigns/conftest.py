"""What the campaign tests share: customers who confirmed, and a send that does not start a worker."""

import pytest

from campaigns import services
from messaging import consent
from shopcrm.tenancy import shop_context
from tests.conftest import add_customer


@pytest.fixture
def launched(monkeypatch):
    """The campaigns whose sending started (their job is run by the test itself)."""
    started = []
    monkeypatch.setattr(services, "_launch_on_commit", lambda campaign: started.append(campaign.pk))
    return started


def verified(shop, **values):
    """A customer who confirmed their email address (as by the verify link)."""
    customer = add_customer(shop, **values)
    with shop_context(shop):
        consent.email_verify(shop=shop, customer=customer)
    return customer
