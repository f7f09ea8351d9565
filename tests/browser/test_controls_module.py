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
    page.wait_for_function(
        "() => !document.querySelector('#podlab').classList.contains('panel-open')"
    )
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


def history_with_two_pods(harness, live: int = 20) -> None:
    """The server's history before the page opened at `live`: pod a created at 3, pod b
    at 9; the revisions between are leases and events (not in the history's events)."""
    harness.history_pages[live] = {
        "revision": live,
        "oldest": 1,
        "from": 1,
        "to": live,
        "more": False,
        "events": [data.added(data.pod("a"), 3), data.added(data.pod("b"), 9)],
        "traces": [
            data.trace("student", "create", "pods", "a", 3),
            data.trace("kubelet/node-1", "update", "leases", "node-1", 5),
            data.trace("student", "create", "pods", "b", 9),
        ],
    }


def slider_state(page) -> dict:
    return page.evaluate(
        """() => { const s = document.querySelector('#replay');
                   return {min: +s.min, max: +s.max, value: +s.value}; }"""
    )


def test_before_first_use_the_slider_thumb_sits_at_live_on_the_right(page, harness):
    open_page(page, harness, lesson_snapshot(revision=10))
    state = slider_state(page)
    assert state["value"] == state["max"] > state["min"]
    assert page.locator("#replay-label").text_content() == "Live: revision 10"


def test_the_arrow_keys_reach_every_revision(page, harness):
    history_with_two_pods(harness)
    open_page(page, harness, lesson_snapshot([data.pod("a"), data.pod("b")], revision=20))
    page.locator("#replay").focus()
    page.wait_for_function("() => window.podlab.backfill === 'complete'")
    assert slider_state(page) == {"min": 1, "max": 20, "value": 20}
    page.keyboard.press("Home")
    page.wait_for_function("() => window.podlab.replaying === 1")
    for revision in range(2, 11):
        page.keyboard.press("ArrowRight")
        page.wait_for_function("r => window.podlab.replaying === r", arg=revision)
    assert pod_names(page) == {"a", "b"}
    page.keyboard.press("End")
    page.wait_for_function("() => window.podlab.replaying === null")


def pod_names(page) -> set[str]:
    return set(
        page.locator(".diagram .pod").evaluate_all("cards => cards.map(c => c.dataset.name)")
    )


def test_a_first_home_press_goes_to_the_oldest_revision_once_history_came(page, harness):
    history_with_two_pods(harness)
    harness.history_delay = 0.5
    open_page(page, harness, lesson_snapshot([data.pod("a"), data.pod("b")], revision=20))
    page.locator("#replay").press("Home")
    page.wait_for_function("() => window.podlab.replaying === 1", timeout=5000)
    assert pod_names(page) == set()


def test_starting_a_replay_moves_nothing_under_the_pointer(page, harness):
    history_with_two_pods(harness)
    open_page(page, harness, lesson_snapshot([data.pod("a"), data.pod("b")], revision=20))
    slider = page.locator("#replay")
    slider.focus()
    page.wait_for_function("() => window.podlab.backfill === 'complete'")
    before = slider.bounding_box()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => window.podlab.replaying === 19")
    assert page.locator(".replay-note").is_visible()
    assert slider.bounding_box() == before


def test_the_timeline_follows_the_replayed_revision(page, harness):
    snapshot = lesson_snapshot(revision=10)
    open_page(page, harness, snapshot)
    for revision in range(11, 71):  # enough calls to scroll the list
        pod = data.pod(f"p{revision}")
        deliver(
            page,
            data.changes(
                revision,
                [data.added(pod, revision)],
                [data.trace("student", "create", "pods", f"p{revision}", revision)],
            ),
        )
    page.wait_for_function("() => window.podlab.revision === 70")
    slider = page.locator("#replay")
    slider.focus()
    page.wait_for_function("() => window.podlab.backfill === 'complete'")
    page.evaluate(
        """() => { const s = document.querySelector('#replay'); s.value = '20';
                   s.dispatchEvent(new Event('input', {bubbles: true})); }"""
    )
    page.wait_for_function("() => window.podlab.replaying === 20")
    replayed = page.locator("#timeline-list .tl-item.replayed")
    assert replayed.count() == 1
    assert "p20" in replayed.text_content()
    list_box = page.locator("#timeline-list").bounding_box()
    item_box = replayed.bounding_box()
    assert list_box["y"] <= item_box["y"] and (
        item_box["y"] + item_box["height"] <= list_box["y"] + list_box["height"]
    )


def test_a_call_that_comes_late_keeps_the_numbers_in_order(page, harness):
    open_page(page, harness, lesson_snapshot(revision=10))
    early = data.trace("scheduler", "list", "pods", "", 10, narration="early read")
    later = data.trace("student", "create", "pods", "web", 11, narration="later write")
    deliver(page, data.changes(11, [data.added(data.pod("web"), 11)], [later]))
    page.wait_for_function("() => window.podlab.revision === 11")
    # The read, answered at revision 10, is pushed after the write: a stale batch.
    deliver(page, data.changes(10, [], [early]))
    page.wait_for_function(
        "() => document.querySelectorAll('#timeline-list .tl-item').length === 2"
    )
    rows = page.locator("#timeline-list .tl-item")
    assert rows.locator(".tl-text").all_text_contents() == ["early read", "later write"]
    assert rows.locator(".tl-num").all_text_contents() == ["1", "2"]


def test_a_name_no_loaded_call_has_says_older_calls_are_not_loaded_and_loads_them(page, harness):
    history_with_two_pods(harness)
    open_page(page, harness, lesson_snapshot([data.pod("a"), data.pod("b")], revision=20))
    page.get_by_placeholder("name").fill("default/a")
    note = page.locator("#timeline-none")
    note.wait_for()
    assert "older calls are not loaded" in note.text_content()
    note.get_by_role("button", name="Load older calls from history").click()
    page.wait_for_function("() => window.podlab.backfill === 'complete'")
    page.wait_for_function("() => document.querySelector('#timeline-none').hidden")
    texts = page.locator("#timeline-list .tl-item:visible .tl-text").all_text_contents()
    assert texts == ["student create pods a (revision 3)"]


def test_the_timeline_is_one_tab_stop_with_arrow_keys_between_calls(page, harness):
    traces = [
        data.trace("student", "create", "pods", f"p{n}", 10 + n, narration=f"call {n}")
        for n in range(1, 6)
    ]
    traces.insert(2, data.trace("kubelet/node-1", "update", "leases", "node-1", 12))
    open_page(page, harness, lesson_snapshot(revision=20, traces=traces))
    tab_stops = page.locator("#timeline-list .tl-summary[tabindex='0']")
    assert tab_stops.count() == 1
    assert "call 5" in tab_stops.text_content()
    tab_stops.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # the folded lease renewal is skipped
    assert page.evaluate("document.activeElement.textContent").endswith("call 2")
    page.keyboard.press("Home")
    assert page.evaluate("document.activeElement.textContent").endswith("call 1")
    page.keyboard.press("Tab")  # out of the list in one press
    assert not page.evaluate("document.activeElement.closest('#timeline-list')")
    page.keyboard.press("Shift+Tab")  # back to where the student was
    assert page.evaluate("document.activeElement.textContent").endswith("call 1")
    page.keyboard.press("Enter")
    assert page.locator("#timeline-list .tl-item.selected .tl-text").text_content() == "call 1"


# Records every message pill's box, frame by frame, until the pills are gone.
RECORD_PILLS_JS = """() => {
    window.pillFrames = [];
    window.pillsDone = false;
    const frame = () => {
        const pills = [...document.querySelectorAll('.diagram .msg-pill')];
        for (const pill of pills) {
            const box = pill.querySelector('rect').getBoundingClientRect();
            window.pillFrames.push({text: pill.textContent, left: box.left, right: box.right,
                                    top: box.top, bottom: box.bottom});
        }
        if (window.pillFrames.length && !pills.length) window.pillsDone = true;
        else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""


def box_of(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const b = e.getBoundingClientRect();"
        " return {left: b.left, right: b.right, top: b.top, bottom: b.bottom}; }"
    )


def overlaps(a: dict, b: dict) -> bool:
    return not (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


def animated_page(page, harness, snapshot):
    harness.load(page, snapshot=snapshot, query="")
    page.select_option("#pace", "4")
    deliver(page, snapshot)
    page.wait_for_function("() => window.podlab.connected")


def test_message_labels_stay_inside_the_diagram_and_off_the_names_they_travel_between(
    page, harness
):
    creating = data.pod("web", node_name="node-1")
    animated_page(page, harness, lesson_snapshot([creating], revision=10))
    event, _ = data.modified(
        creating,
        11,
        lambda pod: pod["status"].update(
            containerStatuses=[
                {
                    "name": "app",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                }
            ]
        ),
    )
    report = data.trace("kubelet/node-1", "update", "pods", "web", 11, subresource="status")
    page.evaluate(RECORD_PILLS_JS)
    deliver(page, data.changes(11, [event], [report]))
    page.wait_for_function("() => window.pillsDone", timeout=15_000)
    frames = page.evaluate("window.pillFrames")
    diagram = box_of(page, "#diagram svg")
    labels = {frame["text"] for frame in frames}
    assert "status: ContainerCreating" in labels
    for frame in frames:
        assert diagram["left"] <= frame["left"] and frame["right"] <= diagram["right"], frame
    apiserver_name = box_of(page, ".diagram .apiserver text.title")
    kubelet_name = box_of(page, '.diagram .node[data-node="node-1"] .chip-kubelet text')
    for frame in frames:
        if frame["text"] == "status: ContainerCreating":
            assert not overlaps(frame, apiserver_name), frame
            assert not overlaps(frame, kubelet_name), frame


def test_on_a_phone_the_page_fits_the_screen_and_a_panel_opens_in_view(page, harness):
    page.set_viewport_size({"width": 390, "height": 844})
    pods = [data.running(f"web-{n}", "node-1") for n in range(1, 4)]
    open_page(page, harness, lesson_snapshot(pods))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    title = box_of(page, ".sandbox-title h1")
    create = box_of(page, "#create-pod")
    assert not overlaps(title, create)
    # The diagram pans in its box, at a size whose text can be read.
    assert page.locator("#diagram svg").bounding_box()["width"] >= 600
    page.mouse.wheel(0, 900)
    page.wait_for_function("() => window.scrollY > 0")
    page.get_by_role("button", name="Create pod").click()
    page.locator("#panel .fixture-panel").wait_for()
    page.wait_for_timeout(100)  # the panel's first frame
    heading = page.locator("#panel .fixture-panel").bounding_box()
    assert heading["y"] >= 0 and heading["y"] + heading["height"] <= 844


def real_panel(template: str, **context) -> bytes:
    """A panel partial as the server renders it (templates/sandbox/partials/)."""
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/sandboxes/1/")
    request.may_write = True
    sandbox = SimpleNamespace(pk=1, get_mode_display=lambda: "watch")
    html = render_to_string(
        f"sandbox/partials/{template}", {"sandbox": sandbox, **context}, request=request
    )
    return html.encode()


def wide_decision() -> dict:
    plugins = [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "VolumeRestrictions",
    ]
    nodes = [
        {
            "node_name": name,
            "feasible": name == "node-2",
            "total_score": 187,
            "filters": [
                {
                    "plugin": plugin,
                    "passed": name == "node-2" or plugin != "NodeResourcesFit",
                    "code": "Unschedulable",
                    "reason": "Insufficient cpu (requested 1500m, 800m free)",
                }
                for plugin in plugins
            ],
        }
        for name in ("control-plane", "node-1", "node-2")
    ]
    return {
        "node_name": "node-2",
        "message": "",
        "summary": "chose node-2",
        "nodes": nodes,
    }, plugins


def panel_fits(page) -> bool:
    return page.evaluate(
        "() => { const box = document.querySelector('.panel-box');"
        " return box.scrollWidth <= box.clientWidth; }"
    )


def test_the_why_here_table_fits_the_panel(page, harness):
    decision, plugins = wide_decision()
    pod = data.running("web", "node-2")
    harness.panels["pods/default/web/"] = real_panel(
        "pod.html",
        pod=pod,
        status_label="Running",
        ready="1/1",
        restarts=0,
        events=[],
        decision=decision,
        plugins=plugins,
    )
    open_page(page, harness, lesson_snapshot([pod]))
    page.locator('.diagram .pod[data-name="web"]').click()
    page.locator("#pod-panel table.decision").wait_for()
    assert panel_fits(page)
    table = page.locator("#pod-panel table.decision").bounding_box()
    assert table["width"] <= page.locator("#panel").bounding_box()["width"]
    fit = page.locator('#pod-panel tr[data-node="node-2"] td[data-label="NodeResourcesFit"]')
    assert fit.text_content() == "✔ pass"
    # Each answer is labelled with its plugin, now that the header row is not above it.
    label = fit.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"NodeResourcesFit: "'


def test_the_yaml_editor_keeps_indentation_and_its_errors_fit_the_panel(page, harness):
    from sandbox.manifests import ApplyResult

    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   labels: {}\n"
    error = (
        "YAML syntax error: mapping values are not allowed here, in"
        " /a/very/long/path/without/spaces/that/would/otherwise/overflow/the/panel/xxxxxxxxxx"
    )
    lines = [
        (number, line, [error] if number == 5 else [])
        for number, line in enumerate(text.splitlines(), start=1)
    ]
    harness.panels["manifests/"] = real_panel(
        "manifest.html",
        text=text,
        result=ApplyResult([], parse_error=error, parse_error_line=5, parse_error_column=10),
        lines=lines,
        has_errors=True,
    )
    open_page(page, harness, lesson_snapshot())
    page.get_by_role("button", name="Create from YAML").click()
    page.locator("#manifest-editor .annotated-yaml").wait_for()
    assert panel_fits(page)
    panel_width = page.locator("#panel").bounding_box()["width"]
    assert page.locator("#manifest-text").bounding_box()["width"] >= panel_width - 4
    # The fifth line's three spaces of indentation are drawn.
    indented = page.locator('.annotated-yaml li[value="5"] code').bounding_box()
    flush = page.locator('.annotated-yaml li[value="4"] code').bounding_box()
    assert indented["x"] == flush["x"]
    assert page.locator('.annotated-yaml li[value="5"] code').evaluate(
        "code => getComputedStyle(code).whiteSpace"
    ) in {"pre", "pre-wrap"}
    assert (
        page.locator("#manifest-editor h3")
        .first.text_content()
        .startswith("YAML syntax error at line 5, column 10")
    )


POD_FORM = b"""<section class="panel-section" id="pod-form"><h2>Create a pod</h2>
<form hx-post="/sandboxes/1/pods/new/" hx-target="#panel" hx-swap="innerHTML">
<label for="id_name">Name</label><input id="id_name" name="name" value="web">
<button type="submit">Create</button></form></section>"""
CREATED = (
    b'<section class="panel-section" id="pod-panel" data-pod="default/web">'
    b"<h2>Pod web</h2></section>"
)


@pytest.mark.parametrize(("width", "sheet_stays"), [(390, False), (1280, True)])
def test_a_pod_created_on_a_phone_puts_the_sheet_away_to_show_its_story(
    page, harness, width, sheet_stays
):
    """On one column the panel is a sheet over most of the screen: once its pod is
    created, the diagram (where the pod's story is told) comes into view instead."""
    page.set_viewport_size({"width": width, "height": 844})
    harness.panels["pods/new/"] = POD_FORM
    open_page(page, harness, lesson_snapshot())
    page.get_by_role("button", name="Create pod").click()
    page.locator("#pod-form").wait_for()
    harness.post_answer, harness.post_type = CREATED, "text/html; charset=utf-8"

    page.locator("#pod-form button[type=submit]").click()

    if sheet_stays:
        page.locator("#pod-panel").wait_for()
        return
    page.wait_for_function(
        "() => !document.querySelector('#podlab').classList.contains('panel-open')"
    )
    diagram = page.locator("#diagram").bounding_box()
    assert -1 < diagram["y"] < 844  # scrolled to its top (to within a fraction of a pixel)
