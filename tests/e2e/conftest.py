"""End-to-end: Debian's Chromium driving the live page served by a real Daphne, with a
real Celery worker and beat, Redis and the test database."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.test import Client

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
    """open_page(user, path): a logged-in tab (its session made by Django's test client)."""
    contexts = []

    def open_as(user, path: str):
        client = Client()
        client.force_login(user)
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
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
