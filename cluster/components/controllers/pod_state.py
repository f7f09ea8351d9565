"""What the controllers read off a pod: active, ready, available.

As upstream's controller.IsPodActive and podutil.IsPodReady / IsPodAvailable
(pkg/controller/controller_utils.go, pkg/api/v1/pod/util.go).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from cluster.objects import parse_time

TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


def is_pod_active(pod: Mapping) -> bool:
    """Not finished and not being deleted (upstream's IsPodActive): a pod with a
    deletionTimestamp is on its way out, so a controller counts it as gone already."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in TERMINAL_PHASES and not pod["metadata"].get("deletionTimestamp")


def ready_condition(pod: Mapping) -> dict | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return None


def is_pod_ready(pod: Mapping) -> bool:
    condition = ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def ready_since(pod: Mapping) -> dt.datetime | None:
    """When a ready pod became ready (its Ready condition's lastTransitionTime), or None
    when it is not ready or the time is missing (upstream's zero time)."""
    condition = ready_condition(pod)
    if condition is None or condition.get("status") != "True":
        return None
    when = condition.get("lastTransitionTime")
    return parse_time(when) if when else None


def available_at(pod: Mapping, min_ready_seconds: int) -> dt.datetime | None:
    """The first whole second at which a ready pod counts as available, or None when it
    is not ready or never will be by the clock alone (no lastTransitionTime).

    Upstream's IsPodAvailable wants lastTransitionTime + minReadySeconds strictly before
    now; Podlab's times are whole seconds, so that is one second after.
    """
    since = ready_since(pod)
    if since is None:
        return None
    return since + dt.timedelta(seconds=min_ready_seconds + 1)


def is_pod_available(pod: Mapping, min_ready_seconds: int, now: dt.datetime) -> bool:
    """Ready for at least minReadySeconds (upstream's podutil.IsPodAvailable)."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = ready_since(pod)
    return since is not None and since + dt.timedelta(seconds=min_ready_seconds) < now
