"""Building a pod's status as the kubelet reports it, from what the runtime says.

Phase follows upstream's getPhase: Pending until every container has run at
least once, Running while any runs or will be restarted, then Succeeded or
Failed once every container has stopped for good.
"""

from __future__ import annotations

import datetime as dt

from cluster.objects import format_time, set_condition

NEVER_RAN = "never-ran"


def container_status(
    spec: dict,
    *,
    current: dict | None,
    previous: dict | None,
    waiting: dict | None,
) -> dict:
    """One upstream ContainerStatus.

    current/previous: runtime snapshots as dicts (see kubelet.pods._snapshot);
    waiting: a waiting state ({"reason", "message"}) that overrides current.
    """
    status: dict = {
        "name": spec["name"],
        "image": spec.get("image", ""),
        "imageID": "",
        "ready": False,
        "restartCount": 0,
        "started": False,
    }
    if current:
        status["image"] = current["image"]
        status["imageID"] = current["image_id"]
        status["containerID"] = current["container_id"]
        status["restartCount"] = current["attempt"]
        status["state"] = current["state"]
        status["started"] = "running" in current["state"]
        status["ready"] = bool(current["ready"])
    if waiting is not None:
        status["state"] = {"waiting": waiting}
        status["ready"] = status["started"] = False
    status.setdefault("state", {"waiting": {"reason": "ContainerCreating"}})
    if previous and "terminated" in previous["state"]:
        status["lastState"] = previous["state"]
    else:
        status["lastState"] = {}
    return status


def pod_phase(statuses: list[dict], restart_policy: str) -> str:
    never_started = running = stopped = succeeded = 0
    for status in statuses:
        state = status["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode") == 0
        elif status["lastState"].get("terminated"):
            stopped += 1  # waiting to restart after having run: it has started before
            succeeded += status["lastState"]["terminated"].get("exitCode") == 0
        else:
            never_started += 1
    if never_started:
        return "Pending"
    if running:
        return "Running"
    if stopped == len(statuses):
        if restart_policy == "Always":
            return "Running"
        if succeeded == len(statuses):
            return "Succeeded"
        if restart_policy == "OnFailure":
            return "Running"
        return "Failed"
    return "Pending"


def pod_status(
    pod: dict,
    statuses: list[dict],
    *,
    now: dt.datetime,
    host_ip: str,
    pod_ip: str,
    sandbox_ready: bool,
    start_time: str,
) -> dict:
    """The whole status the kubelet posts through pods/status."""
    restart_policy = pod["spec"].get("restartPolicy", "Always")
    phase = pod_phase(statuses, restart_policy)
    result = {"status": dict(pod.get("status") or {})}
    status = result["status"]
    status.update(
        {
            "phase": phase,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "startTime": start_time,
            "containerStatuses": statuses,
        }
    )
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    all_ready = bool(statuses) and all(s["ready"] for s in statuses)
    terminal = phase in {"Succeeded", "Failed"}
    not_ready_reason = "PodCompleted" if terminal else "ContainersNotReady"
    not_ready_message = (
        ""
        if terminal
        else "containers with unready status: ["
        + " ".join(s["name"] for s in statuses if not s["ready"])
        + "]"
    )
    set_condition(
        result,
        "PodReadyToStartContainers",
        "True" if sandbox_ready and not terminal else "False",
        now=now,
    )
    set_condition(result, "Initialized", "True", now=now)
    for kind in ("ContainersReady", "Ready"):
        if all_ready:
            set_condition(result, kind, "True", now=now)
        else:
            set_condition(
                result, kind, "False", now=now, reason=not_ready_reason, message=not_ready_message
            )
    status["conditions"] = _ordered(status["conditions"])
    return status


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
