"""taint-eviction-controller, as upstream's pkg/controller/tainteviction (1.32).

A pod on a node with a NoExecute taint it does not tolerate is deleted at once; one
that tolerates it for tolerationSeconds is deleted when they run out; one that
tolerates it for ever stays. Before deleting, it writes the DisruptionTarget
condition and records a TaintManagerEviction event, as upstream does.

Since 1.29 (SeparateTaintEvictionController, on by default in 1.32) this is a
controller of its own beside node-lifecycle-controller, so here too: the node
lifecycle controller taints, this one evicts, and taints put by hand
(`kubectl taint ... :NoExecute`) evict the same way. It acts under the
node-controller service account, as upstream's does.

Upstream keeps a timer per pod, started when it first sees the pod on the tainted
node, which is a watch event right after the taint is added. Here the timers are
kept in memory and start at the taint's timeAdded (or at the pod's creation, for a
pod that came later), so that a pass delayed by poll mode or by a stopped
controller manager does not put the eviction off.
"""

from __future__ import annotations

import datetime as dt

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.conditions import (
    api_error_code,
    with_disruption_target,
    write_pod_status,
)
from cluster.components.controllers.controller import (
    KNOW_NOTHING,
    WAKE_BATCH_SECONDS,
    ClusterFacts,
    Controller,
)
from cluster.components.controllers.taints import describe, no_execute_taints
from cluster.components.events import EventRecorder
from cluster.components.scheduler.plugins.tolerations import tolerates
from cluster.objects import format_micro_time, parse_time

NAME = "taint-eviction-controller"
EVENT_REASON = "TaintManagerEviction"
CONDITION_REASON = "DeletionByTaintManager"
CONDITION_MESSAGE = "Taint manager: deleting due to NoExecute taint"
FOR_EVER = -1.0
# A century: longer than any sandbox runs, short enough to add to any date it reaches.
MAX_TOLERATION_SECONDS = 100 * 365 * 24 * 3600


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    now = clock.now()
    scheduled: dict[str, dict] = memory.setdefault("scheduled", {})
    tainted = {
        node["metadata"]["name"]: node
        for node in api.list("nodes")["items"]
        if no_execute_taints(node)
    }
    memory["wake_at"] = None
    if not tainted and not scheduled:
        return  # nothing tainted, nothing pending: no need to read the pods
    recorder = EventRecorder(api, clock, component=NAME, memory=memory.setdefault("events", {}))
    pods = {_key(pod): pod for pod in api.list("pods")["items"] if pod["spec"].get("nodeName")}
    for key in sorted(set(scheduled) - set(pods)):
        del scheduled[key]  # deleted meanwhile (upstream cancels it, with an event)
    for key, pod in pods.items():
        if pod["metadata"].get("deletionTimestamp"):
            scheduled.pop(key, None)  # already on its way out
            continue
        node = tainted.get(pod["spec"]["nodeName"])
        _process_pod_on_node(api, recorder, scheduled, pod, node, now)
    _fire_due_evictions(api, recorder, scheduled, pods, now)
    api.explain("")
    if scheduled:
        # Not rounded down: a wake-up before the time would find nothing due, and again.
        memory["wake_at"] = min(scheduled.values(), key=lambda e: parse_time(e["fireAt"]))["fireAt"]


def matching_tolerations(taints: list[dict], tolerations: list[dict]) -> list[dict] | None:
    """Upstream's GetMatchingTolerations: for each taint the first toleration that tolerates
    it, or None when some taint is tolerated by none."""
    used = []
    for taint in taints:
        toleration = next((t for t in tolerations if tolerates(t, taint)), None)
        if toleration is None:
            return None
        used.append(toleration)
    return used


def min_toleration_seconds(tolerations: list[dict]) -> float:
    """getMinTolerationTime: the shortest tolerationSeconds (0 or less: at once), or
    FOR_EVER when none of them sets one."""
    if not tolerations:
        return 0.0
    limits = [t["tolerationSeconds"] for t in tolerations if t.get("tolerationSeconds") is not None]
    if not limits:
        return FOR_EVER
    return max(float(min(limits)), 0.0)


def _process_pod_on_node(
    api: ClusterApi,
    recorder: EventRecorder,
    scheduled: dict[str, dict],
    pod: dict,
    node: dict | None,
    now: dt.datetime,
) -> None:
    """processPodOnNode: schedule, keep or cancel the pod's eviction."""
    key = _key(pod)
    if node is None:
        _cancel(api, recorder, scheduled, pod, "its node has no NoExecute taint now")
        return
    taints = no_execute_taints(node)
    node_name = node["metadata"]["name"]
    used = matching_tolerations(taints, pod["spec"].get("tolerations") or [])
    if used is None:
        untolerated = next(
            t
            for t in taints
            if not any(tolerates(x, t) for x in pod["spec"].get("tolerations") or [])
        )
        scheduled[key] = _entry(pod, node_name, now, now)
        scheduled[key]["why"] = (
            f"pod {key} does not tolerate {describe(untolerated)} on node {node_name}:"
            " evicting it now"
        )
        return
    seconds = min_toleration_seconds(used)
    if seconds >= MAX_TOLERATION_SECONDS:
        # tolerationSeconds is an int64: a toleration that outlasts the calendar (year 9999
        # is Python's last) is one for ever, rather than a date no clock can reach.
        seconds = FOR_EVER
    if seconds == FOR_EVER:
        _cancel(api, recorder, scheduled, pod, "it tolerates the node's NoExecute taints for ever")
        return
    existing = scheduled.get(key)
    if existing and existing["uid"] == pod["metadata"].get("uid"):
        return  # as upstream: a scheduled eviction keeps its time
    start = _start_of(pod, taints, now)
    fire_at = start + dt.timedelta(seconds=seconds)
    scheduled[key] = _entry(pod, node_name, start, fire_at)
    shortest = min(
        (t for t in used if t.get("tolerationSeconds") is not None),
        key=lambda t: t["tolerationSeconds"],
    )
    taint_key = shortest.get("key") or "every NoExecute taint"
    scheduled[key]["why"] = (
        f"pod {key} tolerates {taint_key} for {seconds:.0f} s, since"
        f" {start.strftime('%H:%M:%S')}: evicting"
    )


def _start_of(pod: dict, taints: list[dict], now: dt.datetime) -> dt.datetime:
    """When the pod's toleration time started: the taint's timeAdded (the earliest of the
    node's NoExecute taints), or the pod's creation if it came later; never in the future."""
    added = [parse_time(t["timeAdded"]) for t in taints if t.get("timeAdded")]
    if not added:
        return now
    start = min(added)
    if created := pod["metadata"].get("creationTimestamp"):
        start = max(start, parse_time(created))
    return min(start, now)


def _entry(pod: dict, node_name: str, created_at: dt.datetime, fire_at: dt.datetime) -> dict:
    return {
        "uid": pod["metadata"].get("uid", ""),
        "node": node_name,
        "createdAt": format_micro_time(created_at),
        "fireAt": format_micro_time(fire_at),
    }


def _cancel(
    api: ClusterApi, recorder: EventRecorder, scheduled: dict[str, dict], pod: dict, why: str
) -> None:
    key = _key(pod)
    if scheduled.pop(key, None) is None:
        return
    api.explain(f"pod {key}: {why}: cancelling its eviction")
    recorder.normal(pod, EVENT_REASON, f"Cancelling deletion of Pod {key}")


def _fire_due_evictions(
    api: ClusterApi,
    recorder: EventRecorder,
    scheduled: dict[str, dict],
    pods: dict[str, dict],
    now: dt.datetime,
) -> None:
    for key in sorted(scheduled, key=lambda k: scheduled[k]["fireAt"]):
        entry = scheduled[key]
        if parse_time(entry["fireAt"]) > now:
            continue
        del scheduled[key]
        api.explain(entry.get("why") or f"pod {key}: evicting")
        recorder.normal(pods[key], EVENT_REASON, f"Marking for deletion Pod {key}")
        _add_condition_and_delete(api, pods[key], now)


def _add_condition_and_delete(api: ClusterApi, pod: dict, now: dt.datetime) -> None:
    """addConditionAndDeletePod: DisruptionTarget first, so whoever watches the pod knows
    why it goes, then an ordinary (graceful) delete."""
    meta = pod["metadata"]
    namespace = meta.get("namespace", "")
    try:
        current = api.get("pods", meta["name"], namespace=namespace)
        if current["metadata"].get("uid") != meta.get("uid"):
            return  # another pod by that name now
        marked = with_disruption_target(current, CONDITION_REASON, CONDITION_MESSAGE, now)
        if marked is not None:
            write_pod_status(api, marked)
        api.delete("pods", meta["name"], namespace=namespace)
    except Exception as error:
        if api_error_code(error) is None:
            raise
        # Gone already, or a lost race: the next pass sees the pod again if it is still there.


def _key(pod: dict) -> str:
    meta = pod["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def may_change_evictions(resource: str, event: dict, facts: ClusterFacts = KNOW_NOTHING) -> bool:
    """As upstream's handlers: a pod matters when it lands on a node that may carry a
    NoExecute taint, or its tolerations change there; a node when its taints change or it
    goes."""
    new, old = event.get("object") or {}, event.get("previous") or {}
    if event.get("type") == "DELETED":
        return resource == "nodes"
    if resource == "pods":
        spec, before = new.get("spec") or {}, old.get("spec") or {}
        if not spec.get("nodeName"):
            return False  # not on a node yet: no taint of a node concerns it
        if not any(spec.get(f) != before.get(f) for f in ("nodeName", "tolerations")):
            return False
        # Upstream's PodUpdated reads the node's taints from its cache: none, nothing to do.
        return facts.node_may_have_no_execute_taint(spec["nodeName"])
    return (new.get("spec") or {}).get("taints") != (old.get("spec") or {}).get("taints")


CONTROLLER = Controller(
    name=NAME,
    reconcile=reconcile,
    # Its informers: node taints and pods (a pod bound to a tainted node, tolerations).
    watches=frozenset({"nodes", "pods"}),
    resync_seconds=None,  # timers wake it (memory["wake_at"])
    wakes_on=may_change_evictions,
    wake_delay=WAKE_BATCH_SECONDS,
)
