"""Production's own checks: `manage.py check --deploy` passes as documented and refuses the weak setups."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "shopcrm.settings.production",
    "SECRET_KEY": "k" * 30 + "-Zq9" * 10,
    "ALLOWED_HOSTS": "crm.example",
    "DATABASE_URL": "postgres://shopcrm_app:a@db.example/shopcrm",
    "DATABASE_OWNER_URL": "postgres://shopcrm:o@db.example/shopcrm",
    "DATABASE_PLATFORM_URL": "postgres://shopcrm_platform:p@db.example/shopcrm",
    "REDIS_URL": "redis://redis.example:6379/0",
    "SITE_URL": "https://crm.example",
}


def check_deploy(**env) -> subprocess.CompletedProcess:
    # Not the test process's own environment: it allows async-unsafe calls for Playwright.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    values = {k: v for k, v in {**base, **PRODUCTION, **env}.items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=values,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_production_with_three_roles_passes_the_deploy_check():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_with_one_role_for_everything_fails_the_deploy_check():
    result = check_deploy(DATABASE_OWNER_URL=None, DATABASE_PLATFORM_URL=None)
    assert result.returncode != 0 and "shopcrm.E001" in result.stdout + result.stderr


@pytest.mark.parametrize("role", ["DATABASE_OWNER_URL", "DATABASE_PLATFORM_URL"])
def test_a_runtime_role_shared_with_another_fails_too(role):
    result = check_deploy(**{role: PRODUCTION["DATABASE_URL"]})
    assert result.returncode != 0 and "shopcrm.E001" in result.stdout + result.stderr


def test_production_links_must_be_https():
    result = check_deploy(SITE_URL="http://crm.example")
    assert result.returncode != 0 and "shopcrm.E004" in result.stdout + result.stderr
