"""A student goes through lesson 1 in the browser, from its start (the lesson list, or a
class's code typed on the Join page) to its end: reads, creates the pod with the page's
form, answers, picks a node, and watches the cluster do the rest."""

from __future__ import annotations

import time

import pytest

from cluster.clock import clock_set_speed
from lessons import engine
from lessons.classes import class_create
from lessons.models import LessonRun
from lessons.shipped_lessons import shipped_lessons
from tests.conftest import make_user
from tests.e2e.conftest import wait_connected

pytestmark = pytest.mark.django_db(transaction=True)

LESSON_SECONDS = 150  # wall seconds for the whole lesson at x10, with room to spare
CURRENT_KIND_JS = """() => {
  const step = (state) => document.querySelector(`#lesson .lesson-step[data-state="${state}"]`);
  if (step("current")) return step("current").dataset.kind;
  return step("done") ? "finished" : null;
}"""
PROGRESS_JS = "() => document.querySelector('#lesson .lesson-progress')?.textContent.trim() ?? ''"


LESSON_ONE = "how-kubernetes-creates-a-pod"


def start_from_the_list(open_page, student):
    page = open_page(student, "/lessons/")
    page.click(f"form[action='/lessons/{LESSON_ONE}/start/'] button")
    return page


def start_with_a_class_code(open_page, student):
    [lesson] = [lesson for lesson in shipped_lessons() if lesson.slug == LESSON_ONE]
    code = class_create(instructor=make_user("ms-rivera"), name="Tuesday", lesson=lesson).code
    page = open_page(student, "/join/")
    page.fill("#join-code", code)
    page.click("button:text('Join')")
    return page


@pytest.mark.parametrize("start", [start_from_the_list, start_with_a_class_code])
def test_a_student_goes_through_lesson_one_from_start_to_end(open_page, alice, start):
    page = start(open_page, alice)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.wait_for_selector("#lesson .lesson-step")
    wait_connected(page)
    run = LessonRun.objects.get(student=alice)
    clock_set_speed(run.sandbox, 10)  # as a student may, with the Speed control

    seen_kinds = []
    deadline = time.monotonic() + LESSON_SECONDS
    while time.monotonic() < deadline:
        kind = page.evaluate(CURRENT_KIND_JS)
        progress = page.evaluate(PROGRESS_JS)
        if kind == "finished":
            break
        if (kind, progress) not in seen_kinds:
            seen_kinds.append((kind, progress))
        if kind == "narrate":
            page.click("#lesson button:text('Next')")
        elif kind == "do":  # the request: the page's own create form
            page.click("#create-pod")
            page.wait_for_selector("#pod-form")
            page.fill("#id_name", "web")
            page.fill("#id_image", "nginx")
            page.click("#pod-form button[type=submit]")
        elif kind == "ask" and page.locator("#lesson .node-choices button").count():
            page.click('g.node-head[data-name="node-2"]')  # on the diagram itself
        elif kind == "ask" and page.locator("#lesson input[name=choice]").count():
            right = {"Step 5 of 23": 1, "Step 20 of 23": 2}[progress]
            page.check(f"#lesson input[name=choice][value='{right}']")
            page.click("#lesson button:text('Answer')")
        # Anything else (a wait, an act): the cluster moves it on, and the panel follows.
        moved = f"({CURRENT_KIND_JS})() !== kind || ({PROGRESS_JS})() !== progress"
        try:
            page.wait_for_function(
                f"([kind, progress]) => {moved}", arg=[kind, progress], timeout=60_000
            )
        except Exception:
            run.refresh_from_db()
            pytest.fail(
                f"stuck at {kind} ({progress}): {page.inner_text('#lesson')!r}, {run.progress}"
            )
    else:
        pytest.fail(f"the lesson did not end; last steps: {seen_kinds[-3:]}")

    run.refresh_from_db()
    assert run.state == engine.DONE
    results = run.progress["results"]
    assert results["is-it-running"] == {"answer": 1, "revealed": True, "right": True}
    assert results["where-will-it-go"]["answer"] == "node-2"
    assert results["where-will-it-go"]["node"] in ("node-1", "node-2")
    assert results["pod-running"]["points"] == 1
    assert "You finished “How Kubernetes creates a pod”" in page.inner_text("#lesson")
    # Every kind of step that waits was met on the page (acts and checkpoints pass at once).
    kinds = {kind for kind, _ in seen_kinds}
    assert kinds >= {"narrate", "do", "ask", "wait_for"}
    assert errors == []
