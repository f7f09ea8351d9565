"""The live page's lesson panel follows its run (static/js/podlab/lesson_panel.js): a
"lesson" push fetches the panel again, and a push that comes while a fetch is in flight
is not lost. Static harness, fake WebSocket; the panel's fetches are held and answered
by the test, in the order a slow server would answer them."""

from __future__ import annotations

import pytest

from tests.browser.harness import SANDBOX_PATH, deliver
from tests.browser.test_diagram_module import lesson_snapshot, open_page

pytestmark = pytest.mark.browser

PANEL_PATH = f"{SANDBOX_PATH}lesson/"
LESSON_NOTE = {"type": "lesson", "run": 1, "state": "running"}


def panel(step: int) -> str:
    """The panel as templates/lessons/panel.html sends it, cut to what is tested."""
    return (
        f'<section id="lesson" hx-get="{PANEL_PATH}" hx-trigger="lesson-changed from:body"'
        f' hx-swap="outerHTML"><p class="lesson-progress">Step {step}</p>'
        f'<form hx-post="{PANEL_PATH}next/" hx-target="#lesson" hx-swap="outerHTML">'
        "<button type=submit>Next</button></form></section>"
    )


@pytest.fixture
def lesson_page(page, harness):
    open_page(page, harness, lesson_snapshot())
    page.evaluate(
        """html => {
          document.querySelector("#podlab").insertAdjacentHTML("beforeend", html);
          window.htmx.process(document.querySelector("#lesson"));
        }""",
        panel(1),
    )
    held = []
    page.route(f"**{PANEL_PATH}", lambda route: held.append(route))
    page.held = held
    return page


def wait_for_fetches(page, count: int) -> None:
    for _ in range(100):
        if len(page.held) >= count:
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"{len(page.held)} fetches of the panel, not {count}")


def answer(page, index: int, step: int) -> None:
    page.held[index].fulfill(status=200, content_type="text/html", body=panel(step))


def wait_for_step(page, step: int) -> None:
    page.wait_for_function(
        "text => document.querySelector('#lesson .lesson-progress').textContent === text",
        arg=f"Step {step}",
    )


def test_a_push_fetches_the_panel_again(lesson_page):
    deliver(lesson_page, {**LESSON_NOTE, "step": 2})
    wait_for_fetches(lesson_page, 1)
    answer(lesson_page, 0, 2)
    wait_for_step(lesson_page, 2)
    lesson_page.wait_for_timeout(200)
    assert len(lesson_page.held) == 1  # nothing new was told: no second fetch


def test_a_push_during_a_fetch_fetches_again_once_it_is_answered(lesson_page):
    deliver(lesson_page, {**LESSON_NOTE, "step": 2})
    wait_for_fetches(lesson_page, 1)
    # The run moves on again while the server is still answering the first fetch, which
    # it does with the step it had then.
    deliver(lesson_page, {**LESSON_NOTE, "step": 3})
    lesson_page.wait_for_timeout(100)
    answer(lesson_page, 0, 2)

    wait_for_fetches(lesson_page, 2)
    answer(lesson_page, 1, 3)
    wait_for_step(lesson_page, 3)


def test_a_press_answered_with_the_panel_counts_as_its_fetch(lesson_page, harness):
    """Next (or Answer) answers with the panel: sent after the last push, it is up to
    date, and no fetch follows it."""
    deliver(lesson_page, {**LESSON_NOTE, "step": 3})
    wait_for_fetches(lesson_page, 1)
    answer(lesson_page, 0, 3)
    wait_for_step(lesson_page, 3)

    harness.post_answer, harness.post_type = panel(4).encode(), "text/html"
    lesson_page.click("#lesson button")
    wait_for_step(lesson_page, 4)
    lesson_page.wait_for_timeout(200)
    assert len(lesson_page.held) == 1
