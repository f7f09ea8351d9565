"""The cluster events that may make a pending pod schedulable, and which plugins care.

Upstream's scheduler hears every change through its informers, and moves a
pod out of the unschedulable pool only on an event registered by one of the
plugins that rejected it (EventsToRegister; the event labels are upstream's
framework.ClusterEvent labels). Podlab's scheduler lists nodes and pods at each
tick instead, so it compares what it sees with a small snapshot of what it saw
(kept in its JSON memory) and names the events in between. A kubelet's
heartbeat rewrites its Node every few seconds, and a running pod's status
changes often: neither is an event here, since neither can make a pod fit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

TERMINAL_PHASES = ("Succeeded", "Failed")

NODE_ADD = "NodeAdd"
NODE_DELETE = "NodeDelete"
NODE_ALLOCATABLE_CHANGE = "NodeAllocatableChange"
NODE_LABEL_CHANGE = "NodeLabelChange"
NODE_TAINT_CHANGE = "NodeTaintChange"
NODE_SPEC_UNSCHEDULABLE_CHANGE = "NodeSpecUnschedulableChange"
ASSIGNED_POD_ADD = "AssignedPodAdd"
ASSIGNED_POD_UPDATE = "AssignedPodUpdate"  # its labels changed
ASSIGNED_POD_DELETE = "AssignedPodDelete"  # deleted, or finished: its room is free again

_NODE_UPDATES = (
    NODE_ALLOCATABLE_CHANGE,
    NODE_LABEL_CHANGE,
    NODE_TAINT_CHANGE,
    NODE_SPEC_UNSCHEDULABLE_CHANGE,
)
# Upstream's UpdateNodeTaint action covers a cordon (spec.unschedulable) too.
_TAINT_UPDATES = (NODE_TAINT_CHANGE, NODE_SPEC_UNSCHEDULABLE_CHANGE)

# Each plugin's EventsToRegister (Kubernetes 1.32), as the events they could answer.
EVENTS_TO_REGISTER: dict[str, frozenset[str]] = {
    "NodeUnschedulable": frozenset({NODE_ADD, *_TAINT_UPDATES}),
    "NodeName": frozenset({NODE_ADD}),
    "TaintToleration": frozenset({NODE_ADD, *_TAINT_UPDATES}),
    "NodeAffinity": frozenset({NODE_ADD, NODE_LABEL_CHANGE}),
    "NodePorts": frozenset({NODE_ADD, *_NODE_UPDATES, ASSIGNED_POD_DELETE}),
    "NodeResourcesFit": frozenset({NODE_ADD, *_NODE_UPDATES, ASSIGNED_POD_DELETE}),
    "PodTopologySpread": frozenset(
        {
            NODE_ADD,
            NODE_DELETE,
            NODE_LABEL_CHANGE,
            *_TAINT_UPDATES,
            ASSIGNED_POD_ADD,
            ASSIGNED_POD_UPDATE,
            ASSIGNED_POD_DELETE,
        }
    ),
    "InterPodAffinity": frozenset(
        {NODE_ADD, NODE_LABEL_CHANGE, ASSIGNED_POD_ADD, ASSIGNED_POD_UPDATE, ASSIGNED_POD_DELETE}
    ),
}


def could_help(rejected_by: Iterable[str], events: Iterable[str]) -> bool:
    """Could any of these events make a pod rejected by these plugins fit?

    A pod no plugin rejected (there were no nodes at all) is moved by any event,
    as upstream moves a pod with no unschedulable plugins.
    """
    events = set(events)
    if not events:
        return False
    plugins = [plugin for name in rejected_by for plugin in name.split()]
    if not plugins:
        return True
    return any(EVENTS_TO_REGISTER.get(plugin, frozenset()) & events for plugin in plugins)


def _digest(value: object, length: int = 6) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:length]


def node_aspects(node: Mapping) -> str:
    """What the scheduler reads from a node, as one short string: a digest per aspect
    (allocatable, labels, taints, cordon), so that a change names its event."""
    meta, spec = node.get("metadata") or {}, node.get("spec") or {}
    status = node.get("status") or {}
    return ".".join(
        (
            _digest(status.get("allocatable") or {}),
            _digest(meta.get("labels") or {}),
            _digest(spec.get("taints") or []),
            "1" if spec.get("unschedulable") else "0",
        )
    )


def snapshot(nodes: Iterable[Mapping], bound_pods: Iterable[Mapping]) -> dict:
    """{"nodes": {name: aspects}, "pods": {uid digest: labels digest}}, JSON-serialisable.

    Pods are the bound ones that still run; a finished pod counts as gone, as its room
    is free again. Kept only while some pod waits in the unschedulable pool.
    """
    pods = {}
    for pod in bound_pods:
        if (pod.get("status") or {}).get("phase") in TERMINAL_PHASES:
            continue
        meta = pod.get("metadata") or {}
        key = _digest([meta.get("namespace", ""), meta.get("name", ""), meta.get("uid", "")], 10)
        pods[key] = _digest(meta.get("labels") or {}, 4)
    return {
        "nodes": {(n.get("metadata") or {}).get("name", ""): node_aspects(n) for n in nodes},
        "pods": pods,
    }


def events_between(before: Mapping, after: Mapping) -> set[str]:
    """The cluster events that turn snapshot `before` into `after`."""
    events: set[str] = set()
    old_nodes, new_nodes = before.get("nodes") or {}, after.get("nodes") or {}
    if new_nodes.keys() - old_nodes.keys():
        events.add(NODE_ADD)
    if old_nodes.keys() - new_nodes.keys():
        events.add(NODE_DELETE)
    for name in new_nodes.keys() & old_nodes.keys():
        old, new = old_nodes[name].split("."), new_nodes[name].split(".")
        for aspect, event in zip(range(4), _NODE_UPDATES, strict=True):
            if len(old) != 4 or old[aspect] != new[aspect]:
                events.add(event)
    old_pods, new_pods = before.get("pods") or {}, after.get("pods") or {}
    if new_pods.keys() - old_pods.keys():
        events.add(ASSIGNED_POD_ADD)
    if old_pods.keys() - new_pods.keys():
        events.add(ASSIGNED_POD_DELETE)
    if any(old_pods[key] != new_pods[key] for key in new_pods.keys() & old_pods.keys()):
        events.add(ASSIGNED_POD_UPDATE)
    return events


def pod_update_digest(pod: Mapping) -> str:
    """What an update of the pending pod itself could change for the scheduler: its labels
    and spec (upstream moves an unschedulable pod that was updated, not one whose status
    alone changed)."""
    return _digest([(pod.get("metadata") or {}).get("labels") or {}, pod.get("spec") or {}], 8)
