"""On the real stack: a click's story drawn on the diagram, in order, from the kubectl
command in the terminal to the binding written to etcd."""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import drawn, record_drawing
from tests.e2e.conftest import wait_connected
from tests.e2e.test_live_page import create_pod_with_form

pytestmark = pytest.mark.django_db(transaction=True)

# A page that sees a revision gap (pushes from two worker processes can arrive out of
# commit order) resyncs, and the snapshot drops the messages still to travel: the
# story is then told again with another pod.
ATTEMPTS = 3


def told_without_resync(page, name: str) -> bool:
    """Create a pod from the form; True once its binding's watch notice has travelled,
    False if a resync came first."""
    resyncs = page.evaluate("window.podlab.resyncs")
    record_drawing(page)
    create_pod_with_form(page, name)
    page.wait_for_function(
        "([name, resyncs]) => window.podlab.resyncs > resyncs"
        " || window.drawn.some(d => d.text === `watch: run ${name}`)",
        arg=[name, resyncs],
        timeout=60_000,
    )
    return page.evaluate("window.podlab.resyncs") == resyncs


def test_a_created_pod_passes_the_stages_is_scored_and_bound_on_the_diagram(
    open_page, sandbox, alice
):
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/")
    wait_connected(page)
    # Very slow: the picture may trail the store by seconds, so no call is folded away.
    page.select_option("#pace", "0.25")
    names = [f"web-{attempt}" for attempt in range(ATTEMPTS)]
    name = next((name for name in names if told_without_resync(page, name)), None)
    assert name is not None, f"a resync interrupted each of {ATTEMPTS} attempts"

    log = [d for d in drawn(page) if not d["kind"].startswith("gone")]
    texts = [d["text"] for d in log]
    lights = [d["text"] for d in drawn(page) if d["kind"] == "gone stage-panel"]
    assert "authentication ✓authorization ✓admission ✓validation ✓" in lights
    [marks] = [d for d in log if d["kind"] == "marks"]
    by_node = {node: text for node, text, _ in marks["marks"]}
    assert by_node["control-plane"].startswith("✗ node(s) had untolerated taint")
    [chosen] = [node for node, text in by_node.items() if text.startswith("✓ chosen")]
    other = ({"node-1", "node-2"} - {chosen}).pop()
    assert re.fullmatch(r"✓ chosen: score \d+", by_node[chosen])
    assert re.fullmatch(r"score \d+", by_node[other])
    story = [
        f"create pod {name}",
        f"store pod {name}",
        "201 Created",
        marks["text"],
        f"bind {name} to {chosen}",
        f"store binding {name} → {chosen}",
        f"watch: run {name}",
    ]
    positions = [texts.index(step) for step in story]
    assert positions == sorted(positions), texts
    command = page.locator(".diagram .command-window text").text_content()
    assert command == f"$ kubectl run {name} --image=nginx:1.27.3 --restart=Always"
    assert page.errors == []
