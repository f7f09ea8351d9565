"""The lesson's ending in a browser: a node dies under a Deployment's pod, the node goes
Unknown, the pod is evicted, and its replacement runs on the other node."""

from __future__ import annotations

import re

import pytest

from cluster.apiserver import ApiServer
from cluster.clock import clock_set_speed
from tests.e2e.conftest import wait_connected
from tests.e2e.lesson import POD_SHOWS_STATUS_JS
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

RUNNING_PODS_ON_JS = """(node) => [...document.querySelectorAll('g.pod')]
    .filter((card) => (card.getAttribute('aria-label') || '').includes(': Running'))
    .filter((card) => card.closest('g.node')?.dataset.node === node).length"""


def test_a_stopped_nodes_pod_is_replaced_on_the_other_node(open_page, sandbox, alice):
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(page)
    page.click("#create-pod")
    page.wait_for_selector("#pod-form")
    page.fill("#id_name", "web")
    page.select_option("#id_workload", "Deployment")
    page.fill("#id_replicas", "1")
    page.click("#pod-form button[type=submit]")
    page.wait_for_selector('#workload-panel[data-workload="deployments/default/web"]')

    api = ApiServer.as_user(sandbox, alice)

    def running_pod():
        pods = api.list("pods", namespace="default")["items"]
        return next((p for p in pods if p["status"].get("phase") == "Running"), None)

    pod = wait_for(running_pod, timeout=40)
    name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
    other = {"node-1": "node-2", "node-2": "node-1"}[node]
    page.wait_for_function(
        f"([name, status]) => ({POD_SHOWS_STATUS_JS})(name, status)",
        arg=[name, "Running"],
        timeout=20_000,
    )

    # 50 s of grace period and 300 s of toleration, at x100.
    clock_set_speed(sandbox, 100)
    page.locator(f'rect.node-box[data-name="{node}"]').click()
    page.wait_for_selector(f'#node-panel[data-node="{node}"]')
    page.click("#node-panel button:text('Stop node')")
    page.wait_for_selector("#node-panel button:text('Start node')")

    page.wait_for_function(
        f"(node) => ({RUNNING_PODS_ON_JS})(node) === 1", arg=other, timeout=60_000
    )
    # The timeline tells the ending in order, in plain words.
    texts = page.evaluate(
        "[...document.querySelectorAll('#timeline-list li')].map((li) => li.innerText)"
    )
    steps = [
        rf"node {node}: no heartbeat for \d+ s \(grace period 50 s\): marking it Unknown",
        rf"pod default/{name} tolerates node\.kubernetes\.io/unreachable for 300 s.*evicting",
        r"replicaset default/web-\w+ wants 1, sees 0: creating 1",
        r"reported the status of pod default/web-\w+-\w+ \(Running\)",
    ]
    found_at = 0
    for step in steps:
        found = next(
            (i for i, text in enumerate(texts) if i >= found_at and re.search(step, text)), None
        )
        assert found is not None, f"the timeline does not tell {step!r} in order"
        found_at = found
    assert page.errors == []
