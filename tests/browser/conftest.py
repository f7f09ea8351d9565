"""Browser tests of the live page's JavaScript against a static harness:
Chromium (Debian's), no database, no Redis, no server but harness.py's."""

from __future__ import annotations

import pytest

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, FAKE_SOCKET_JS, Harness, start_server


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium against the static harness")


@pytest.fixture(autouse=True, scope="session")
def isolated_redis_names():
    """These tests touch no Redis, so they skip the suite's Redis namespacing."""
    yield


@pytest.fixture(scope="session")
def harness():
    state = Harness()
    server = start_server(state)
    yield state
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Chromium for this module's tests. Module-scoped, not session-scoped: Playwright's
    sync API keeps an event loop running in this thread, which would break the async
    tests (and any other Playwright) that run after these."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, harness):
    """A fresh 1280x800 page with the fake WebSocket; fails the test on any script error."""
    harness.posts.clear()
    harness.panel_gets.clear()
    harness.post_answer = b""
    harness.post_status = 200
    harness.post_type = "application/json"
    harness.panels.clear()
    harness.history_pages.clear()
    harness.history_gets.clear()
    harness.history_delay = 0.0
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(path=str(FAKE_SOCKET_JS))
    tab = context.new_page()
    errors: list[str] = []
    # A test that makes the server refuse a request lists the console lines that
    # Chromium and htmx print for it ("...status of 403 (Forbidden)").
    tab.expected_errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
    yield tab
    context.close()
    unexpected = [e for e in errors if not any(part in e for part in tab.expected_errors)]
    assert unexpected == [], f"script errors in the page: {unexpected}"
