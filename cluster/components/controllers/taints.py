"""The node taints the node controllers own, and upstream's rules for comparing them
(pkg/util/taints: a taint is known by its key and effect)."""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.api import ClusterApi
from cluster.components.controllers.conditions import api_error_code
from cluster.objects import format_time

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
PID_PRESSURE = "node.kubernetes.io/pid-pressure"
NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"

NO_SCHEDULE = "NoSchedule"
NO_EXECUTE = "NoExecute"

# As upstream's retry.RetryOnConflict around a taint change: the kubelet writes the Node
# too, so a stale resourceVersion is worth a fresh read and another try.
UPDATE_RETRIES = 5


def node_taints(node: dict) -> list[dict]:
    return list((node.get("spec") or {}).get("taints") or [])


def matches(taint: dict, other: dict) -> bool:
    """Upstream's MatchTaint: the same key and effect (value and timeAdded aside)."""
    return taint.get("key") == other.get("key") and taint.get("effect") == other.get("effect")


def taint_exists(taints: list[dict], wanted: dict) -> bool:
    return any(matches(taint, wanted) for taint in taints)


def no_execute_taints(node: dict) -> list[dict]:
    return [taint for taint in node_taints(node) if taint.get("effect") == NO_EXECUTE]


def describe(taint: dict) -> str:
    """'node.kubernetes.io/unreachable:NoExecute', as kubectl prints a taint."""
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key')}{value}:{taint.get('effect')}"


def swapped_taints(
    taints: list[dict], add: list[dict], remove: list[dict], now: dt.datetime
) -> list[dict]:
    """Taints after adding `add` (stamped timeAdded, as SwapNodeControllerTaint does) and
    removing `remove`; a taint already there keeps its timeAdded."""
    result = [taint for taint in taints if not taint_exists(remove, taint)]
    for taint in add:
        if not taint_exists(result, taint):
            result.append(
                {"key": taint["key"], "effect": taint["effect"], "timeAdded": format_time(now)}
            )
    return result


def swap_node_taints(
    api: ClusterApi, node: dict, add: list[dict], remove: list[dict], now: dt.datetime
) -> dict | None:
    """Write the node's taints with `add` added and `remove` removed, in one update of the
    Node (upstream makes it a patch for each half). The Node as written, unchanged when
    nothing was to change, or None when it is gone or the API server kept refusing."""
    for _ in range(UPDATE_RETRIES):
        taints = swapped_taints(node_taints(node), add, remove, now)
        if taints == node_taints(node):
            return node
        updated = copy.deepcopy(node)
        spec = updated.setdefault("spec", {})
        if taints:
            spec["taints"] = taints
        else:
            spec.pop("taints", None)  # an empty list is left out, as Go's omitempty
        try:
            return api.update("nodes", updated)
        except Exception as error:
            if api_error_code(error) != 409:
                if api_error_code(error) is None:
                    raise
                return None
        try:
            node = api.get("nodes", node["metadata"]["name"])
        except Exception as error:
            if api_error_code(error) is None:
                raise
            return None
    return None
