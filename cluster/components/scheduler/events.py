"""The core/v1 Events the scheduler files about a pod: Scheduled and FailedScheduling."""

from __future__ import annotations

import datetime as dt

from cluster.objects import format_time

COMPONENT = "default-scheduler"


def scheduled_message(pod: dict, node_name: str) -> str:
    meta = pod["metadata"]
    return f"Successfully assigned {meta.get('namespace', '')}/{meta['name']} to {node_name}"


def pod_event(
    pod: dict,
    *,
    event_type: str,
    reason: str,
    message: str,
    now: dt.datetime,
    stamp: int,
) -> dict:
    """An Event about the pod, named as client-go names events: <pod>.<stamp in hex>.

    client-go uses the event time in Unix nanoseconds; the caller passes a stamp
    that is that, or one more than the last it used (see SchedulerState.event_stamp).
    """
    meta = pod["metadata"]
    namespace = meta.get("namespace", "")
    timestamp = format_time(now)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{stamp:016x}", "namespace": namespace},
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": meta["name"],
            "namespace": namespace,
            "uid": meta.get("uid", ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        },
        "reason": reason,
        "message": message,
        "type": event_type,
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "firstTimestamp": timestamp,
        "lastTimestamp": timestamp,
        "eventTime": None,
        "count": 1,
    }
