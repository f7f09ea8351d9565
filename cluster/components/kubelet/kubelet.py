"""One kubelet tick: keep the node registered and alive, and make its pods real.

The kubelet asks the API server for the pods bound to its node, drives the
container runtime for each, and reports each pod's status back through
pods/status. It renews its Lease and posts node status every 10 s of
sandbox time. `state` is the kubelet's memory and the node's runtime (its
"disk"), kept by the caller between ticks.
"""

from __future__ import annotations

import datetime as dt

from cluster.components.api import Clock, ClusterApi
from cluster.components.events import EventRecorder
from cluster.components.kubelet import node as node_duties
from cluster.components.kubelet.pods import (
    PodContext,
    pod_memory,
    remove_pod,
    snapshot,
    stop_pod,
    sync_pod,
)
from cluster.components.kubelet.status import container_status, pod_status, start_time_of
from cluster.components.runtime import ContainerRuntime
from cluster.objects import format_micro_time, format_time, parse_time


def kubelet_tick(api: ClusterApi, clock: Clock, node_name: str, state: dict) -> None:
    now = clock.now()
    runtime = ContainerRuntime(
        state.setdefault("runtime", {}), node_name, pod_cidr=state.get("podCIDR")
    )
    runtime.advance(now)
    ctx = PodContext(
        runtime=runtime,
        events=EventRecorder(api, clock, component="kubelet", host=node_name),
        now=now,
    )
    node = _node_duties(api, node_name, state, runtime, now)
    host_ip = _internal_ip(node)
    pods = api.list("pods", field_selector=f"spec.nodeName={node_name}")["items"]
    seen = set()
    for pod in pods:
        seen.add(pod["metadata"]["uid"])
        _sync(api, pod, state, ctx, host_ip)
    for uid in set(state.get("pods", {})) - seen:  # deleted behind our back: clean up
        remove_pod(state["pods"].pop(uid), ctx)
    state["wake_at"] = _next_wake(state, runtime, now)


def _node_duties(
    api: ClusterApi, node_name: str, state: dict, runtime: ContainerRuntime, now: dt.datetime
) -> dict:
    if node_duties.due(state.get("leaseRenewedAt"), now, node_duties.RENEW_SECONDS):
        node_duties.renew_lease(api, node_name, now)
        state["leaseRenewedAt"] = format_time(now)
    node = api.get("nodes", node_name)
    if node_duties.due(state.get("statusPostedAt"), now, node_duties.STATUS_SECONDS):
        node = node_duties.post_node_status(api, node, now, runtime.list_images(now))
        state["statusPostedAt"] = format_time(now)
    return node


def _sync(api: ClusterApi, pod: dict, state: dict, ctx: PodContext, host_ip: str) -> None:
    memory = pod_memory(state, pod)
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        grace = int(meta.get("deletionGracePeriodSeconds") or 0)
        if stop_pod(pod, memory, ctx, grace):
            remove_pod(memory, ctx)
            state["pods"].pop(meta["uid"], None)
            _delete_for_good(api, pod)
        return
    if memory.get("terminal"):
        return
    waiting = sync_pod(pod, memory, ctx)
    statuses = [
        container_status(
            spec,
            current=snapshot(
                ctx.runtime, memory["containers"][spec["name"]].get("current"), ctx.now
            ),
            previous=snapshot(
                ctx.runtime, memory["containers"][spec["name"]].get("previous"), ctx.now
            ),
            waiting=waiting.get(spec["name"]),
        )
        for spec in pod["spec"].get("containers", [])
    ]
    sandbox = ctx.runtime.pod_sandbox_status(memory["sandbox"], ctx.now)
    status = pod_status(
        pod,
        statuses,
        now=ctx.now,
        host_ip=host_ip,
        pod_ip=sandbox.ip,
        sandbox_ready=sandbox.state == "ready",
        start_time=start_time_of(pod, ctx.now),
    )
    if status["phase"] in {"Succeeded", "Failed"}:
        memory["terminal"] = True
    if status != pod.get("status"):
        _report(api, pod, status)


def _report(api: ClusterApi, pod: dict, status: dict) -> None:
    try:
        api.update_status("pods", {**pod, "status": status}, namespace=pod["metadata"]["namespace"])
    except Exception as error:  # gone or changed meanwhile: the next tick reports afresh
        if getattr(error, "code", None) not in {404, 409}:
            raise


def _delete_for_good(api: ClusterApi, pod: dict) -> None:
    meta = pod["metadata"]
    try:
        api.delete(
            "pods",
            meta["name"],
            namespace=meta["namespace"],
            grace_period_seconds=0,
            preconditions={"uid": meta["uid"]},
        )
    except Exception as error:
        if getattr(error, "code", None) not in {404, 409}:
            raise


def _internal_ip(node: dict) -> str:
    for address in node.get("status", {}).get("addresses", []):
        if address.get("type") == "InternalIP":
            return address["address"]
    return ""


def _next_wake(state: dict, runtime: ContainerRuntime, now: dt.datetime) -> str:
    """The earliest sandbox time something is due: a runtime event, a backoff, a heartbeat."""
    candidates = [
        parse_time(state["leaseRenewedAt"]) + dt.timedelta(seconds=node_duties.RENEW_SECONDS)
    ]
    if runtime_event := runtime.next_event_at(now):
        candidates.append(runtime_event)
    for memory in state.get("pods", {}).values():
        for container in memory["containers"].values():
            for key in ("restart_after", "pull_after"):
                if container.get(key) and parse_time(container[key]) > now:
                    candidates.append(parse_time(container[key]))
    return format_micro_time(min(candidates))
