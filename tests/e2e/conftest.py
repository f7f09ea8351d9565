"""End-to-end: the live page served by a real Daphne, with a real Celery worker and
beat, Redis and the test database, driven by Debian's Chromium (Playwright) and by
Debian's firefox-esr (WebDriver BiDi, tests/e2e/bidi.py)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db.models import Max
from django.test import Client

from cluster.models import Trace
from tests.e2e.bidi import FIREFOX, BidiSession, Firefox, Tab

# Playwright's sync API runs an event loop in this thread, and Django then refuses
# database calls from it; the tests make their calls between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium():
    """Module-scoped: Playwright's event loop must not outlive these tests, or
    later tests that run their own loop in this thread would fail."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server_url, stack) -> Iterator:
    """open_page(user, path, viewport=(1280, 800)): a logged-in tab (its session made by
    Django's test client)."""
    contexts = []

    def open_as(user, path: str, viewport: tuple[int, int] = (1280, 800)):
        client = Client()
        client.force_login(user)
        width, height = viewport
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server_url,
                }
            ]
        )
        contexts.append(context)
        tab = context.new_page()
        tab.errors = []
        tab.on("pageerror", lambda error: tab.errors.append(str(error)))
        tab.goto(f"{live_server_url}{path}")
        return tab

    yield open_as
    for context in contexts:
        context.close()


def wait_connected(page, timeout: float = 20_000) -> None:
    page.wait_for_function("window.podlab && window.podlab.connected", timeout=timeout)


def pod_card(page, name: str):
    return page.locator(f'g.pod[data-name="{name}"]')


# -- Firefox: Debian's firefox-esr over WebDriver BiDi (tests/e2e/bidi.py) --------------

ENSURE_FIREFOX = Path(__file__).resolve().parents[2] / "scripts" / "ensure-firefox.sh"


@pytest.fixture(scope="module")
def firefox() -> Iterator[BidiSession]:
    """A headless firefox-esr and one BiDi session on it, for this module's tests.
    If the browser is missing, scripts/ensure-firefox.sh installs it (as root) or
    the tests are skipped with its reason."""
    if not Path(FIREFOX).exists():
        setup = subprocess.run(["bash", str(ENSURE_FIREFOX)], capture_output=True, text=True)
        if setup.returncode != 0 or not Path(FIREFOX).exists():
            pytest.skip(f"{FIREFOX} is missing and could not be installed: {setup.stderr.strip()}")
    with Firefox() as browser:
        session = BidiSession(browser.url)
        yield session
        session.end()


@pytest.fixture
def open_tab(firefox, live_server_url, stack) -> Iterator:
    """open_tab(user, path): a logged-in Firefox tab in its own user context (its
    session made by Django's test client), 1280x800, with path loaded."""
    tabs: list[Tab] = []

    def open_as(user, path: str) -> Tab:
        client = Client()
        client.force_login(user)
        cookie = {
            "name": "sessionid",
            "value": client.cookies["sessionid"].value,
            "domain": urlsplit(live_server_url).hostname,
        }
        tab = firefox.new_tab(width=1280, height=800, cookies=[cookie])
        tabs.append(tab)
        tab.navigate(f"{live_server_url}{path}")
        return tab

    yield open_as
    for tab in tabs:
        tab.close()


def wait_connected_tab(tab: Tab, timeout: float = 20) -> None:
    tab.wait_for(
        "() => Boolean(window.podlab && window.podlab.connected)",
        timeout=timeout,
        what="window.podlab.connected (the socket's snapshot applied)",
    )


def wait_until_the_diagram_is_still(page, sandbox) -> None:
    """Until the page has drawn every call made so far and no message travels: a call made
    then is the first in the animation's queue, so it travels rather than being folded to
    catch up with calls before it (static/js/podlab/animation.js)."""
    revision = Trace.objects.filter(sandbox=sandbox).aggregate(Max("revision"))["revision__max"]
    page.wait_for_function(
        """(revision) => window.podlab.revision >= revision
            && document.querySelector('#now-playing').textContent === ''""",
        arg=revision,
        timeout=30_000,
    )
