"""Pod conditions and the deletions that write one first, as the node controllers make them."""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.api import ClusterApi
from cluster.objects import format_time

# The condition upstream writes on a pod before a controller deletes it for a disruption
# (k8s.io/api core/v1 DisruptionTarget).
DISRUPTION_TARGET = "DisruptionTarget"


def find_condition(obj: dict, condition_type: str) -> dict | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == condition_type:
            return condition
    return None


def update_pod_condition(status: dict, condition: dict, now: dt.datetime) -> bool:
    """Put `condition` in `status` and say whether anything changed, as upstream's
    UpdatePodCondition: lastTransitionTime is now, unless the status stays the same."""
    condition = {"lastProbeTime": None, **condition, "lastTransitionTime": format_time(now)}
    conditions = status.setdefault("conditions", [])
    old = next((c for c in conditions if c.get("type") == condition["type"]), None)
    if old is None:
        conditions.append(condition)
        return True
    if condition.get("status") == old.get("status"):
        condition["lastTransitionTime"] = old.get("lastTransitionTime")
    unchanged = all(
        condition.get(field) == old.get(field)
        for field in ("status", "reason", "message", "lastProbeTime", "lastTransitionTime")
    )
    conditions[conditions.index(old)] = condition
    return not unchanged


def with_disruption_target(pod: dict, reason: str, message: str, now: dt.datetime) -> dict | None:
    """The pod with DisruptionTarget=True (reason, message) in its status, or None when it
    already says so."""
    updated = copy.deepcopy(pod)
    condition = {"type": DISRUPTION_TARGET, "status": "True", "reason": reason, "message": message}
    if not update_pod_condition(updated.setdefault("status", {}), condition, now):
        return None
    return updated


def api_error_code(error: Exception) -> int | None:
    """The HTTP code of an API error (the real ApiError and the tests' fake alike); anything
    else is a bug and has none."""
    return getattr(error, "code", None)


def write_pod_status(api: ClusterApi, pod: dict) -> dict:
    meta = pod["metadata"]
    return api.update_status("pods", pod, namespace=meta.get("namespace", ""))
