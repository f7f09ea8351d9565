"""The kubelet's pod worker: make one pod's containers real through the runtime.

Each call looks at what the runtime has now and takes the next step: start
the pod sandbox, run the init containers one at a time, in order, each to a
zero exit, then get the image (images.py), create and start the app
containers, restart them as restartPolicy says (with backoff), or stop
everything when the pod is being deleted. It returns the waiting states to
report for containers that are not running yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cluster.components.events import EventRecorder
from cluster.components.kubelet.backoff import failures_after_exit, restart_delay
from cluster.components.kubelet.durations import go_duration
from cluster.components.kubelet.field_path import container_field_path
from cluster.components.kubelet.images import ensure_image
from cluster.components.runtime import ContainerRuntime
from cluster.components.runtime.statuses import (
    CONTAINER_ID_SCHEME,
    ContainerState,
    ContainerStatus,
)
from cluster.objects import format_micro_time, parse_time


@dataclass
class PodContext:
    runtime: ContainerRuntime
    events: EventRecorder
    now: dt.datetime


def pod_memory(state: dict, pod: dict) -> dict:
    """What the kubelet remembers of one pod, by uid."""
    meta = pod["metadata"]
    return state.setdefault("pods", {}).setdefault(
        meta["uid"],
        {"name": meta["name"], "namespace": meta.get("namespace", ""), "containers": {}},
    )


def sync_pod(pod: dict, memory: dict, ctx: PodContext) -> dict[str, dict]:
    """Take the next steps for a pod that should run; return waiting states by container."""
    if not memory.get("sandbox"):
        meta = pod["metadata"]
        memory["sandbox"] = ctx.runtime.run_pod_sandbox(
            meta["uid"], meta["name"], meta.get("namespace", ""), ctx.now
        )
    waiting: dict[str, dict] = {}
    if not _sync_init_containers(pod, memory, ctx, waiting):
        return waiting
    policy = pod["spec"].get("restartPolicy", "Always")
    for spec in pod["spec"].get("containers", []):
        container = memory["containers"].setdefault(spec["name"], {})
        if state := _sync_container(pod, spec, container, memory["sandbox"], ctx, policy):
            waiting[spec["name"]] = state
        if container.get("pull_started"):
            break  # upstream starts containers one by one, each waiting for its pull
    return waiting


def init_container_policy(pod: dict) -> str:
    """An init container is done once it exits 0: under Always it restarts only on failure."""
    return "Never" if pod["spec"].get("restartPolicy") == "Never" else "OnFailure"


def _sync_init_containers(pod: dict, memory: dict, ctx: PodContext, waiting: dict) -> bool:
    """Take the next init container's step; True once every one of them has exited 0.

    As upstream's computeInitContainerActions: the first that has not succeeded
    is started, awaited, or restarted (with the crash-loop back-off); under
    restartPolicy Never its failure ends the pod (getPhase reports Failed).
    """
    policy = init_container_policy(pod)
    for spec in pod["spec"].get("initContainers") or []:
        container = memory["containers"].setdefault(spec["name"], {})
        if state := _sync_container(pod, spec, container, memory["sandbox"], ctx, policy):
            waiting[spec["name"]] = state
            return False
        if not _exited_zero(ctx, container.get("current")):
            return False
    return True


def _exited_zero(ctx: PodContext, container_id: str | None) -> bool:
    if not container_id:
        return False
    status = ctx.runtime.container_status(container_id, ctx.now)
    return status.state == ContainerState.EXITED and status.exit_code == 0


def stop_pod(pod: dict, memory: dict, ctx: PodContext, grace_seconds: int) -> bool:
    """Stop a terminating pod's containers; True once none is left running."""
    runtime, all_stopped = ctx.runtime, True
    for spec in [*(pod["spec"].get("initContainers") or []), *pod["spec"].get("containers", [])]:
        current = memory["containers"].get(spec["name"], {}).get("current")
        if not current:
            continue
        status = runtime.container_status(current, ctx.now)
        if status.state == ContainerState.EXITED:
            continue
        if not status.stopping:
            message = f"Stopping container {spec['name']}"
            part = container_field_path(pod, spec["name"])
            ctx.events.normal(pod, "Killing", message, occurrence=current, field_path=part)
            status = runtime.stop_container(current, grace_seconds, ctx.now)
        all_stopped = all_stopped and status.state == ContainerState.EXITED
    return all_stopped


def stop_sandbox(memory: dict, ctx: PodContext) -> None:
    """A pod that has finished for good gives back its network (its IP)."""
    if sandbox := memory.get("sandbox"):
        ctx.runtime.stop_pod_sandbox(sandbox, ctx.now)


def remove_pod(memory: dict, ctx: PodContext) -> None:
    if sandbox := memory.get("sandbox"):
        ctx.runtime.remove_pod_sandbox(sandbox, ctx.now)


def snapshot(runtime: ContainerRuntime, container_id: str | None, now: dt.datetime) -> dict | None:
    """A runtime container as the status builder wants it."""
    if not container_id:
        return None
    status = runtime.container_status(container_id, now)
    return {
        "image": status.image,
        "image_id": status.image_id,
        "container_id": status.container_id,
        "attempt": status.attempt,
        "state": status.kubernetes_state(),
        "ready": status.ready,
    }


def should_restart(restart_policy: str, exit_code: int | None) -> bool:
    if restart_policy == "Always":
        return True
    return restart_policy == "OnFailure" and exit_code != 0


def _sync_container(
    pod: dict, spec: dict, container: dict, sandbox: str, ctx: PodContext, restart_policy: str
) -> dict | None:
    current = container.get("current")
    status = ctx.runtime.container_status(current, ctx.now) if current else None
    if status is not None and status.state == ContainerState.CREATED:
        ctx.runtime.start_container(current, ctx.now)
        return None
    if status is not None and status.state == ContainerState.RUNNING:
        return None
    if status is not None:  # exited
        if container.get("handled_exit") != status.id:
            _handle_exit(restart_policy, container, status)
        if container.get("finished"):
            return None
        if ctx.now < parse_time(container["restart_after"]):
            return _crash_loop_back_off(pod, spec["name"], container, ctx)
    return _start_new_container(pod, spec, container, sandbox, ctx)


def _reported_start(pod: dict, name: str, container_id: str) -> dt.datetime | None:
    """When the pod's stored status says this very container started, if it does."""
    status = pod.get("status") or {}
    for reported in [
        *status.get("containerStatuses", []),
        *status.get("initContainerStatuses", []),
    ]:
        if reported.get("name") != name:
            continue
        if reported.get("containerID") != CONTAINER_ID_SCHEME + container_id:
            return None
        state = reported.get("state") or {}
        started = (state.get("running") or state.get("terminated") or {}).get("startedAt")
        return parse_time(started) if started else None
    return None


def _handle_exit(restart_policy: str, container: dict, status: ContainerStatus) -> None:
    container["handled_exit"] = status.id
    if not should_restart(restart_policy, status.exit_code):
        container["finished"] = True
        return
    assert status.finished_at is not None
    container["failures"] = failures_after_exit(
        container.get("failures", 0), status.started_at or status.finished_at, status.finished_at
    )
    delay = restart_delay(container["failures"])
    container["restart_after"] = format_micro_time(status.finished_at + dt.timedelta(seconds=delay))


def _crash_loop_back_off(pod: dict, name: str, container: dict, ctx: PodContext) -> dict:
    """Upstream reports (and files a warning) on every sync until the back-off runs out."""
    meta = pod["metadata"]
    who = f"{meta['name']}_{meta.get('namespace', '')}({meta['uid']})"
    ctx.events.warning(
        pod,
        "BackOff",
        f"Back-off restarting failed container {name} in pod {who}",
        field_path=container_field_path(pod, name),
    )
    delay = go_duration(restart_delay(container["failures"]))
    return {
        "reason": "CrashLoopBackOff",
        "message": f"back-off {delay} restarting failed container={name} pod={who}",
    }


def _start_new_container(
    pod: dict, spec: dict, container: dict, sandbox: str, ctx: PodContext
) -> dict | None:
    # Every step names the container it is for, so that a tick run again (its worker
    # killed before the kubelet's memory was saved) tells each step once (events.py).
    upcoming = ctx.runtime.next_container_id(sandbox, spec["name"])
    waiting = ensure_image(pod, spec, container, ctx, occurrence=upcoming)
    if waiting is not None:
        return waiting
    # A start the pod's status reports already happened, in a tick whose memory was lost:
    # the same container (ids are derived, not drawn), started when the status says.
    when = _reported_start(pod, spec["name"], upcoming) or ctx.now
    container_id = ctx.runtime.create_container(sandbox, spec, when)
    name, part = spec["name"], container_field_path(pod, spec["name"])
    ctx.events.normal(
        pod, "Created", f"Created container: {name}", occurrence=upcoming, field_path=part
    )
    ctx.runtime.start_container(container_id, when)
    ctx.events.normal(
        pod, "Started", f"Started container {name}", occurrence=upcoming, field_path=part
    )
    if older := container.get("previous"):
        # The kubelet's garbage collector keeps one dead container per name (for --previous).
        ctx.runtime.remove_container(older, ctx.now)
    container["previous"], container["current"] = container.get("current"), container_id
    return None
