"""The lesson's story, end to end, with a real Celery worker and beat, Redis and the database."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError, ApiServer
from cluster.models import Trace
from tests.apiserver.manifests import pod_manifest
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def pod_of(api: ApiServer, name: str) -> dict | None:
    try:
        return api.get("pods", name, namespace="default")
    except ApiError:
        return None


def phase_is(api: ApiServer, name: str, phase: str):
    def check():
        pod = pod_of(api, name)
        return pod if pod and pod["status"].get("phase") == phase else None

    return check


def test_a_created_pod_becomes_running_on_a_worker_with_traces_in_lesson_order(
    stack, sandbox, alice
):
    api = ApiServer.as_user(sandbox, alice)
    created = api.create("pods", pod_manifest("web"), namespace="default")
    assert created["status"]["phase"] == "Pending"

    running = wait_for(phase_is(api, "web", "Running"), timeout=30)
    assert running["spec"]["nodeName"] in {"node-1", "node-2"}
    (container,) = running["status"]["containerStatuses"]
    assert container["ready"] and "running" in container["state"]
    assert running["status"]["podIP"].startswith("10.244.")

    steps = [
        (t.actor, t.verb, t.subresource)
        for t in Trace.objects.filter(sandbox=sandbox, name="web", code__lt=300).order_by("id")
    ]
    node = running["spec"]["nodeName"]
    lesson = [
        ("alice", "create", ""),
        ("scheduler", "create", "binding"),
        (f"kubelet/{node}", "update", "status"),
    ]
    positions = [steps.index(step) for step in lesson]
    assert positions == sorted(positions), steps


def test_a_pod_too_big_for_every_node_stays_pending_with_the_upstream_message(
    stack, sandbox, alice
):
    api = ApiServer.as_user(sandbox, alice)
    manifest = pod_manifest("huge")
    manifest["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "3"}}
    api.create("pods", manifest, namespace="default")

    def unschedulable():
        pod = pod_of(api, "huge")
        conditions = pod["status"].get("conditions", [])
        return next((c for c in conditions if c.get("reason") == "Unschedulable"), None)

    condition = wait_for(unschedulable, timeout=30)
    assert condition["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint"
        " {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes"
        " are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims"
        " found for incoming pod."
    )
