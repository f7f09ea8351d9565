"""The STATUS column of `kubectl get pods`, as kubectl's printer computes it."""

from __future__ import annotations


def pod_status_label(pod: dict) -> str:
    status = pod.get("status") or {}
    label = status.get("reason") or status.get("phase") or "Pending"
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        if waiting := state.get("waiting"):
            if waiting.get("reason"):
                label = waiting["reason"]
        elif terminated := state.get("terminated"):
            label = terminated.get("reason") or (
                f"Signal:{terminated['signal']}"
                if terminated.get("signal")
                else f"ExitCode:{terminated.get('exitCode', 0)}"
            )
        elif "running" in state and label != "Running" and container.get("ready"):
            label = "Running"
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return "Terminating"
    return label


def ready_count(pod: dict) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    total = len(pod.get("spec", {}).get("containers", []))
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def restarts(pod: dict) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return sum(int(s.get("restartCount", 0)) for s in statuses)
