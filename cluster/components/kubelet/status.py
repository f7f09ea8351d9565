"""Building a pod's status as the kubelet reports it, from what the runtime says.

Phase follows upstream's getPhase: Pending while an init container has yet
to exit 0 and until every container has run at least once, Running while any
runs or will be restarted, then Succeeded or Failed once every container has
stopped for good (or at once, under restartPolicy Never, when an init
container fails). A terminal phase never changes again.
"""

from __future__ import annotations

import copy
import datetime as dt

from cluster.objects import format_time, set_condition

TERMINAL_PHASES = {"Succeeded", "Failed"}
# What a container shows before the runtime has one for it: upstream's
# convertToAPIContainerStatuses waits in PodInitializing in a pod with init containers.
CONTAINER_CREATING = "ContainerCreating"
POD_INITIALIZING = "PodInitializing"


def container_status(
    spec: dict,
    *,
    current: dict | None,
    previous: dict | None,
    waiting: dict | None,
    default_waiting: str = CONTAINER_CREATING,
) -> dict:
    """One upstream ContainerStatus.

    current/previous: runtime snapshots (see kubelet.pods.snapshot) of the
    newest container of this name and the one before it; waiting: a waiting
    state ({"reason", "message"}) that replaces current's, as when a crashed
    container waits out its back-off; default_waiting: the reason shown
    while the runtime has no container of this name yet.
    """
    status: dict = {
        "name": spec["name"],
        "image": spec.get("image", ""),
        "imageID": "",
        "ready": False,
        "restartCount": 0,
        "started": False,
    }
    last_state = previous["state"] if previous and "terminated" in previous["state"] else {}
    if current:
        status["image"] = current["image"]
        status["imageID"] = current["image_id"]
        status["containerID"] = current["container_id"]
        status["restartCount"] = current["attempt"]
        status["state"] = current["state"]
        status["started"] = "running" in current["state"]
        status["ready"] = bool(current["ready"])
    if waiting is not None:
        if "terminated" in status.get("state", {}):
            last_state = status["state"]  # the container that failed is now the last one
        status["state"] = {"waiting": waiting}
        status["ready"] = status["started"] = False
    status.setdefault("state", {"waiting": {"reason": default_waiting}})
    status["lastState"] = last_state
    return status


def init_container_status(spec: dict, **states: dict | None) -> dict:
    """An init container's status: ready once it exited 0, as upstream's prober manager says."""
    status = container_status(spec, default_waiting=POD_INITIALIZING, **states)
    status["ready"] = _exited_zero(status)
    return status


def _exited_zero(status: dict) -> bool:
    return status["state"].get("terminated", {}).get("exitCode") == 0


def pod_phase(
    statuses: list[dict], restart_policy: str, init_statuses: list[dict] | None = None
) -> str:
    pending_init, failed_init = _init_progress(init_statuses or [])
    waiting = running = stopped = succeeded = 0
    for status in statuses:
        state = status["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode") == 0
        elif status["lastState"].get("terminated"):
            stopped += 1  # waiting to restart after having run
        else:
            waiting += 1
    if failed_init and restart_policy == "Never":
        return "Failed"
    if pending_init or waiting or not statuses:
        return "Pending"
    if running:
        return "Running"
    if restart_policy == "Always":
        return "Running"  # every container is about to be restarted
    if stopped == succeeded:
        return "Succeeded"
    return "Failed" if restart_policy == "Never" else "Running"


def _init_progress(init_statuses: list[dict]) -> tuple[int, int]:
    """(pending, failed) init containers, counted as upstream's getPhase counts them."""
    pending = failed = 0
    for status in init_statuses:
        state, last = status["state"], status["lastState"].get("terminated")
        if "terminated" in state:
            failed += state["terminated"].get("exitCode") != 0
        elif "waiting" in state and last:
            failed += last.get("exitCode") != 0  # waiting to be restarted after a failure
        else:
            pending += 1  # running, or not run yet
    return pending, failed


def pod_status(
    pod: dict,
    statuses: list[dict],
    *,
    init_statuses: list[dict] | None = None,
    now: dt.datetime,
    host_ip: str,
    pod_ip: str,
    sandbox_ready: bool,
    start_time: str,
) -> dict:
    """The whole status the kubelet posts through pods/status."""
    old = pod.get("status") or {}
    init_statuses = init_statuses or []
    phase = pod_phase(statuses, pod["spec"].get("restartPolicy", "Always"), init_statuses)
    if old.get("phase") in TERMINAL_PHASES:
        phase = old["phase"]  # upstream forbids leaving a terminal phase
    result = {"status": copy.deepcopy(old)}
    status = result["status"]
    status.update(
        phase=phase,
        startTime=start_time,
        containerStatuses=sorted(statuses, key=lambda s: s["name"]),
    )
    if init_statuses:  # in spec order, as upstream's SortStatusesOfInitContainers
        status["initContainerStatuses"] = init_statuses
    if host_ip:
        status.update(hostIP=host_ip, hostIPs=[{"ip": host_ip}])
    if pod_ip:
        status.update(podIP=pod_ip, podIPs=[{"ip": pod_ip}])
    terminal = phase in TERMINAL_PHASES
    ready_to_start = "True" if sandbox_ready and not terminal else "False"
    set_condition(result, "PodReadyToStartContainers", ready_to_start, now=now)
    initialized, reason, message = _initialized(init_statuses, statuses, phase)
    set_condition(result, "Initialized", initialized, now=now, reason=reason, message=message)
    ready, reason, message = _containers_ready(pod, statuses, phase)
    for kind in ("ContainersReady", "Ready"):
        set_condition(result, kind, ready, now=now, reason=reason, message=message)
    status["conditions"] = _ordered(status["conditions"])
    return status


def _initialized(
    init_statuses: list[dict], statuses: list[dict], phase: str
) -> tuple[str, str, str]:
    """(status, reason, message) of Initialized, as upstream's GeneratePodInitializedCondition."""
    if phase == "Succeeded":
        return "True", "PodCompleted", ""
    if any({"running", "terminated"} & set(s["state"]) for s in statuses):
        return "True", "", ""  # an app container has started: the pod was initialized
    incomplete = [s["name"] for s in init_statuses if not s["ready"]]
    if incomplete:
        message = f"containers with incomplete status: [{' '.join(incomplete)}]"
        return "False", "ContainersNotInitialized", message
    return "True", "", ""


def _containers_ready(pod: dict, statuses: list[dict], phase: str) -> tuple[str, str, str]:
    """(status, reason, message) of ContainersReady, which Ready copies without readiness gates."""
    if phase == "Succeeded":
        return "False", "PodCompleted", ""
    if phase == "Failed":
        return "False", "PodFailed", ""
    ready = {s["name"] for s in statuses if s["ready"]}
    unready = [c["name"] for c in pod["spec"].get("containers", []) if c["name"] not in ready]
    if unready:
        message = f"containers with unready status: [{' '.join(unready)}]"
        return "False", "ContainersNotReady", message
    return "True", "", ""


_CONDITION_ORDER = [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
]


def _ordered(conditions: list[dict]) -> list[dict]:
    """kubectl describe lists conditions in the order the kubelet writes them."""

    def rank(condition: dict) -> int:
        kind = condition["type"]
        return _CONDITION_ORDER.index(kind) if kind in _CONDITION_ORDER else len(_CONDITION_ORDER)

    return sorted(conditions, key=rank)


def start_time_of(pod: dict, now: dt.datetime) -> str:
    return (pod.get("status") or {}).get("startTime") or format_time(now)
