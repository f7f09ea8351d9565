"""The live page's controls in Chromium (static harness, fake WebSocket): refusals told
in place, the keyboard (Escape, focus after a form), the clock read-out, the history
slider and the timeline's folding of background calls."""

from __future__ import annotations

import json

import pytest

from tests.browser import cluster_data as data
from tests.browser.harness import deliver
from tests.browser.test_diagram_module import lesson_snapshot, open_page

pytestmark = pytest.mark.browser

FORBIDDEN = {
    "kind": "Status",
    "apiVersion": "v1",
    "status": "Failure",
    "message": 'components "clock" is forbidden: User "teacher" cannot pause resource'
    ' "components" in API group "" at the cluster scope',
    "reason": "Forbidden",
    "code": 403,
}

CRASH_FORM = """<section class="panel-section" id="pod-panel" data-pod="default/web">
  <h2>Pod default/web</h2>
  <form hx-post="/sandboxes/1/pods/default/web/crash/" hx-target="#panel" class="inline">
    <label for="crash-exit">Crash with exit code</label>
    <input id="crash-exit" name="exit_code" type="number" value="1">
    <button type="submit">Crash container</button>
  </form>
</section>"""

CONFLICT_PARTIAL = """<section class="panel-section" role="alert">
  <h2>409 Conflict</h2>
  <p data-status-message>container app of pod default/web is not running: it is waiting in
  CrashLoopBackOff</p>
</section>"""


def refuse_posts(page, harness, status: int, body: str, content_type: str) -> None:
    harness.post_answer = body.encode()
    harness.post_status = status
    harness.post_type = content_type
    page.expected_errors += [f"status of {status}", f"Response Status Error Code {status}"]


def test_a_refused_clock_control_says_why_next_to_it_and_the_page_stays_live(page, harness):
    open_page(page, harness, lesson_snapshot())
    refuse_posts(page, harness, 403, json.dumps(FORBIDDEN), "application/json")
    page.get_by_role("button", name="Pause").click()
    refusal = page.locator('form[data-clock-action="pause"] + .refusal')
    refusal.wait_for()
    assert refusal.text_content().startswith('✗ 403 Forbidden: components "clock" is forbidden')
    assert page.locator("#diagram svg").count() == 1
    assert page.locator("#clock-state").text_content() == "Running ×1"
    # Still live: the next batch is drawn.
    deliver(page, data.changes(11, [data.added(data.pod("web"), 11)], []))
    page.wait_for_function("() => window.podlab.revision === 11")


def test_a_refused_panel_action_keeps_the_panel_and_says_why(page, harness):
    harness.panels["pods/default/web/"] = CRASH_FORM.encode()
    open_page(page, harness, lesson_snapshot([data.running("web", "node-1")]))
    page.locator('.diagram .pod[data-name="web"]').click()
    page.locator("#pod-panel").wait_for()
    refuse_posts(page, harness, 409, CONFLICT_PARTIAL, "text/html; charset=utf-8")
    page.get_by_role("button", name="Crash container").click()
    refusal = page.locator("#pod-panel form + .refusal")
    refusal.wait_for()
    text = " ".join(refusal.text_content().split())
    assert text == (
        "✗ 409 Conflict: container app of pod default/web is not running:"
        " it is waiting in CrashLoopBackOff"
    )
    assert page.locator("#panel").text_content().count("could not be loaded") == 0
    assert page.get_by_role("button", name="Crash container").is_visible()


def test_escape_closes_the_panel_and_gives_the_focus_back(page, harness):
    open_page(page, harness, lesson_snapshot())
    create = page.get_by_role("button", name="Create pod")
    create.focus()
    page.keyboard.press("Enter")
    page.locator("#panel .fixture-panel").wait_for()
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('#podlab').classList.contains('panel-open')")
    assert page.evaluate("document.activeElement.id") == "create-pod"


SUBMIT_FORM = """<section class="panel-section" id="pod-form"><h2>Create a pod</h2>
  <form hx-post="/sandboxes/1/pods/new/" hx-target="#panel" hx-swap="innerHTML">
    <div class="field"><label for="id_name">Name</label><input id="id_name" name="name"></div>
    <div style="height: 1500px"></div>
    <button type="submit">Create pod</button>
  </form></section>"""

FORM_WITH_ERROR = """<section class="panel-section" id="pod-form"><h2>Create a pod</h2>
  <form hx-post="/sandboxes/1/pods/new/" hx-target="#panel" hx-swap="innerHTML">
    <div class="field has-error"><label for="id_name">Name</label>
      <input id="id_name" name="name" aria-invalid="true" aria-describedby="error-name">
      <p class="field-error" id="error-name" role="alert">metadata.name: Invalid value</p></div>
    <div style="height: 1500px"></div>
    <button type="submit">Create pod</button>
  </form></section>"""


def test_after_a_form_is_answered_the_focus_stays_in_the_panel(page, harness):
    harness.panels["pods/new/"] = SUBMIT_FORM.encode()
    open_page(page, harness, lesson_snapshot())
    page.get_by_role("button", name="Create pod").click()
    page.locator("#pod-form").wait_for()
    harness.post_answer = b'<section id="pod-panel"><h2>Pod default/web</h2></section>'
    harness.post_type = "text/html; charset=utf-8"
    page.locator("#pod-form button[type=submit]").click()
    page.locator("#pod-panel").wait_for()
    assert page.evaluate("document.activeElement.textContent") == "Pod default/web"


def test_a_form_error_is_focused_and_scrolled_into_view(page, harness):
    harness.panels["pods/new/"] = SUBMIT_FORM.encode()
    open_page(page, harness, lesson_snapshot())
    page.get_by_role("button", name="Create pod").click()
    page.locator("#pod-form").wait_for()
    harness.post_answer = FORM_WITH_ERROR.encode()
    harness.post_type = "text/html; charset=utf-8"
    button = page.locator("#pod-form button[type=submit]")
    button.scroll_into_view_if_needed()
    button.click()
    page.wait_for_function("() => document.activeElement.id === 'id_name'")
    box = page.locator("#panel").bounding_box()
    field = page.locator("#id_name").bounding_box()
    assert box["y"] <= field["y"] <= box["y"] + box["height"]
