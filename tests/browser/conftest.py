import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1024, "height": 768}, "locale": "en-US"}


@pytest.fixture
def shot():
    """Save a screenshot under test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def _shot(page, name, width=None, height=None):
        if width:
            page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return _shot


@pytest.fixture
def axe_check():
    axe = Axe()

    def _check(page):
        results = axe.run(page)
        serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        assert not serious, results.generate_report()

    return _check


@pytest.fixture
def login(live_server):
    def _login(page, email, password):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_label("Password").press("Enter")
        page.wait_for_load_state()

    return _login
