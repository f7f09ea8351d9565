"""The STATUS and RESTARTS columns of `kubectl get pods`, as kubectl's printPod computes them."""

from __future__ import annotations

POD_INITIALIZING = "PodInitializing"
NODE_LOST = "NodeLost"  # upstream's NodeUnreachablePodReason


def pod_status_label(pod: dict) -> str:
    status = pod.get("status") or {}
    label = status.get("reason") or status.get("phase") or "Pending"
    if any(
        condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated"
        for condition in status.get("conditions") or []
    ):
        label = "SchedulingGated"
    init_label = _init_label(pod)
    if init_label and not _condition_true(pod, "Initialized"):
        label = init_label
    else:
        label = _app_label(pod, label)
    if pod.get("metadata", {}).get("deletionTimestamp"):
        if status.get("reason") == NODE_LOST:
            return "Unknown"
        # A finished pod being deleted keeps its last words (Completed, Error).
        if status.get("phase") not in ("Succeeded", "Failed"):
            return "Terminating"
    return label


def _init_label(pod: dict) -> str:
    """ "Init:1/2", "Init:CrashLoopBackOff"...; "" once every init container has exited 0."""
    total = len((pod.get("spec") or {}).get("initContainers") or [])
    statuses = (pod.get("status") or {}).get("initContainerStatuses") or []
    for index, container in enumerate(statuses):
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting") or {}
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            return "Init:" + _terminated_reason(terminated)
        if waiting.get("reason") and waiting["reason"] != POD_INITIALIZING:
            return "Init:" + waiting["reason"]
        return f"Init:{index}/{total}"
    return ""


def _app_label(pod: dict, label: str) -> str:
    # kubectl walks the containers from last to first, so the first one's reason wins.
    has_running = False
    for container in reversed((pod.get("status") or {}).get("containerStatuses") or []):
        state = container.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            label = state["waiting"]["reason"]
        elif terminated := state.get("terminated"):
            label = _terminated_reason(terminated)
        elif "running" in state and container.get("ready"):
            has_running = True
    if label == "Completed" and has_running:
        return "Running" if _condition_true(pod, "Ready") else "NotReady"
    return label


def _terminated_reason(terminated: dict) -> str:
    if terminated.get("reason"):
        return terminated["reason"]
    if terminated.get("signal"):
        return f"Signal:{terminated['signal']}"
    return f"ExitCode:{terminated.get('exitCode', 0)}"


def _condition_true(pod: dict, kind: str) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


def ready_count(pod: dict) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    total = len(pod.get("spec", {}).get("containers", []))
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def restarts(pod: dict) -> int:
    """The app containers' restarts; while initializing, the init containers' (as printPod)."""
    status = pod.get("status") or {}
    if _init_label(pod) and not _condition_true(pod, "Initialized"):
        return sum(int(s.get("restartCount", 0)) for s in status.get("initContainerStatuses") or [])
    return sum(int(s.get("restartCount", 0)) for s in status.get("containerStatuses") or [])
