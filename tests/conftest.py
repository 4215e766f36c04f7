import os
import time

import pytest

from shopcrm.models import Role
from shopcrm.services import shop_create, staff_create
from shopcrm.tenancy import shop_context

# Playwright's sync API runs an event loop in the main thread; the ORM calls the tests make around it are
# still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


def _connect_as(alias, source) -> None:
    from django.db import connections

    connections[alias].close()
    connections[alias].settings_dict.update({k: source[k] for k in CREDENTIALS})


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):
    """The test database is created and migrated by the owner role, as in production; the tests then run as
    the app role (`default`) and the platform role, which may not alter, drop or truncate anything."""
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    app = {k: connections["default"].settings_dict[k] for k in CREDENTIALS}
    owner = {k: connections["owner"].settings_dict[k] for k in CREDENTIALS}
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        _connect_as("default", owner)
        # All three aliases share one test database (same name, host and port: one signature).
        db_cfg = setup_databases(
            verbosity=verbosity,
            interactive=False,
            aliases={"default", "owner", "platform"},
            serialized_aliases=set(),
        )
        _connect_as("default", app)
    yield
    with django_db_blocker.unblock():
        for alias in ("platform", "owner"):
            connections[alias].close()
        _connect_as("default", owner)
        teardown_databases(db_cfg, verbosity=verbosity)


def make_shop(**overrides):
    spec = {
        "name": "Pressing Test",
        "country": "FR",
        "language": "fr",
        "timezone": "Europe/Paris",
        # Texts need a contact for HELP replies (messaging.consent.request_refusal).
        "contact_phone": "01 23 45 67 89",
    }
    spec.update(overrides)
    return shop_create(**spec)


def wait_for(predicate, seconds=60) -> bool:
    """Poll `predicate` until it is true (True) or `seconds` have passed (False): for work done by a
    worker process."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def add_customer(shop, **values):
    """Create a customer in `shop` through the service (Betty Smith unless told otherwise)."""
    from customers.services import customer_create

    with shop_context(shop):
        return customer_create(shop=shop, by=None, **{"first_name": "Betty", "last_name": "Smith", **values})


def export_post(client, fmt: str = "csv", filters: str = ""):
    """Start an export as the list's export buttons do: a POST with the list's filters."""
    from django.urls import reverse

    return client.post(reverse("customers:export"), {"format": fmt, "filters": filters})


def mails_written(directory) -> list[str]:
    """The emails Django's file backend wrote under `directory`. One backend instance writes one file, but
    instances created in the same second may share a name (it is the time and the object's id), and then
    several messages follow one another in a file, each ended by a line of 79 dashes."""
    separator = "\n" + "-" * 79 + "\n"
    messages = []
    for path in sorted(directory.iterdir()):
        messages += [m for m in path.read_text().split(separator) if m.strip()]
    return messages


@pytest.fixture
def shop_fr(db):
    return make_shop(name="Pressing Test", customer_first=True, internal_id_enabled=True)


@pytest.fixture
def shop_us(db):
    return make_shop(
        name="Paws Test",
        country="US",
        language="en",
        timezone="America/New_York",
        pets_enabled=True,
    )


@pytest.fixture
def make_staff(db):
    def _make(shop, email, role=Role.CASHIER):
        return staff_create(shop=shop, email=email, password=PASSWORD, role=role).user

    return _make


@pytest.fixture
def cashier_fr(shop_fr, make_staff):
    return make_staff(shop_fr, "caisse@test.example")


@pytest.fixture
def admin_fr(shop_fr, make_staff):
    return make_staff(shop_fr, "admin@test.example", Role.ADMIN)


@pytest.fixture
def cashier_us(shop_us, make_staff):
    return make_staff(shop_us, "cashier@test.example")


@pytest.fixture
def admin_us(shop_us, make_staff):
    return make_staff(shop_us, "boss@paws.example", Role.ADMIN)


@pytest.fixture
def admin_client_us(client, admin_us):
    client.force_login(admin_us)
    return client


@pytest.fixture
def client_fr(client, cashier_fr):
    client.force_login(cashier_fr)
    return client


@pytest.fixture
def admin_client_fr(client, admin_fr):
    client.force_login(admin_fr)
    return client


@pytest.fixture
def in_shop():
    """`with in_shop(shop):` — read or write tenant rows from a test."""
    return shop_context


@pytest.fixture
def start_worker(tmp_path):
    """Start a real Celery worker process on the test queue, against the test database; messages go to files
    under tmp_path (mail/, sms/). `start_worker(REDIS_URL=...)` overrides its environment."""
    import subprocess
    import sys
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings
    from django.db import connection

    from shopcrm.dev import embedded

    procs = []

    def _start(**overrides):
        def test_database(variable, role):
            parts = urlsplit(os.environ.get(variable) or embedded.database_url(role))
            return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))

        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shopcrm.settings.test",
            "DATABASE_URL": test_database("DATABASE_URL", embedded.APP_ROLE),
            "DATABASE_OWNER_URL": test_database("DATABASE_OWNER_URL", embedded.OWNER_ROLE),
            "DATABASE_PLATFORM_URL": test_database("DATABASE_PLATFORM_URL", embedded.PLATFORM_ROLE),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
            "SMS_BACKEND": "messaging.sms.backends.file.SmsBackend",
            "SMS_FILE_PATH": str(tmp_path / "sms"),
            "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **overrides,
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "shopcrm", "worker", "--pool", "solo"]
                + [
                    "-Q",
                    f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.CELERY_BULK_QUEUE}",
                    "--without-gossip",
                    "--without-mingle",
                ]
                + ["--loglevel", "warning"],
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
        return tmp_path

    yield _start
    for proc in procs:
        proc.terminate()
        proc.wait(30)


def pytest_collection_modifyitems(items):
    """A transactional test is emptied afterwards by `flush`, which runs as the owner (the app role may not
    TRUNCATE): let such tests reach the owner's connection too."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        databases = marker.kwargs.get("databases") or ["default"]
        if databases != "__all__" and "owner" not in databases:
            item.add_marker(
                pytest.mark.django_db(**{**marker.kwargs, "databases": [*databases, "owner"]}), append=False
            )


@pytest.fixture
def texting_abroad(settings):
    """The platform lets shops text French and US numbers alike (`SMS_ALLOWED_COUNTRIES`): for one phone
    that shops of both countries hold."""
    settings.SMS_ALLOWED_COUNTRIES = ["FR", "US"]


@pytest.fixture(autouse=True)
def _throttles_forgotten():
    from django.core.cache import caches

    caches["axes"].clear()
    caches["ratelimit"].clear()
