"""Whom a committed change wakes in watch mode: the scheduler hears what may free room."""

from types import SimpleNamespace

from cluster.loops import watchers_of
from cluster.models import Sandbox

WATCH = SimpleNamespace(mode=Sandbox.Mode.WATCH)
POLL = SimpleNamespace(mode=Sandbox.Mode.POLL)


def pod_event(kind: str, phase: str = "Running", before: str | None = "Running") -> dict:
    pod = {"spec": {"nodeName": "node-1"}, "status": {"phase": phase}}
    previous = {"spec": {"nodeName": "node-1"}, "status": {"phase": before}} if before else None
    return {"type": kind, "key": "/registry/pods/default/web", "object": pod, "previous": previous}


def test_a_bound_pod_deleted_wakes_the_scheduler_as_well_as_its_kubelet():
    woken = watchers_of(WATCH, "kubelet/node-1", [pod_event("DELETED")])
    assert woken == {"scheduler"}  # the kubelet made the change: it is not woken


def test_a_bound_pod_that_just_finished_wakes_the_scheduler():
    assert "scheduler" in watchers_of(WATCH, "user", [pod_event("MODIFIED", "Succeeded")])


def test_a_running_pod_s_status_does_not_wake_the_scheduler():
    assert watchers_of(WATCH, "user", [pod_event("MODIFIED")]) == {"kubelet/node-1"}
    finished_again = pod_event("MODIFIED", "Succeeded", before="Succeeded")
    assert watchers_of(WATCH, "user", [finished_again]) == {"kubelet/node-1"}


def test_in_poll_mode_the_scheduler_polls():
    assert watchers_of(POLL, "user", [pod_event("DELETED")]) == {"kubelet/node-1"}


def node_event(kind: str, before: dict | None, after: dict) -> dict:
    return {"type": kind, "key": "/registry/minions/node-1", "object": after, "previous": before}


NODE = {
    "metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}},
    "spec": {},
    "status": {"allocatable": {"cpu": "2"}, "images": [], "conditions": []},
}


def test_a_node_s_images_or_heartbeat_do_not_wake_the_scheduler():
    pulled = {**NODE, "status": {**NODE["status"], "images": [{"names": ["nginx"]}]}}
    assert "scheduler" not in watchers_of(
        WATCH, "kubelet/node-1", [node_event("MODIFIED", NODE, pulled)]
    )


def test_a_node_added_cordoned_tainted_relabelled_or_resized_wakes_the_scheduler():
    changes = [
        {**NODE, "spec": {"unschedulable": True}},
        {**NODE, "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}},
        {**NODE, "metadata": {**NODE["metadata"], "labels": {"disk": "ssd"}}},
        {**NODE, "status": {**NODE["status"], "allocatable": {"cpu": "4"}}},
    ]
    for changed in changes:
        assert "scheduler" in watchers_of(WATCH, "user", [node_event("MODIFIED", NODE, changed)])
    assert "scheduler" in watchers_of(WATCH, "kubelet/node-1", [node_event("ADDED", None, NODE)])
    assert "scheduler" in watchers_of(WATCH, "user", [node_event("DELETED", NODE, NODE)])
