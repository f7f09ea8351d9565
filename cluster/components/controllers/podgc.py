"""pod-garbage-collector, as upstream's pkg/controller/podgc (1.32).

Every gcCheckPeriod (20 s) it force-deletes (grace 0) the pods nobody else will
finish: terminated pods above --terminated-pod-gc-threshold (12500), oldest first
(gcTerminated); terminating pods on a node that is not Ready and carries the
node.kubernetes.io/out-of-service taint (gcTerminating); pods bound to a node that
no longer exists, once it has been missing for the 40 s quarantine (gcOrphaned);
and terminating pods that were never scheduled (gcUnscheduledTerminating). A pod
that has not finished is first marked Failed, with a DisruptionTarget condition
where upstream writes one, since no kubelet will ever do it.
"""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.conditions import (
    DISRUPTION_TARGET,
    api_error_code,
    find_condition,
    update_pod_condition,
    write_pod_status,
)
from cluster.components.controllers.controller import Controller
from cluster.components.controllers.taints import OUT_OF_SERVICE, node_taints
from cluster.objects import format_micro_time, parse_time

GC_CHECK_PERIOD_SECONDS = 20.0
# quarantineTime: how long a pod's node must stay missing before its pods go, in case the
# node is only late to show up.
QUARANTINE_SECONDS = 40.0
# --terminated-pod-gc-threshold.
TERMINATED_POD_GC_THRESHOLD = 12500
ORPHANED_REASON = "DeletionByPodGC"
ORPHANED_MESSAGE = "PodGC: node no longer exists"
TERMINATED_PHASES = ("Succeeded", "Failed")


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    now = clock.now()
    pods = api.list("pods")["items"]
    nodes = {node["metadata"]["name"]: node for node in api.list("nodes")["items"]}
    gc_terminated(api, pods, TERMINATED_POD_GC_THRESHOLD, now)
    gc_terminating(api, pods, nodes, now)
    gc_orphaned(api, pods, nodes, memory, now)
    gc_unscheduled_terminating(api, pods, now)
    api.explain("")
    quarantine = memory.get("quarantine") or {}
    memory["wake_at"] = (
        format_micro_time(
            min(parse_time(since) for since in quarantine.values())
            + dt.timedelta(seconds=QUARANTINE_SECONDS)
        )
        if quarantine
        else None
    )


def is_terminated(pod: dict) -> bool:
    """isPodTerminated: any phase but Pending, Running and Unknown."""
    return (pod.get("status") or {}).get("phase") not in ("Pending", "Running", "Unknown")


def gc_terminated(api: ClusterApi, pods: list[dict], threshold: int, now: dt.datetime) -> None:
    if threshold <= 0:
        return
    terminated = [pod for pod in pods if is_terminated(pod)]
    excess = len(terminated) - threshold
    if excess <= 0:
        return
    doomed = sorted(terminated, key=_eviction_and_creation_order)[:excess]
    api.explain(
        f"{len(terminated)} terminated pods, threshold {threshold}: deleting the {excess} oldest"
    )
    for pod in doomed:
        _mark_failed_and_delete(api, pod, None, now)


def _eviction_and_creation_order(pod: dict) -> tuple:
    """byEvictionAndCreationTimestamp: pods the kubelet evicted first, then the oldest."""
    status = pod.get("status") or {}
    evicted = status.get("phase") == "Failed" and status.get("reason") == "Evicted"
    meta = pod["metadata"]
    return (not evicted, meta.get("creationTimestamp") or "", meta["name"])


def gc_terminating(
    api: ClusterApi, pods: list[dict], nodes: dict[str, dict], now: dt.datetime
) -> None:
    """Terminating pods on a node declared out of service, whose kubelet will not finish them."""
    for pod in pods:
        if not pod["metadata"].get("deletionTimestamp"):
            continue
        node = nodes.get(pod["spec"].get("nodeName") or "")
        if node is None or _is_ready(node):
            continue
        if not any(taint.get("key") == OUT_OF_SERVICE for taint in node_taints(node)):
            continue
        api.explain(
            f"pod {_ref(pod)} is terminating on node {node['metadata']['name']}, not Ready"
            f" and tainted {OUT_OF_SERVICE}: deleting it"
        )
        _mark_failed_and_delete(api, pod, None, now)


def gc_orphaned(
    api: ClusterApi, pods: list[dict], nodes: dict[str, dict], memory: dict, now: dt.datetime
) -> None:
    """Pods bound to a node that is gone, after the node's quarantine; memory["quarantine"]
    keeps when each missing node was first noticed (upstream's delaying queue)."""
    quarantine: dict[str, str] = memory.setdefault("quarantine", {})
    missing = {
        pod["spec"]["nodeName"]
        for pod in pods
        if pod["spec"].get("nodeName") and pod["spec"]["nodeName"] not in nodes
    }
    for name in list(quarantine):
        if name not in missing:
            del quarantine[name]  # back, or its pods are gone
    for name in missing:
        quarantine.setdefault(name, format_micro_time(now))
    deleted = set()
    for name, since in sorted(quarantine.items()):
        waited = (now - parse_time(since)).total_seconds()
        if waited >= QUARANTINE_SECONDS and not _node_exists(api, name):
            deleted.add(name)
    for pod in pods:
        node_name = pod["spec"].get("nodeName")
        if node_name not in deleted:
            continue
        waited = (now - parse_time(quarantine[node_name])).total_seconds()
        api.explain(
            f"pod {_ref(pod)} is bound to node {node_name}, missing for {waited:.0f} s"
            f" (quarantine {QUARANTINE_SECONDS:.0f} s): deleting it"
        )
        condition = {
            "type": DISRUPTION_TARGET,
            "status": "True",
            "reason": ORPHANED_REASON,
            "message": ORPHANED_MESSAGE,
        }
        _mark_failed_and_delete(api, pod, condition, now)
    for name in deleted:
        del quarantine[name]


def gc_unscheduled_terminating(api: ClusterApi, pods: list[dict], now: dt.datetime) -> None:
    """A pod deleted before it was scheduled has no kubelet to finish it."""
    for pod in pods:
        if not pod["metadata"].get("deletionTimestamp") or pod["spec"].get("nodeName"):
            continue
        api.explain(f"pod {_ref(pod)} is terminating but was never scheduled: deleting it")
        _mark_failed_and_delete(api, pod, None, now)


def _mark_failed_and_delete(
    api: ClusterApi, pod: dict, condition: dict | None, now: dt.datetime
) -> None:
    """markFailedAndDeletePodWithCondition: Failed (with the condition) unless finished, then
    deleted with grace 0."""
    meta = pod["metadata"]
    try:
        if (pod.get("status") or {}).get("phase") not in TERMINATED_PHASES:
            failed = copy.deepcopy(pod)
            status = failed.setdefault("status", {})
            status["phase"] = "Failed"
            if condition is not None:
                update_pod_condition(status, condition, now)
            write_pod_status(api, failed)
        api.delete(
            "pods",
            meta["name"],
            namespace=meta.get("namespace", ""),
            grace_period_seconds=0,
            preconditions={"uid": meta["uid"]} if meta.get("uid") else None,
        )
    except Exception as error:
        if api_error_code(error) is None:
            raise
        # Gone already or changed meanwhile: the next pass looks again.


def _node_exists(api: ClusterApi, name: str) -> bool:
    """checkIfNodeExists: asks the API server itself, not its own list, before deleting."""
    try:
        api.get("nodes", name)
    except Exception as error:
        if api_error_code(error) == 404:
            return False
        if api_error_code(error) is None:
            raise
    return True


def _is_ready(node: dict) -> bool:
    ready = find_condition(node, "Ready")
    return bool(ready) and ready.get("status") == "True"


def _ref(pod: dict) -> str:
    meta = pod["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


CONTROLLER = Controller(
    name="podgc",
    reconcile=reconcile,
    watches=frozenset(),  # upstream's podgc runs on its period alone
    resync_seconds=GC_CHECK_PERIOD_SECONDS,
    poll_seconds=GC_CHECK_PERIOD_SECONDS,
)
