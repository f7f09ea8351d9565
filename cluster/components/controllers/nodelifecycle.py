"""node-lifecycle-controller, as upstream's pkg/controller/nodelifecycle (1.32).

Every node-monitor-period it judges each node's health from the kubelet's two
heartbeats, its Lease in kube-node-lease and the Ready condition's
lastHeartbeatTime (tryUpdateNodeHealth): whichever changed last moves the node's
"probe timestamp", the moment this controller last heard from it, kept in memory
as upstream keeps it (its own clock, so the kubelet's clock does not matter).
A node not heard from within the grace period gets its conditions set to Unknown.

It keeps the taints that follow from a node's state: NoSchedule ones mapped from
its conditions and from spec.unschedulable (doNoScheduleTaintingPass), and the
NoExecute not-ready/unreachable taints, added through a rate-limited queue per
zone (doNoExecuteTaintingPass) and removed when the node is Ready again. Evicting
the pods that do not tolerate those taints is the taint-eviction-controller's work
(tainteviction.py), as in 1.32, where SeparateTaintEvictionController is on.
"""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.conditions import (
    api_error_code,
    find_condition,
    update_pod_condition,
    write_pod_status,
)
from cluster.components.controllers.controller import WAKE_BATCH_SECONDS, Controller
from cluster.components.controllers.noexecute_tainting import (
    NoExecuteTainter,
    handle_disruption,
    mark_node_as_reachable,
    process_taint_based_eviction,
    zone_key,
)
from cluster.components.controllers.taints import (
    DISK_PRESSURE,
    MEMORY_PRESSURE,
    NETWORK_UNAVAILABLE,
    NO_SCHEDULE,
    NOT_READY,
    PID_PRESSURE,
    UNREACHABLE,
    UNSCHEDULABLE,
    node_taints,
    swap_node_taints,
    taint_exists,
)
from cluster.components.events import EventRecorder
from cluster.objects import format_micro_time, format_time, parse_time

# --node-monitor-period: how often node health is judged.
NODE_MONITOR_PERIOD_SECONDS = 5.0
# --node-monitor-grace-period: 50 s since 1.32 (kubernetes#126287, "The default value for
# node-monitor-grace-period has been increased to 50s (earlier 40s)", CHANGELOG-1.32),
# so that it outlasts HTTP/2's health check (30 s ping timeout + 15 s read idle timeout).
NODE_MONITOR_GRACE_PERIOD_SECONDS = 50.0
# --node-startup-grace-period: for a node whose kubelet never posted a Ready condition.
NODE_STARTUP_GRACE_PERIOD_SECONDS = 60.0
# scheduler.NodeHealthUpdateRetry: tries of one node's health update that loses a race.
NODE_HEALTH_UPDATE_RETRY = 5

LEASE_NAMESPACE = "kube-node-lease"
EVENT_COMPONENT = "node-controller"  # upstream's event source for this controller
EXCLUDE_DISRUPTION_LABEL = "node.kubernetes.io/exclude-disruption"

# nodeConditionToTaintKeyStatusMap: which condition status brings which NoSchedule taint.
CONDITION_TAINTS: dict[str, dict[str, str]] = {
    "Ready": {"False": NOT_READY, "Unknown": UNREACHABLE},
    "MemoryPressure": {"True": MEMORY_PRESSURE},
    "DiskPressure": {"True": DISK_PRESSURE},
    "NetworkUnavailable": {"True": NETWORK_UNAVAILABLE},
    "PIDPressure": {"True": PID_PRESSURE},
}
CONDITION_TAINT_KEYS = frozenset(key for by in CONDITION_TAINTS.values() for key in by.values())

# The conditions a silent node's kubelet can no longer vouch for (NetworkUnavailable is the
# network plugin's, so it stays).
KUBELET_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")

# Zone states (ComputeZoneState).


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    """One monitorNodeHealth pass, with the tainting passes upstream runs beside it."""
    now = clock.now()
    recorder = EventRecorder(
        api, clock, component=EVENT_COMPONENT, memory=memory.setdefault("events", {})
    )
    _forget_health_after_an_absence(api, memory, now)
    nodes = api.list("nodes")["items"]
    leases = {
        lease["metadata"]["name"]: lease
        for lease in api.list("leases", namespace=LEASE_NAMESPACE)["items"]
    }
    tainter = NoExecuteTainter(memory)
    nodes = _classify_nodes(api, recorder, memory, nodes, tainter, now)
    health = memory.setdefault("nodeHealth", {})
    retry = set(memory.get("nodesToRetry") or [])
    zone_conditions: dict[str, list[str | None]] = {}
    monitored = []
    for node in nodes:
        result = _update_node_health(api, node, leases.get(node["metadata"]["name"]), health, now)
        if result is None:
            continue  # gone, or refused five times: judged again next period
        node, observed, current = result
        if EXCLUDE_DISRUPTION_LABEL not in (node["metadata"].get("labels") or {}):
            zone_conditions.setdefault(zone_key(node), []).append(
                current.get("status") if current else None
            )
        if current is not None:
            node = process_taint_based_eviction(api, node, observed, tainter, now)
            _mark_pods_not_ready_on_transition(api, recorder, node, observed, current, retry, now)
        node = _no_schedule_tainting_pass(api, node, now)
        api.explain("")  # each node's calls carry their own reason
        monitored.append(node)
    memory["nodesToRetry"] = sorted(retry)
    handle_disruption(api, memory, tainter, zone_conditions, monitored, now)
    tainter.taint_due_nodes(api, {n["metadata"]["name"]: n for n in monitored}, now)
    api.explain("")
    memory["wake_at"] = None  # every node-monitor-period anyway


def _forget_health_after_an_absence(api: ClusterApi, memory: dict, now: dt.datetime) -> None:
    """Upstream keeps nodeHealth in memory, so a kube-controller-manager that restarts
    hears from every node afresh and gives it a whole grace period. A pass that comes
    more than a grace period after the last one is this controller coming back from
    such an absence (stopped as a fault, or the whole of Podlab restarted): the
    heartbeats missed meanwhile say nothing of the nodes, only of the controller."""
    last = memory.get("lastMonitoredAt")
    memory["lastMonitoredAt"] = format_micro_time(now)
    if last is None or not memory.get("nodeHealth"):
        return
    away = (now - parse_time(last)).total_seconds()
    if away > NODE_MONITOR_GRACE_PERIOD_SECONDS:
        memory["nodeHealth"] = {}
        api.explain(
            f"not running for {away:.0f} s: every node's health is judged afresh,"
            " as after a restart"
        )


# -- nodes seen and gone (classifyNodes) ---------------------------------------------------


def _classify_nodes(
    api: ClusterApi,
    recorder: EventRecorder,
    memory: dict,
    nodes: list[dict],
    tainter: NoExecuteTainter,
    now: dt.datetime,
) -> list[dict]:
    known = memory.setdefault("knownNodes", {})
    names = {node["metadata"]["name"] for node in nodes}
    result = []
    for node in nodes:
        name = node["metadata"]["name"]
        tainter.zone_seen(zone_key(node), now)
        if name not in known:
            message = f"Node {name} event: Registered Node {name} in Controller"
            recorder.normal(node, "RegisteredNode", message)
            known[name] = node["metadata"].get("uid", "")
            node = mark_node_as_reachable(api, node, tainter, now) or node
        result.append(node)
    for name in sorted(set(known) - names):
        gone = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": known[name]}}
        message = f"Node {name} event: Removing Node {name} from Controller"
        recorder.normal(gone, "RemovingNode", message)
        del known[name]
        memory.get("nodeHealth", {}).pop(name, None)
        tainter.forget(name)
    return result


# -- health (tryUpdateNodeHealth) ---------------------------------------------------------


def _update_node_health(
    api: ClusterApi, node: dict, lease: dict | None, health: dict, now: dt.datetime
) -> tuple[dict, dict, dict | None] | None:
    """(node as now stored, Ready as observed before this pass, Ready as it is now), retried
    on a lost race with a fresh read as upstream does; None if the node cannot be judged."""
    for _ in range(NODE_HEALTH_UPDATE_RETRY):
        try:
            return try_update_node_health(api, node, lease, health, now)
        except Exception as error:
            if api_error_code(error) is None:
                raise
        try:
            node = api.get("nodes", node["metadata"]["name"])
        except Exception as error:
            if api_error_code(error) is None:
                raise
            return None
    return None


def try_update_node_health(
    api: ClusterApi, node: dict, lease: dict | None, health: dict, now: dt.datetime
) -> tuple[dict, dict, dict | None]:
    """Upstream's tryUpdateNodeHealth. health[name] is its nodeHealthData: the Ready
    condition last seen, probeTimestamp (when this controller last heard from the node),
    readyTransitionTimestamp and the Lease's renewTime last seen."""
    name = node["metadata"]["name"]
    saved = health.get(name)
    current = find_condition(node, "Ready")
    created = node["metadata"].get("creationTimestamp") or format_time(now)
    if current is None:
        # The kubelet never posted status: judge from registration, with a longer grace.
        observed = {
            "type": "Ready",
            "status": "Unknown",
            "lastHeartbeatTime": created,
            "lastTransitionTime": created,
        }
        grace = NODE_STARTUP_GRACE_PERIOD_SECONDS
        if saved is not None:
            saved = {**saved, "ready": None}
        else:
            saved = _health(None, probe=created, transition=created)
    else:
        observed = copy.deepcopy(current)
        grace = NODE_MONITOR_GRACE_PERIOD_SECONDS
    saved_ready = saved.get("ready") if saved else None
    saved_lease = saved.get("leaseRenewTime") if saved else None
    stamp = format_micro_time(now)
    if saved is None or (saved_ready is None) != (current is None):
        entry = _health(current, probe=stamp, transition=stamp)
    elif current is not None and saved_ready.get("lastHeartbeatTime") != current.get(
        "lastHeartbeatTime"
    ):
        changed = saved_ready.get("lastTransitionTime") != current.get("lastTransitionTime")
        transition = stamp if changed else saved["readyTransitionTimestamp"]
        entry = _health(current, probe=stamp, transition=transition)
    else:
        entry = saved
    # A renewed Lease is a heartbeat too, and the one a quiet kubelet sends most often.
    renewed = (lease or {}).get("spec", {}).get("renewTime")
    if renewed and (saved_lease is None or parse_time(saved_lease) < parse_time(renewed)):
        entry = {**entry, "leaseRenewTime": renewed, "probeTimestamp": stamp}
    health[name] = entry

    silent = (now - parse_time(entry["probeTimestamp"])).total_seconds()
    if silent <= grace:
        return node, observed, current
    updated = copy.deepcopy(node)
    _mark_conditions_unknown(updated, created, now)
    current = find_condition(updated, "Ready")
    if current == observed:
        return node, observed, current  # already Unknown: nothing to write
    if current is not None and find_condition(node, "Ready") is None:
        api.explain(
            f"node {name}: no status since it registered {silent:.0f} s ago"
            f" (startup grace period {grace:.0f} s): marking it Unknown"
        )
    else:
        api.explain(
            f"node {name}: no heartbeat for {silent:.0f} s (grace period {grace:.0f} s):"
            " marking it Unknown"
        )
    written = api.update_status("nodes", updated)
    health[name] = {
        **_health(
            find_condition(written, "Ready"), probe=entry["probeTimestamp"], transition=stamp
        ),
        "leaseRenewTime": renewed or entry.get("leaseRenewTime"),
    }
    return written, observed, find_condition(written, "Ready")


def judgement_due_at(memory: dict, node_name: str) -> dt.datetime | None:
    """When this controller marks the node Unknown if no heartbeat comes before: the last
    time it heard from the node plus the grace period (the startup grace period for a
    node that never posted status). None if it has not seen the node, or already judged
    it Unknown."""
    entry = (memory.get("nodeHealth") or {}).get(node_name)
    if not entry or not entry.get("probeTimestamp"):
        return None
    ready = entry.get("ready")
    if ready is not None and ready.get("status") == "Unknown":
        return None
    grace = NODE_MONITOR_GRACE_PERIOD_SECONDS if ready else NODE_STARTUP_GRACE_PERIOD_SECONDS
    return parse_time(entry["probeTimestamp"]) + dt.timedelta(seconds=grace)


def _health(ready: dict | None, *, probe: str, transition: str) -> dict:
    return {
        "ready": copy.deepcopy(ready),
        "probeTimestamp": probe,
        "readyTransitionTimestamp": transition,
        "leaseRenewTime": None,
    }


def _mark_conditions_unknown(node: dict, created: str, now: dt.datetime) -> None:
    conditions = node.setdefault("status", {}).setdefault("conditions", [])
    stamp = format_time(now)
    for condition_type in KUBELET_CONDITIONS:
        condition = next((c for c in conditions if c.get("type") == condition_type), None)
        if condition is None:
            conditions.append(
                {
                    "type": condition_type,
                    "status": "Unknown",
                    "reason": "NodeStatusNeverUpdated",
                    "message": "Kubelet never posted node status.",
                    "lastHeartbeatTime": created,
                    "lastTransitionTime": stamp,
                }
            )
        elif condition.get("status") != "Unknown":
            condition.update(
                status="Unknown",
                reason="NodeStatusUnknown",
                message="Kubelet stopped posting node status.",
                lastTransitionTime=stamp,
            )


# -- pods on a node that stopped being Ready (MarkPodsNotReady) ----------------------------


def _mark_pods_not_ready_on_transition(
    api: ClusterApi,
    recorder: EventRecorder,
    node: dict,
    observed: dict,
    current: dict,
    retry: set[str],
    now: dt.datetime,
) -> None:
    name = node["metadata"]["name"]
    became_not_ready = current.get("status") != "True" and observed.get("status") == "True"
    if became_not_ready:
        recorder.normal(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady")
    elif not (name in retry and observed.get("status") != "True"):
        retry.discard(name)
        return
    if mark_pods_not_ready(api, recorder, name, now):
        retry.discard(name)
    else:
        retry.add(name)


def mark_pods_not_ready(
    api: ClusterApi, recorder: EventRecorder, node_name: str, now: dt.datetime
) -> bool:
    """Set Ready=False on the node's pods, as upstream's MarkPodsNotReady, so Services stop
    sending them traffic; False if some write failed (tried again next period)."""
    pods = api.list("pods", field_selector=f"spec.nodeName={node_name}")["items"]
    ok = True
    for pod in pods:
        ready = find_condition(pod, "Ready")
        if ready is None:
            continue
        updated = copy.deepcopy(pod)
        if not update_pod_condition(updated["status"], {**ready, "status": "False"}, now):
            continue
        meta = pod["metadata"]
        api.explain(
            f"node {node_name} is not Ready: marking pod {meta.get('namespace')}/{meta['name']}"
            " not Ready"
        )
        try:
            write_pod_status(api, updated)
        except Exception as error:
            code = api_error_code(error)
            if code is None:
                raise
            if code != 404:
                ok = False
            continue
        recorder.warning(pod, "NodeNotReady", "Node is not ready")
    return ok


# -- the NoSchedule taints (doNoScheduleTaintingPass) -------------------------------------


def desired_no_schedule_taints(node: dict) -> list[dict]:
    """The NoSchedule taints the node's conditions and spec.unschedulable call for."""
    taints = []
    for condition in (node.get("status") or {}).get("conditions") or []:
        key = CONDITION_TAINTS.get(condition.get("type"), {}).get(condition.get("status"))
        if key:
            taints.append({"key": key, "effect": NO_SCHEDULE})
    if (node.get("spec") or {}).get("unschedulable"):
        taints.append({"key": UNSCHEDULABLE, "effect": NO_SCHEDULE})
    return taints


def _no_schedule_tainting_pass(api: ClusterApi, node: dict, now: dt.datetime) -> dict:
    wanted = desired_no_schedule_taints(node)
    owned = [
        taint
        for taint in node_taints(node)
        if taint.get("effect") == NO_SCHEDULE
        and (taint.get("key") == UNSCHEDULABLE or taint.get("key") in CONDITION_TAINT_KEYS)
    ]
    to_add = [taint for taint in wanted if not taint_exists(owned, taint)]
    to_remove = [taint for taint in owned if not taint_exists(wanted, taint)]
    if not to_add and not to_remove:
        return node
    api.explain(_no_schedule_reason(node, to_add, to_remove))
    return swap_node_taints(api, node, to_add, to_remove, now) or node


def _no_schedule_reason(node: dict, to_add: list[dict], to_remove: list[dict]) -> str:
    name = node["metadata"]["name"]
    parts = []
    for taint in to_add:
        parts.append(f"{_why_tainted(node, taint['key'])}: adding {taint['key']}:NoSchedule")
    for taint in to_remove:
        parts.append(f"{_why_untainted(node, taint['key'])}: removing {taint['key']}:NoSchedule")
    return f"node {name}: " + "; ".join(parts)


def _why_tainted(node: dict, key: str) -> str:
    if key == UNSCHEDULABLE:
        return "cordoned (spec.unschedulable)"
    for condition_type, by_status in CONDITION_TAINTS.items():
        for status, taint_key in by_status.items():
            if taint_key == key:
                return f"{condition_type} is {status}"
    return "not wanted"


def _why_untainted(node: dict, key: str) -> str:
    if key == UNSCHEDULABLE:
        return "uncordoned"
    condition_type = next(t for t, by in CONDITION_TAINTS.items() if key in by.values())
    condition = find_condition(node, condition_type) or {}
    return f"{condition_type} is {condition.get('status', 'not reported')}"


CONTROLLER = Controller(
    name="nodelifecycle",
    reconcile=reconcile,
    # Node changes bring the NoSchedule taints at once (upstream's node informer); health
    # is judged every node-monitor-period whatever changed, Leases included.
    watches=frozenset({"nodes"}),
    resync_seconds=NODE_MONITOR_PERIOD_SECONDS,
    wake_delay=WAKE_BATCH_SECONDS,
)
