"""A Deployment's status and its Progressing and Available conditions, as upstream's
calculateStatus (sync.go) and the condition helpers of deployment/util."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from cluster.components.controllers.deployment_util import (
    MAX_INT32,
    max_unavailable,
    replicas,
    total_replicas,
    total_status,
)
from cluster.objects import format_time, parse_time

PROGRESSING = "Progressing"
AVAILABLE = "Available"
REPLICA_FAILURE = "ReplicaFailure"

# Reasons, as upstream names them.
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_REPLICA_SET_CREATED = "NewReplicaSetCreated"
FOUND_NEW_REPLICA_SET = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"


def new_condition(
    condition_type: str, status: str, reason: str, message: str, now: dt.datetime
) -> dict:
    stamp = format_time(now)
    return {
        "type": condition_type,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def get_condition(status: Mapping, condition_type: str) -> dict | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == condition_type:
            return condition
    return None


def set_condition(status: dict, condition: dict) -> None:
    """As upstream's SetDeploymentCondition: nothing changes when status and reason are the
    same; the transition time stays when only the reason changes."""
    current = get_condition(status, condition["type"])
    if current and current["status"] == condition["status"]:
        if current.get("reason") == condition["reason"]:
            return
        condition = {**condition, "lastTransitionTime": current.get("lastTransitionTime")}
    remove_condition(status, condition["type"])
    status.setdefault("conditions", []).append(condition)


def remove_condition(status: dict, condition_type: str) -> None:
    kept = [c for c in status.get("conditions") or [] if c.get("type") != condition_type]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


def has_progress_deadline(d: Mapping) -> bool:
    deadline = d["spec"].get("progressDeadlineSeconds")
    return deadline is not None and deadline != MAX_INT32


def has_revision_history_limit(d: Mapping) -> bool:
    limit = d["spec"].get("revisionHistoryLimit")
    return limit is not None and limit != MAX_INT32


def calculate_status(
    all_rss: Sequence[Mapping | None], new_rs: Mapping | None, d: Mapping, now: dt.datetime
) -> dict:
    """As upstream's calculateStatus. Zero counts are left out, as the API's JSON omits them."""
    available = total_status(all_rss, "availableReplicas")
    unavailable = max(total_replicas(all_rss) - available, 0)
    previous = d.get("status") or {}
    counts = {
        "observedGeneration": (d.get("metadata") or {}).get("generation"),
        "replicas": total_status(all_rss, "replicas"),
        "updatedReplicas": total_status([new_rs], "replicas"),
        "readyReplicas": total_status(all_rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": unavailable,
        "collisionCount": previous.get("collisionCount"),
    }
    status: dict = {key: value for key, value in counts.items() if value}
    if previous.get("conditions"):
        status["conditions"] = [dict(c) for c in previous["conditions"]]
    if available >= replicas(d) - max_unavailable(d):
        condition = new_condition(
            AVAILABLE,
            "True",
            MINIMUM_REPLICAS_AVAILABLE,
            "Deployment has minimum availability.",
            now,
        )
    else:
        condition = new_condition(
            AVAILABLE,
            "False",
            MINIMUM_REPLICAS_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            now,
        )
    set_condition(status, condition)
    return status


def deployment_complete(d: Mapping, status: Mapping) -> bool:
    """As upstream's DeploymentComplete: all desired replicas updated and available, no old
    ones left, and this generation observed."""
    want = replicas(d)
    return (
        status.get("updatedReplicas", 0) == want
        and status.get("replicas", 0) == want
        and status.get("availableReplicas", 0) == want
        and status.get("observedGeneration", 0) >= (d.get("metadata") or {}).get("generation", 0)
    )


def deployment_progressing(d: Mapping, new_status: Mapping) -> bool:
    """As upstream's DeploymentProgressing: more updated, ready or available pods, or fewer
    old ones, than the status the controller last wrote."""
    old = d.get("status") or {}

    def count(status: Mapping, field: str) -> int:
        return int(status.get(field) or 0)

    old_old = count(old, "replicas") - count(old, "updatedReplicas")
    new_old = count(new_status, "replicas") - count(new_status, "updatedReplicas")
    return (
        count(new_status, "updatedReplicas") > count(old, "updatedReplicas")
        or new_old < old_old
        or count(new_status, "readyReplicas") > count(old, "readyReplicas")
        or count(new_status, "availableReplicas") > count(old, "availableReplicas")
    )


def deployment_timed_out(d: Mapping, new_status: Mapping, now: dt.datetime) -> bool:
    """As upstream's DeploymentTimedOut: no progress since lastUpdateTime for longer than
    progressDeadlineSeconds."""
    if not has_progress_deadline(d):
        return False
    condition = get_condition(new_status, PROGRESSING)
    if condition is None or condition.get("reason") == NEW_RS_AVAILABLE:
        return False
    if condition.get("reason") == TIMED_OUT:
        return True
    deadline = dt.timedelta(seconds=d["spec"]["progressDeadlineSeconds"])
    return parse_time(condition["lastUpdateTime"]) + deadline < now


def progress_check_at(d: Mapping, status: Mapping) -> dt.datetime | None:
    """When the deadline of a rollout still in progress runs out (upstream's
    requeueStuckDeployment), one second late as upstream adds, so the check sees it passed."""
    condition = get_condition(status, PROGRESSING)
    if not has_progress_deadline(d) or condition is None:
        return None
    if deployment_complete(d, status) or condition.get("reason") in {TIMED_OUT, NEW_RS_AVAILABLE}:
        return None
    deadline = dt.timedelta(seconds=d["spec"]["progressDeadlineSeconds"] + 1)
    return parse_time(condition["lastUpdateTime"]) + deadline
