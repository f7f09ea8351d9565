"""The kubelet's node duties: renew the node's Lease every 10 s, and keep node status true.

As upstream's kubelet: the Lease is the heartbeat (renewed every
nodeLeaseRenewInterval, a quarter of its 40 s duration); node status is
computed every nodeStatusUpdateFrequency (10 s) but written only when it
changed (lastHeartbeatTime aside) or nodeStatusReportFrequency (5 min) has
passed since the last report, so a watch on nodes stays quiet. The Node
object itself is registered when the node boots (cluster.sandboxes). A
write that loses a race (409) or finds its object gone (404) is tried again
at the next tick.

It files the Node's events upstream's kubelet files, which `kubectl describe
node` lists: its start ("Starting kubelet.", "Updated Node Allocatable limit
across pods") and each condition its status computation changes ("Node node-1
status is now: NodeReady").
"""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.api import ClusterApi
from cluster.components.events import EventRecorder
from cluster.components.kubelet.races import unless_raced
from cluster.objects import format_micro_time, format_time, parse_time

LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40
RENEW_SECONDS = 10  # upstream's nodeLeaseRenewInterval: 0.25 * leaseDurationSeconds
STATUS_UPDATE_SECONDS = 10  # upstream's nodeStatusUpdateFrequency: how often status is computed
STATUS_REPORT_SECONDS = 300  # upstream's nodeStatusReportFrequency: a write even if unchanged

_PRESSURE_CONDITIONS = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)
# The event upstream's condition setters record when a condition's status becomes this.
_STATUS_EVENTS = {
    ("MemoryPressure", "False"): "NodeHasSufficientMemory",
    ("MemoryPressure", "True"): "NodeHasInsufficientMemory",
    ("DiskPressure", "False"): "NodeHasNoDiskPressure",
    ("DiskPressure", "True"): "NodeHasDiskPressure",
    ("PIDPressure", "False"): "NodeHasSufficientPID",
    ("PIDPressure", "True"): "NodeHasInsufficientPID",
    ("Ready", "True"): "NodeReady",
    ("Ready", "False"): "NodeNotReady",
}


def node_duties(
    api: ClusterApi,
    node_name: str,
    state: dict,
    images: list[dict],
    now: dt.datetime,
    events: EventRecorder,
) -> dict | None:
    """Renew the Lease and update node status when due; the Node as it now is (None if gone)."""
    if due(state.get("leaseRenewedAt"), now, RENEW_SECONDS) and renew_lease(api, node_name, now):
        state["leaseRenewedAt"] = format_micro_time(now)
    node = unless_raced(api.get, "nodes", node_name)
    if node is None or not due(state.get("statusCheckedAt"), now, STATUS_UPDATE_SECONDS):
        return node
    # A kubelet that has not computed a status since it started has just started (its
    # memory goes with a power-off).
    starting = state.get("statusCheckedAt") is None
    status = node_status(node, now, images)
    report_due = due(state.get("statusPostedAt"), now, STATUS_REPORT_SECONDS)
    if report_due or starting or node_status_changed(node.get("status") or {}, status):
        posted = unless_raced(api.update_status, "nodes", {**node, "status": status})
        if posted is None:
            return node  # lost a race: try again at the next tick
        before = (node.get("status") or {}).get("conditions") or []
        record_node_events(events, node_name, before, status["conditions"], starting=starting)
        node = posted
        state["statusPostedAt"] = format_micro_time(now)
    state["statusCheckedAt"] = format_micro_time(now)
    return node


def record_node_events(
    events: EventRecorder,
    node_name: str,
    before: list[dict],
    after: list[dict],
    *,
    starting: bool,
) -> None:
    """The Node's events of a status write: the kubelet's start, then each condition whose
    status changed, in upstream's words."""
    # Upstream's kubelet names its Node by name where others use its uid; `kubectl
    # describe node` looks for both.
    node_ref = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": node_name, "uid": node_name},
    }
    if starting:
        events.normal(node_ref, "Starting", "Starting kubelet.")
        events.normal(
            node_ref, "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods"
        )
    was = {c.get("type"): c.get("status") for c in before}
    if not was.keys() & {kind for kind, _, _ in _PRESSURE_CONDITIONS}:
        # A Node as registered, before any status of the kubelet's: every condition is new
        # to it, Ready too (upstream registers a node not ready yet, then it becomes so).
        was = {}
    for condition in after:
        reason = _STATUS_EVENTS.get((condition["type"], condition["status"]))
        if reason and was.get(condition["type"]) != condition["status"]:
            events.normal(node_ref, reason, f"Node {node_name} status is now: {reason}")


def next_duty_at(state: dict, now: dt.datetime) -> dt.datetime:
    """When the next heartbeat is due; a missed one is retried a period later."""
    moments = []
    duties = (("leaseRenewedAt", RENEW_SECONDS), ("statusCheckedAt", STATUS_UPDATE_SECONDS))
    for key, every in duties:
        period = dt.timedelta(seconds=every)
        last = parse_time(state[key]) if state.get(key) else now
        moments.append(last + period if last + period > now else now + period)
    return min(moments)


def node_conditions(now: dt.datetime, previous: list[dict] | None = None) -> list[dict]:
    """The conditions a healthy kubelet reports; transition times move only on change."""
    before = {c["type"]: c for c in previous or []}
    stamp = format_time(now)
    conditions = []
    for kind, reason, message in (
        *_PRESSURE_CONDITIONS,
        ("Ready", "KubeletReady", "kubelet is posting ready status"),
    ):
        status = "True" if kind == "Ready" else "False"
        old = before.get(kind, {})
        conditions.append(
            {
                "type": kind,
                "status": status,
                "reason": reason,
                "message": message,
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": old.get("lastTransitionTime", stamp)
                if old.get("status") == status
                else stamp,
            }
        )
    return conditions


def renew_lease(api: ClusterApi, node_name: str, now: dt.datetime) -> bool:
    """Create or renew the node's Lease; False if the API server refused this time."""
    lease = unless_raced(api.get, "leases", node_name, namespace=LEASE_NAMESPACE)
    if lease is None:
        created = unless_raced(
            api.create,
            "leases",
            {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": node_name, "namespace": LEASE_NAMESPACE},
                "spec": {
                    "holderIdentity": node_name,
                    "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                    "renewTime": format_micro_time(now),
                },
            },
            namespace=LEASE_NAMESPACE,
        )
        return created is not None
    lease["spec"]["renewTime"] = format_micro_time(now)
    return unless_raced(api.update, "leases", lease, namespace=LEASE_NAMESPACE) is not None


def node_status(node: dict, now: dt.datetime, images: list[dict]) -> dict:
    """The node status this kubelet would report now, as upstream's setNodeStatus."""
    status = copy.deepcopy(node.get("status") or {})
    status["conditions"] = node_conditions(now, status.get("conditions"))
    status["images"] = images
    return status


def node_status_changed(old: dict, new: dict) -> bool:
    """Whether a write is needed before the next report, as upstream's nodeStatusHasChanged:
    anything but the conditions' lastHeartbeatTime, conditions compared by type."""

    def comparable(status: dict) -> dict:
        conditions = sorted(status.get("conditions") or [], key=lambda c: c.get("type", ""))
        beatless = [{k: v for k, v in c.items() if k != "lastHeartbeatTime"} for c in conditions]
        return {**status, "conditions": beatless}

    return comparable(old) != comparable(new)


def internal_ip(node: dict | None) -> str:
    for address in (node or {}).get("status", {}).get("addresses", []):
        if address.get("type") == "InternalIP":
            return address["address"]
    return ""


def due(last: str | None, now: dt.datetime, every_seconds: int) -> bool:
    return last is None or now - parse_time(last) >= dt.timedelta(seconds=every_seconds)
