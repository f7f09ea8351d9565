"""The live page's script in Chromium: a failing component is marked on the diagram
(from the snapshot and from "component" notes), and the components' mode (watch or
poll) is switched from the page."""

from __future__ import annotations

import pytest

from tests.browser import cluster_data as data
from tests.browser.harness import deliver, wait_for_snapshots

pytestmark = pytest.mark.browser

FAILURE = "OverflowError: date value out of range"
# As the API server narrates the scheduler's ask for pods without a node.
ASK = "scheduler listed pods matching spec.nodeName=: 0 found (revision 10)"


def lesson_snapshot(**extra) -> dict:
    nodes = [
        data.node("control-plane", control_plane=True),
        data.node("node-1"),
        data.node("node-2"),
    ]
    return data.snapshot(nodes, [], revision=10, **extra)


def open_page(page, harness, snapshot) -> None:
    harness.load(page, snapshot=snapshot)
    deliver(page, snapshot)
    wait_for_snapshots(page, 1)


def with_failure(snapshot: dict, name: str) -> dict:
    for component in snapshot["components"]:
        if component["name"] == name:
            component |= {"failure": FAILURE, "failingSince": "2026-11-26T22:27:04.000000Z"}
    return snapshot


def test_a_failing_scheduler_is_marked_with_its_error_and_since_when(page, harness):
    open_page(page, harness, with_failure(lesson_snapshot(), "scheduler"))

    scheduler = page.locator(".diagram .component.scheduler")
    assert "failing" in scheduler.get_attribute("class")
    assert scheduler.locator(".subtitle").text_content() == "failing: OverflowError"
    assert scheduler.get_attribute("aria-label") == (
        f"kube-scheduler: failing: {FAILURE} (since 22:27:04 UTC)"
    )


def test_a_component_note_marks_a_kubelet_failing_then_healthy_again(page, harness):
    open_page(page, harness, lesson_snapshot())
    node_1 = page.locator('.diagram .node[data-node="node-1"]')
    assert node_1.locator(".chip.failing").count() == 0

    note = {"type": "component", "name": "kubelet/node-1", "running": True}
    deliver(page, note | {"failure": "RuntimeError: disk full", "failingSince": None})
    page.wait_for_selector('.diagram .node[data-node="node-1"] .chip.failing')
    assert node_1.locator(".chip.failing").text_content().startswith("kubelet failing")
    assert "kubelet failing" in node_1.locator(".node-head").get_attribute("aria-label")
    scheduler = page.locator(".diagram .component.scheduler")
    assert "failing" not in scheduler.get_attribute("class")

    deliver(page, note | {"failure": "", "failingSince": None})
    page.wait_for_function(
        "() => !document.querySelector('.diagram .node[data-node=\"node-1\"] .chip.failing')"
    )


def test_the_mode_select_switches_to_poll_and_the_scheduler_says_it_asks(page, harness):
    open_page(page, harness, lesson_snapshot())
    subtitle = page.locator(".diagram .component.scheduler .subtitle")
    assert subtitle.text_content() == "watches new pods"
    assert page.get_by_label("Components", exact=True).input_value() == "watch"

    harness.post_answer = (
        b'{"mode": "poll", "paused": false, "speed": 1, "now": "2026-11-26T22:29:00+00:00"}'
    )
    page.get_by_label("Components", exact=True).select_option("poll")
    page.wait_for_function(
        "() => document.querySelector('.diagram .scheduler .subtitle').textContent"
        " === 'asks every 5 s'"
    )
    assert [(post["path"], post["body"]) for post in harness.posts] == [
        ("/sandboxes/1/clock/mode/", "mode=poll")
    ]


def test_in_poll_mode_the_scheduler_counts_down_to_its_next_ask(page, harness):
    # The clock is paused at 22:28:00; the scheduler last asked at 22:28:02 (a step).
    ask = data.trace("scheduler", "list", "pods", "", 10, namespace="", second=2, narration=ASK)
    open_page(page, harness, lesson_snapshot(mode="poll", paused=True, traces=[ask]))
    subtitle = page.locator(".diagram .component.scheduler .subtitle")
    page.wait_for_function(
        "() => document.querySelector('.diagram .scheduler .subtitle').textContent"
        " === 'every 5 s: next in 7 s'"
    )

    later = data.trace("scheduler", "list", "pods", "", 10, namespace="", narration=ASK)
    later["sandbox_time"] = "2026-11-26T22:27:50.000000+00:00"  # long past: it asks now
    deliver(page, data.changes(10, [], [later]))
    page.wait_for_function(
        "() => document.querySelector('.diagram .scheduler .subtitle').textContent"
        " === 'every 5 s: asking now'"
    )
    assert "failing" not in subtitle.get_attribute("class")


def test_a_lesson_s_poll_interval_is_the_one_the_scheduler_counts_down(page, harness):
    """cluster.intervals.scheduler: 2 in the lesson: "every 2 s", on the diagram and the
    toolbar."""
    ask = data.trace("scheduler", "list", "pods", "", 10, namespace="", second=2, narration=ASK)
    snapshot = lesson_snapshot(mode="poll", paused=True, traces=[ask], poll_seconds=2)
    open_page(page, harness, snapshot)
    page.wait_for_function(
        "() => document.querySelector('.diagram .scheduler .subtitle').textContent"
        " === 'every 2 s: next in 4 s'"
    )
    poll = page.locator("#components-mode option[value=poll]").text_content()
    assert poll == "poll every 2 s (the lesson)"
