"""The node lifecycle, taint eviction and pod GC controllers against the real API server:
what they write passes its validation, under their own identities, and their traces say why."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError, ApiServer
from cluster.components.controllers import nodelifecycle, podgc, tainteviction
from cluster.components.kubelet.node import renew_lease
from cluster.models import Trace
from tests.apiserver.manifests import pod_manifest
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.django_db


def controller(sandbox, name: str) -> ApiServer:
    return ApiServer.as_component(sandbox, f"controller-manager/{name}")


def keep_alive(sandbox, clock, *names):
    for name in names:
        renew_lease(ApiServer.as_component(sandbox, f"kubelet/{name}"), name, clock.now())


def bound_pod(api, sandbox, name, node, **spec):
    api.create("pods", pod_manifest(name, **spec), namespace="default")
    ApiServer.as_component(sandbox, "scheduler").bind(name, node)


def test_a_silent_node_goes_unknown_and_is_tainted_through_the_api_server(api, sandbox):
    clock = FakeClock(sandbox.now())
    memory: dict = {}
    lifecycle = controller(sandbox, "nodelifecycle")
    keep_alive(sandbox, clock, "control-plane", "node-1", "node-2")
    nodelifecycle.reconcile(lifecycle, clock, memory)
    for _ in range(13):  # 65 s of node-monitor-periods; node-2's kubelet is gone
        clock.advance(5)
        keep_alive(sandbox, clock, "control-plane", "node-1")
        nodelifecycle.reconcile(lifecycle, clock, memory)
    node = api.get("nodes", "node-2")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    assert {(t["key"], t["effect"]) for t in node["spec"]["taints"]} == {
        ("node.kubernetes.io/unreachable", "NoSchedule"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    }
    trace = Trace.objects.filter(verb="update", resource="nodes", name="node-2").latest("id")
    assert trace.actor == "controller-manager/nodelifecycle"
    assert trace.narration.startswith(
        "controller-manager/nodelifecycle: node node-2: Ready is Unknown: adding"
        " node.kubernetes.io/unreachable:NoExecute;"
    )


def test_cordon_brings_the_unschedulable_taint(api, sandbox):
    clock = FakeClock(sandbox.now())
    api.patch("nodes", "node-1", {"spec": {"unschedulable": True}})
    nodelifecycle.reconcile(controller(sandbox, "nodelifecycle"), clock, {})
    taints = api.get("nodes", "node-1")["spec"]["taints"]
    assert [(t["key"], t["effect"]) for t in taints] == [
        ("node.kubernetes.io/unschedulable", "NoSchedule")
    ]


def test_the_taint_eviction_controller_marks_and_deletes_an_intolerant_pod(api, sandbox):
    clock = FakeClock(sandbox.now())
    impatient = [
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 0,
        }
    ]
    bound_pod(api, sandbox, "web", "node-2", tolerations=impatient)
    api.patch(
        "nodes",
        "node-2",
        {"spec": {"taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]}},
    )
    tainteviction.reconcile(controller(sandbox, "taint-eviction-controller"), clock, {})
    pod = api.get("pods", "web", namespace="default")
    assert "deletionTimestamp" in pod["metadata"]  # graceful: node-2's kubelet would finish it
    target = next(c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (target["reason"], target["message"]) == (
        "DeletionByTaintManager",
        "Taint manager: deleting due to NoExecute taint",
    )
    event = next(
        e
        for e in api.list("events", namespace="default")["items"]
        if e["reason"] == "TaintManagerEviction"
    )
    assert event["message"] == "Marking for deletion Pod default/web"
    delete = Trace.objects.filter(verb="delete", resource="pods").latest("id")
    assert delete.actor == "controller-manager/taint-eviction-controller"


def test_pod_gc_fails_and_deletes_the_pods_of_a_removed_node(api, sandbox):
    clock = FakeClock(sandbox.now())
    bound_pod(api, sandbox, "web", "node-2")
    api.delete("nodes", "node-2")
    memory: dict = {}
    gc = controller(sandbox, "podgc")
    podgc.reconcile(gc, clock, memory)
    assert api.get("pods", "web", namespace="default")
    clock.advance(40)
    podgc.reconcile(gc, clock, memory)
    with pytest.raises(ApiError) as missing:
        api.get("pods", "web", namespace="default")
    assert missing.value.code == 404
    failed = Trace.objects.filter(verb="update", resource="pods", name="web").latest("id")
    assert failed.actor == "controller-manager/podgc"
    assert "missing for 40 s (quarantine 40 s)" in failed.narration
