"""The NoExecute half of the node lifecycle controller (pkg/controller/nodelifecycle, 1.32).

A node whose Ready condition is False or Unknown gets the node.kubernetes.io/not-ready or
node.kubernetes.io/unreachable NoExecute taint (processTaintBaseEviction), through a
rate-limited queue per zone (doNoExecuteTaintingPass), and loses it when it is Ready
again (markNodeAsReachable). When no node of any zone is Ready, upstream suspects itself
rather than every node and stops (handleDisruption).
"""

from __future__ import annotations

import datetime as dt

from cluster.components.api import ClusterApi
from cluster.components.controllers.conditions import find_condition
from cluster.components.controllers.taints import (
    NO_EXECUTE,
    NOT_READY,
    UNREACHABLE,
    node_taints,
    swap_node_taints,
    taint_exists,
)
from cluster.objects import format_micro_time, parse_time

# --node-eviction-rate, --secondary-node-eviction-rate, --large-cluster-size-threshold,
# --unhealthy-zone-threshold: how fast nodes get NoExecute taints, by zone state.
NODE_EVICTION_RATE = 0.1
SECONDARY_NODE_EVICTION_RATE = 0.01
LARGE_CLUSTER_SIZE_THRESHOLD = 50
UNHEALTHY_ZONE_THRESHOLD = 0.55
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"

UNREACHABLE_NO_EXECUTE = {"key": UNREACHABLE, "effect": NO_EXECUTE}
NOT_READY_NO_EXECUTE = {"key": NOT_READY, "effect": NO_EXECUTE}

# Zone states (ComputeZoneState).
INITIAL = "Initial"
NORMAL = "Normal"
FULL_DISRUPTION = "FullDisruption"
PARTIAL_DISRUPTION = "PartialDisruption"


# -- the NoExecute taints (processTaintBaseEviction, doNoExecuteTaintingPass) -------------


def process_taint_based_eviction(
    api: ClusterApi, node: dict, observed: dict, tainter: NoExecuteTainter, now: dt.datetime
) -> dict:
    """Act on the Ready condition as it was before this pass, as upstream does: a node
    marked Unknown now gets its NoExecute taint from the next pass."""
    name = node["metadata"]["name"]
    taints = node_taints(node)
    status = observed.get("status")
    if status in ("False", "Unknown"):
        wanted, opposite = (
            (NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE)
            if status == "False"
            else (UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE)
        )
        if taint_exists(taints, opposite):
            # Ready went from False to Unknown or back: swap the taint at once.
            api.explain(
                f"node {name}: Ready is {status}: swapping {opposite['key']}:NoExecute"
                f" for {wanted['key']}:NoExecute"
            )
            return swap_node_taints(api, node, [wanted], [opposite], now) or node
        tainter.mark_for_tainting(node, wanted)
        return node
    if status == "True":
        return mark_node_as_reachable(api, node, tainter, now) or node
    return node


def mark_node_as_reachable(
    api: ClusterApi, node: dict, tainter: NoExecuteTainter, now: dt.datetime
) -> dict | None:
    tainter.forget(node["metadata"]["name"])
    present = [
        t
        for t in (UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE)
        if taint_exists(node_taints(node), t)
    ]
    if not present:
        return node
    keys = ", ".join(f"{taint['key']}:NoExecute" for taint in present)
    api.explain(f"node {node['metadata']['name']} is Ready: removing {keys}")
    return swap_node_taints(api, node, [], present, now)


class NoExecuteTainter:
    """Upstream's zoneNoExecuteTainter: one RateLimitedTimedQueue per zone, kept in memory.

    A node waits in its zone's queue until a token lets it through (--node-eviction-rate,
    0.1 a second, burst 1: the first node at once, the next 10 s later). Once tainted it
    stays in the queue's set, so it is not tainted twice, until it is Ready again.
    """

    def __init__(self, memory: dict) -> None:
        self.zones: dict = memory.setdefault("noExecuteTainter", {})

    def zone_seen(self, zone: str, now: dt.datetime) -> None:
        """addPodEvictorForNewZone: a new zone's limiter starts with its burst of one."""
        if zone not in self.zones:
            self.zones[zone] = {
                "queue": [],
                "set": [],
                "qps": NODE_EVICTION_RATE,
                "tokens": 1.0,
                "at": format_micro_time(now),
            }

    def mark_for_tainting(self, node: dict, wanted: dict) -> None:
        """markNodeForTainting: (re)queue the node unless it already carries the taint and
        has been through the queue."""
        zone = self.zones.get(zone_key(node))
        if zone is None:
            return
        name = node["metadata"]["name"]
        if not taint_exists(node_taints(node), wanted):
            self._remove(zone, name)
        if name not in zone["set"]:
            zone["set"].append(name)
            zone["queue"].append(name)

    def forget(self, name: str) -> None:
        for zone in self.zones.values():
            self._remove(zone, name)

    def swap_limiter(self, zone_name: str, qps: float, now: dt.datetime) -> None:
        zone = self.zones.get(zone_name)
        if zone is None or zone["qps"] == qps:
            return
        self._refill(zone, now)
        zone["qps"] = qps

    def taint_due_nodes(self, api: ClusterApi, nodes: dict[str, dict], now: dt.datetime) -> None:
        """doNoExecuteTaintingPass: taint the queued nodes the limiters let through."""
        for zone in self.zones.values():
            while zone["queue"]:
                if not self._try_accept(zone, now):
                    break
                name = zone["queue"][0]
                if self._taint(api, nodes.get(name), now):
                    zone["queue"].pop(0)
                else:
                    break  # tried again next pass

    def _taint(self, api: ClusterApi, node: dict | None, now: dt.datetime) -> bool:
        if node is None:
            return True  # no longer there
        ready = find_condition(node, "Ready")
        if ready is None:
            return False
        status = ready.get("status")
        if status not in ("False", "Unknown"):
            return True  # Ready again: nothing to taint
        # "not-ready" and "unreachable" mirror Ready=False and Ready=Unknown: never both.
        wanted, opposite = (
            (NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE)
            if status == "False"
            else (UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE)
        )
        name = node["metadata"]["name"]
        api.explain(f"node {name}: Ready is {status}: adding {wanted['key']}:NoExecute")
        written = swap_node_taints(api, node, [wanted], [opposite], now)
        if written is not None:
            node.clear()
            node.update(written)
        return written is not None

    def _try_accept(self, zone: dict, now: dt.datetime) -> bool:
        if zone["qps"] <= 0:
            return False  # upstream's never-accepting limiter: evictions stopped
        self._refill(zone, now)
        if zone["tokens"] >= 1.0:
            zone["tokens"] -= 1.0
            return True
        return False

    @staticmethod
    def _refill(zone: dict, now: dt.datetime) -> None:
        elapsed = max((now - parse_time(zone["at"])).total_seconds(), 0.0)
        zone["tokens"] = min(1.0, zone["tokens"] + elapsed * max(zone["qps"], 0.0))
        zone["at"] = format_micro_time(now)

    @staticmethod
    def _remove(zone: dict, name: str) -> None:
        if name in zone["set"]:
            zone["set"].remove(name)
        if name in zone["queue"]:
            zone["queue"].remove(name)


# -- zones (handleDisruption) -------------------------------------------------------------


def zone_key(node: dict) -> str:
    """Upstream's GetZoneKey: region and zone labels, "" when the node has neither."""
    labels = node["metadata"].get("labels") or {}
    region = labels.get(REGION_LABEL) or labels.get("failure-domain.beta.kubernetes.io/region", "")
    zone = labels.get(ZONE_LABEL) or labels.get("failure-domain.beta.kubernetes.io/zone", "")
    if not region and not zone:
        return ""
    return f"{region}:\x00:{zone}"


def compute_zone_state(ready_statuses: list[str | None]) -> tuple[int, str]:
    """ComputeZoneState: (not-Ready nodes, state). No Ready node is a full disruption; at
    least 3 not Ready and 55 % of the zone is a partial one."""
    ready = sum(1 for status in ready_statuses if status == "True")
    not_ready = len(ready_statuses) - ready
    if ready == 0 and not_ready > 0:
        return not_ready, FULL_DISRUPTION
    if not_ready > 2 and not_ready / len(ready_statuses) >= UNHEALTHY_ZONE_THRESHOLD:
        return not_ready, PARTIAL_DISRUPTION
    return not_ready, NORMAL


def _zone_qps(state: str, zone_size: int) -> float | None:
    """setLimiterInZone: a partial disruption slows tainting (stops it in a small cluster)."""
    if state in (NORMAL, FULL_DISRUPTION):
        return NODE_EVICTION_RATE
    if state == PARTIAL_DISRUPTION:
        return SECONDARY_NODE_EVICTION_RATE if zone_size > LARGE_CLUSTER_SIZE_THRESHOLD else 0.0
    return None


def handle_disruption(
    api: ClusterApi,
    memory: dict,
    tainter: NoExecuteTainter,
    zone_conditions: dict[str, list[str | None]],
    nodes: list[dict],
    now: dt.datetime,
) -> None:
    """When every node of every zone is not Ready, the trouble is more likely the control
    plane's than the nodes': upstream stops tainting and removes the NoExecute taints."""
    states: dict[str, str] = memory.setdefault("zoneStates", {})
    new_states = {}
    all_are_fully_disrupted = True
    for zone, statuses in zone_conditions.items():
        _, state = compute_zone_state(statuses)
        all_are_fully_disrupted &= state == FULL_DISRUPTION
        new_states[zone] = state
        states.setdefault(zone, INITIAL)
    for zone in [zone for zone in states if zone not in zone_conditions]:
        del states[zone]
    all_were_fully_disrupted = all(state == FULL_DISRUPTION for state in states.values())
    if all_are_fully_disrupted and all_were_fully_disrupted:
        return
    if all_are_fully_disrupted:
        api.explain("no node is Ready: entering full disruption mode, no NoExecute taints")
        for index, node in enumerate(nodes):
            nodes[index] = mark_node_as_reachable(api, node, tainter, now) or node
        for zone in states:
            tainter.swap_limiter(zone, 0.0, now)
            states[zone] = FULL_DISRUPTION
        return
    if all_were_fully_disrupted:
        # Leaving full disruption: every node gets a fresh grace period.
        stamp = format_micro_time(now)
        for entry in memory.get("nodeHealth", {}).values():
            entry["probeTimestamp"] = entry["readyTransitionTimestamp"] = stamp
    for zone, old in states.items():
        new = new_states.get(zone, old)
        if new == old and not all_were_fully_disrupted:
            continue
        qps = _zone_qps(new, len(zone_conditions.get(zone, [])))
        if qps is not None:
            tainter.swap_limiter(zone, qps, now)
        states[zone] = new
