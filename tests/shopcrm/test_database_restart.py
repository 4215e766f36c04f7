"""PostgreSQL restarting under the app: a short "try again" (503), a retry for what changes nothing, and
nothing half-written."""

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from customers.models import Customer
from shopcrm.tenancy import shop_context

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_fr(client_fr):
    client_fr.raise_request_exception = False
    return client_fr


@pytest.fixture
def database_down(monkeypatch):
    """`database_down(n)`: the next n connection attempts fail as they do while PostgreSQL restarts."""
    original = connection.get_new_connection
    state = {"left": 0}

    def connect(params):
        if state["left"] > 0:
            state["left"] -= 1
            raise OperationalError("connection failed: the database system is shutting down")
        return original(params)

    monkeypatch.setattr(connection, "get_new_connection", connect)
    monkeypatch.setattr("shopcrm.middleware.DatabaseUnavailableMiddleware.RETRY_AFTER_SECONDS", 0)

    def down(attempts: int) -> None:
        connection.close()
        state["left"] = attempts

    return down


def test_a_page_read_while_the_database_restarts_is_retried_once_and_served(client_fr, database_down):
    database_down(1)
    response = client_fr.get(reverse("checkout:who"))
    assert response.status_code == 200


def test_when_the_database_stays_down_the_cashier_is_told_to_try_again(client_fr, database_down):
    database_down(5)
    response = client_fr.get(reverse("checkout:who"))
    assert response.status_code == 503 and response["Retry-After"]
    assert "restarting" in response.content.decode() or "redémarre" in response.content.decode()
    # An htmx request gets the message as a fragment for the page's alert area.
    database_down(5)
    fragment = client_fr.get(reverse("checkout:who"), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 503 and b'role="alert"' in fragment.content
    # Once it is back, the same session works.
    database_down(0)
    assert client_fr.get(reverse("checkout:who")).status_code == 200


def test_a_save_interrupted_by_a_restart_is_not_retried_and_leaves_nothing(client_fr, shop_fr, database_down):
    client_fr.get(reverse("customers:new"))
    database_down(1)
    response = client_fr.post(
        reverse("customers:new"),
        {"customer_type": "individual", "first_name": "Jean", "last_name": "Restart", "phone": "0611223344"},
    )
    assert response.status_code == 503
    with shop_context(shop_fr):
        assert not Customer.objects.filter(last_name="Restart").exists()
