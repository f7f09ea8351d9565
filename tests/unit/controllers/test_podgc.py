"""Pod garbage collection: orphans after the quarantine, the terminated-pod threshold,
unscheduled terminating pods and out-of-service nodes."""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.controllers import podgc
from cluster.components.controllers.podgc import TERMINATED_POD_GC_THRESHOLD, gc_terminated
from cluster.objects import format_time, parse_time

from .nodes_and_pods import START, cluster, condition, running_pod


def gone(api, name):
    return ("default", name) not in api.objects["pods"]


def test_pods_on_a_missing_node_are_deleted_after_the_40_s_quarantine():
    api, clock = cluster("node-1")
    api.put("pods", running_pod("web", "node-3"))
    api.put("pods", running_pod("home", "node-1"))
    memory: dict = {}
    podgc.reconcile(api, clock, memory)
    assert parse_time(memory["wake_at"]) == START + dt.timedelta(seconds=40)
    clock.advance(39)
    podgc.reconcile(api, clock, memory)
    assert not gone(api, "web")
    statuses = {}
    original_update_status = api.update_status

    def spy(resource, obj, **kwargs):
        statuses[obj["metadata"]["name"]] = copy.deepcopy(obj["status"])
        return original_update_status(resource, obj, **kwargs)

    api.update_status = spy
    clock.advance(1)
    podgc.reconcile(api, clock, memory)
    assert gone(api, "web") and not gone(api, "home")
    # Marked Failed, with upstream's condition, before the forced delete (grace 0).
    assert statuses["web"]["phase"] == "Failed"
    target = condition({"status": statuses["web"]}, "DisruptionTarget")
    assert (target["reason"], target["message"]) == (
        "DeletionByPodGC",
        "PodGC: node no longer exists",
    )
    [delete] = [c for c in api.calls if c[0] == "delete"]
    assert delete == ("delete", "pods", "web", 0, {"uid": "uid-web"})
    assert (
        "pod default/web is bound to node node-3, missing for 40 s (quarantine 40 s):"
        " deleting it" in api.reasons
    )
    assert memory["quarantine"] == {} and memory["wake_at"] is None


def test_a_node_that_shows_up_within_the_quarantine_keeps_its_pods():
    api, clock = cluster("node-1")
    api.put("pods", running_pod("web", "node-2"))
    memory: dict = {}
    podgc.reconcile(api, clock, memory)
    clock.advance(20)
    api.put("nodes", {"metadata": {"name": "node-2"}, "spec": {}, "status": {}})
    podgc.reconcile(api, clock, memory)
    clock.advance(60)
    podgc.reconcile(api, clock, memory)
    assert not gone(api, "web")
    assert memory["quarantine"] == {}


def test_terminated_pods_above_the_threshold_go_evicted_first_then_oldest():
    api, clock = cluster("node-1")

    def finished(name, minute, **status):
        pod = running_pod(name, "node-1")
        pod["metadata"]["creationTimestamp"] = format_time(START + dt.timedelta(minutes=minute))
        pod["status"] = {"phase": "Succeeded", **status}
        return api.put("pods", pod)

    pods = [
        finished("old", 1),
        finished("older", 0),
        finished("evicted-young", 9, phase="Failed", reason="Evicted"),
        finished("young", 8),
        api.put("pods", running_pod("running", "node-1")),
    ]
    gc_terminated(api, pods, 2, clock.now())
    assert [name for name in ("older", "evicted-young") if gone(api, name)] == [
        "older",
        "evicted-young",
    ]
    assert not any(gone(api, name) for name in ("old", "young", "running"))
    assert "4 terminated pods, threshold 2: deleting the 2 oldest" in api.reasons


def test_the_threshold_is_upstreams_12500_so_a_few_finished_pods_stay():
    api, clock = cluster("node-1")
    pod = running_pod("done", "node-1")
    pod["status"] = {"phase": "Succeeded"}
    api.put("pods", pod)
    podgc.reconcile(api, clock, {})
    assert not gone(api, "done")
    assert TERMINATED_POD_GC_THRESHOLD == 12500


def test_an_unscheduled_terminating_pod_is_deleted():
    api, clock = cluster("node-1")
    pod = running_pod("stuck", "")
    pod["spec"].pop("nodeName")
    pod["status"] = {"phase": "Pending"}
    pod["metadata"]["deletionTimestamp"] = format_time(START)
    api.put("pods", pod)
    podgc.reconcile(api, clock, {})
    assert gone(api, "stuck")
    assert "pod default/stuck is terminating but was never scheduled: deleting it" in api.reasons


def test_terminating_pods_on_an_out_of_service_node_are_deleted():
    api, clock = cluster("node-1", "node-2")
    for name, node_name in (("web", "node-2"), ("kept", "node-1")):
        pod = running_pod(name, node_name)
        pod["metadata"]["deletionTimestamp"] = format_time(START)
        api.put("pods", pod)
    node = copy.deepcopy(api.node("node-2"))
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}]
    node["status"]["conditions"][0]["status"] = "Unknown"
    api.put("nodes", node)
    podgc.reconcile(api, clock, {})
    assert gone(api, "web")
    assert not gone(api, "kept")  # its node is Ready: its kubelet finishes it
