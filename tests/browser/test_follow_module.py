"""Parts of a page that follow the server's pushes (static/js/podlab/follow.js): the
live page's lesson panel, told by "lesson" pushes. A push fetches the panel again; one
that comes while a fetch of it is in flight is not lost; one the panel already shows
fetches nothing; an answer older than the panel on show is not swapped in. Static
harness, fake WebSocket; the panel's fetches are held and answered by the test, in the
order a slow server would answer them."""

from __future__ import annotations

import pytest

from tests.browser.harness import SANDBOX_PATH, deliver
from tests.browser.test_diagram_module import lesson_snapshot, open_page

pytestmark = pytest.mark.browser

PANEL_PATH = f"{SANDBOX_PATH}lesson/"


def panel(version: int) -> str:
    """The panel as templates/lessons/panel.html sends it, cut to what is tested: its
    run had moved `version` times, and it shows step `version`."""
    return (
        f'<section id="lesson" data-follow-url="{PANEL_PATH}" data-version="{version}">'
        f'<p class="lesson-progress">Step {version}</p>'
        f'<form hx-post="{PANEL_PATH}next/" hx-target="#lesson" hx-swap="outerHTML">'
        "<button type=submit>Next</button></form></section>"
    )


def moved(version: int) -> dict:
    return {"type": "lesson", "run": 1, "moves": version, "state": "running"}


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


def answer(page, index: int, version: int) -> None:
    page.held[index].fulfill(status=200, content_type="text/html", body=panel(version))


def wait_for_step(page, step: int) -> None:
    page.wait_for_function(
        "text => document.querySelector('#lesson .lesson-progress').textContent === text",
        arg=f"Step {step}",
    )


def test_a_push_fetches_the_panel_again_and_one_it_shows_does_not(lesson_page):
    deliver(lesson_page, moved(2))
    wait_for_fetches(lesson_page, 1)
    answer(lesson_page, 0, 2)
    wait_for_step(lesson_page, 2)
    deliver(lesson_page, moved(2))  # the dashboard's copy, or a second tab's
    lesson_page.wait_for_timeout(200)
    assert len(lesson_page.held) == 1


def test_a_push_during_a_fetch_fetches_again_once_it_has_landed(lesson_page):
    deliver(lesson_page, moved(2))
    wait_for_fetches(lesson_page, 1)
    # The run moves on again while the server is still answering the first fetch, which
    # it does with the step it had then: one more fetch, once that one has landed.
    deliver(lesson_page, moved(3))
    lesson_page.wait_for_timeout(100)
    assert len(lesson_page.held) == 1
    answer(lesson_page, 0, 2)
    wait_for_fetches(lesson_page, 2)
    answer(lesson_page, 1, 3)
    wait_for_step(lesson_page, 3)


def test_a_press_answered_with_the_new_step_is_not_followed_by_a_fetch(lesson_page, harness):
    """Next answers with the panel. The push of the same move comes while the press is
    on its way: no fetch after it, that would swap the panel again under the student
    (a choice half made would be lost)."""
    harness.post_answer, harness.post_type = panel(2).encode(), "text/html"
    lesson_page.route(f"**{PANEL_PATH}next/", lambda route: lesson_page.held.append(route))
    lesson_page.click("#lesson button")
    wait_for_fetches(lesson_page, 1)
    deliver(lesson_page, moved(2))
    lesson_page.held[0].fulfill(status=200, content_type="text/html", body=panel(2))
    wait_for_step(lesson_page, 2)
    lesson_page.wait_for_timeout(200)
    assert len(lesson_page.held) == 1


def test_an_answer_older_than_the_panel_on_show_is_not_swapped_in(lesson_page):
    deliver(lesson_page, moved(2))
    wait_for_fetches(lesson_page, 1)
    # Meanwhile the student's own press lands with step 3...
    lesson_page.evaluate(
        """html => {
          const old = document.querySelector("#lesson");
          old.insertAdjacentHTML("afterend", html);
          old.remove();
        }""",
        panel(3),
    )
    # ...and the slow fetch comes back with step 2: the panel stays at 3.
    answer(lesson_page, 0, 2)
    lesson_page.wait_for_timeout(200)
    wait_for_step(lesson_page, 3)
