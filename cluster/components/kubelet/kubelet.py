"""One kubelet tick: keep the node alive, and make its pods real.

The kubelet asks the API server for the pods bound to its node, drives the
container runtime for each, and reports each pod's status back through
pods/status (only when it changed). It renews its Lease every 10 s of
sandbox time and writes node status only when it changed or every 5 minutes
(node.py). `state` is the kubelet's memory and the
node's runtime (its "disk"), plain JSON kept by the caller between ticks;
`state["wake_at"]` says when the next tick is needed at the latest, and
`state["work_at"]` when its pods need it (its heartbeats aside).
"""

from __future__ import annotations

import datetime as dt
import logging

from cluster.components.api import Clock, ClusterApi
from cluster.components.events import EventRecorder
from cluster.components.kubelet.node import internal_ip, next_duty_at, node_duties
from cluster.components.kubelet.pods import (
    PodContext,
    pod_memory,
    remove_pod,
    snapshot,
    stop_pod,
    stop_sandbox,
    sync_pod,
)
from cluster.components.kubelet.races import unless_raced
from cluster.components.kubelet.status import (
    CONTAINER_CREATING,
    POD_INITIALIZING,
    TERMINAL_PHASES,
    container_status,
    init_container_status,
    pod_status,
    start_time_of,
)
from cluster.components.runtime import ContainerRuntime
from cluster.objects import format_micro_time, parse_time

logger = logging.getLogger(__name__)


def kubelet_tick(api: ClusterApi, clock: Clock, node_name: str, state: dict) -> None:
    now = clock.now()
    runtime = ContainerRuntime(
        state.setdefault("runtime", {}), node_name, pod_cidr=state.get("podCIDR")
    )
    runtime.advance(now)
    ctx = PodContext(
        runtime=runtime,
        events=EventRecorder(
            api, clock, component="kubelet", host=node_name, memory=state.setdefault("events", {})
        ),
        now=now,
    )
    node = node_duties(api, node_name, state, runtime.list_images(now), now, ctx.events)
    host_ip = internal_ip(node)
    pods = api.list("pods", field_selector=f"spec.nodeName={node_name}")["items"]
    for pod in pods:
        try:
            _sync(api, pod, state, ctx, host_ip)
        except Exception as error:
            # One pod's failure must never stop the kubelet serving its node's other pods:
            # as upstream's pod workers do, report it on the pod and retry at the next sync.
            logger.exception("error syncing pod %s", _uid_of(pod))
            _sync_failed(ctx, pod, error)
    # Read as defensively as the loop above: a pod whose stored metadata is broken must
    # not take the clean-up of every other pod down with it.
    seen = {_uid_of(pod) for pod in pods}
    for uid in set(state.get("pods", {})) - seen:  # deleted behind our back: clean up
        remove_pod(state["pods"].pop(uid), ctx)
    work = _next_work(state, runtime, now)
    # wake_at: the next tick needed at the latest, heartbeats included; work_at: the pods'
    # own timers alone, which keep an unwatched sandbox awake (cluster/idle.py) where
    # heartbeats do not.
    state["work_at"] = format_micro_time(work) if work else None
    state["wake_at"] = format_micro_time(min(filter(None, (next_duty_at(state, now), work))))


def _sync(api: ClusterApi, pod: dict, state: dict, ctx: PodContext, host_ip: str) -> None:
    memory = pod_memory(state, pod)
    if pod["metadata"].get("deletionTimestamp"):
        _terminate(api, pod, state, memory, ctx)
        return
    finished = memory.get("terminal") or (pod.get("status") or {}).get("phase") in TERMINAL_PHASES
    waiting = {} if finished else sync_pod(pod, memory, ctx)
    if not memory.get("sandbox"):
        return  # a finished pod this kubelet never ran: nothing to report
    status = _pod_status(pod, memory, waiting, ctx, host_ip)
    if status["phase"] in TERMINAL_PHASES and not memory.get("terminal"):
        memory["terminal"] = True
        stop_sandbox(memory, ctx)
    if status != pod.get("status"):
        _report(api, pod, status)


def _uid_of(pod: dict) -> str | None:
    meta = pod.get("metadata")
    return meta.get("uid") if isinstance(meta, dict) else None


def _sync_failed(ctx: PodContext, pod: dict, error: Exception) -> None:
    try:
        ctx.events.warning(pod, "FailedSync", f"error syncing pod: {type(error).__name__}: {error}")
    except Exception:  # the event is a courtesy; the next sync tries the pod again
        logger.exception("could not file the FailedSync event")


def _pod_status(pod: dict, memory: dict, waiting: dict, ctx: PodContext, host_ip: str) -> dict:
    init_specs = pod["spec"].get("initContainers") or []
    # Before the runtime has a container, upstream shows the default waiting reason.
    default = POD_INITIALIZING if init_specs else CONTAINER_CREATING

    def states(spec: dict) -> dict:
        container = memory["containers"].get(spec["name"], {})
        state = waiting.get(spec["name"])
        return {
            "current": snapshot(ctx.runtime, container.get("current"), ctx.now),
            "previous": snapshot(ctx.runtime, container.get("previous"), ctx.now),
            "waiting": {"reason": default} if state == {"reason": CONTAINER_CREATING} else state,
        }

    statuses = [
        container_status(spec, default_waiting=default, **states(spec))
        for spec in pod["spec"].get("containers", [])
    ]
    init_statuses = [init_container_status(spec, **states(spec)) for spec in init_specs]
    sandbox = ctx.runtime.pod_sandbox_status(memory["sandbox"], ctx.now)
    return pod_status(
        pod,
        statuses,
        init_statuses=init_statuses,
        now=ctx.now,
        host_ip=host_ip,
        pod_ip=sandbox.ip,
        sandbox_ready=sandbox.state == "ready",
        start_time=start_time_of(pod, ctx.now),
    )


def _terminate(api: ClusterApi, pod: dict, state: dict, memory: dict, ctx: PodContext) -> None:
    """Stop a pod being deleted; once it has stopped, ask for its final deletion."""
    meta = pod["metadata"]
    grace = int(meta.get("deletionGracePeriodSeconds") or 0)
    if not stop_pod(pod, memory, ctx, grace):
        return
    remove_pod(memory, ctx)
    state["pods"].pop(meta["uid"], None)
    unless_raced(
        api.delete,
        "pods",
        meta["name"],
        namespace=meta["namespace"],
        grace_period_seconds=0,
        preconditions={"uid": meta["uid"]},
    )


def _report(api: ClusterApi, pod: dict, status: dict) -> None:
    # Gone or changed meanwhile: the next tick reports afresh.
    namespace = pod["metadata"]["namespace"]
    unless_raced(api.update_status, "pods", {**pod, "status": status}, namespace=namespace)


def _next_work(state: dict, runtime: ContainerRuntime, now: dt.datetime) -> dt.datetime | None:
    """The earliest sandbox time its pods need it: a runtime event, a back-off, a pull."""
    candidates = []
    if runtime_event := runtime.next_event_at(now):
        candidates.append(runtime_event)
    for memory in state.get("pods", {}).values():
        for container in memory["containers"].values():
            for key in ("restart_after", "pull_after"):
                if container.get(key) and parse_time(container[key]) > now:
                    candidates.append(parse_time(container[key]))
    return min(candidates, default=None)
