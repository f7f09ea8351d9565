"""A ReplicaSet's (or ReplicationController's) status, as upstream's calculateStatus and
updateReplicaSetStatus (pkg/controller/replicaset/replica_set_utils.go)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from cluster.components.api import ClusterApi
from cluster.components.controllers.pod_state import is_pod_available, is_pod_ready
from cluster.objects import format_time

REPLICA_FAILURE = "ReplicaFailure"
CONFLICT = 409


def desired_replicas(owner: Mapping) -> int:
    """spec.replicas, which the API server defaults to 1."""
    replicas = (owner.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def min_ready_seconds(owner: Mapping) -> int:
    return int((owner.get("spec") or {}).get("minReadySeconds") or 0)


def calculate_status(
    owner: Mapping, pods: Sequence[Mapping], error: Exception | None, now: dt.datetime
) -> dict:
    """The status `owner` should have, given the active pods it controls and the error of
    this pass's creations or deletions, if any.

    Zero counts are left out, as the API server's JSON leaves them out (omitempty); only
    replicas is always there.
    """
    template = (owner.get("spec") or {}).get("template") or {}
    template_labels = (template.get("metadata") or {}).get("labels") or {}
    ready = [pod for pod in pods if is_pod_ready(pod)]
    counts = {
        # Pods whose labels carry all of the template's, not just the selector's.
        "fullyLabeledReplicas": sum(1 for pod in pods if _has_labels(pod, template_labels)),
        "readyReplicas": len(ready),
        "availableReplicas": sum(
            1 for pod in ready if is_pod_available(pod, min_ready_seconds(owner), now)
        ),
        "observedGeneration": int(owner["metadata"].get("generation") or 0),
    }
    status: dict = {"replicas": len(pods)}
    status.update({field: value for field, value in counts.items() if value})
    if conditions := _conditions(owner, len(pods), error, now):
        status["conditions"] = conditions
    return status


def write_status(api: ClusterApi, resource: str, owner: dict, status: dict, *, reason: str) -> dict:
    """Write `status` through the status subresource unless it is already there; after a
    conflict, once more onto a fresh read (upstream's updateReplicaSetStatus, whose
    statusUpdateRetries is 1)."""
    if (owner.get("status") or {}) == status:
        return owner
    namespace, name = owner["metadata"].get("namespace", ""), owner["metadata"]["name"]
    api.explain(reason)
    try:
        try:
            return api.update_status(resource, {**owner, "status": status}, namespace=namespace)
        except Exception as error:  # an ApiError: 409 means someone wrote in between
            if getattr(error, "code", None) != CONFLICT:
                raise
        fresh = {**owner, **api.get(resource, name, namespace=namespace), "status": status}
        return api.update_status(resource, fresh, namespace=namespace)
    finally:
        api.explain("")


def _conditions(
    owner: Mapping, active: int, error: Exception | None, now: dt.datetime
) -> list[dict]:
    """The ReplicaFailure condition is set when creating or deleting failed and there was
    none, and removed at the first pass that does not fail."""
    conditions = list((owner.get("status") or {}).get("conditions") or [])
    failure = next((c for c in conditions if c.get("type") == REPLICA_FAILURE), None)
    if error is not None and failure is None:
        difference = active - desired_replicas(owner)
        condition = {
            "type": REPLICA_FAILURE,
            "status": "True",
            "lastTransitionTime": format_time(now),
        }
        if difference:
            condition["reason"] = "FailedCreate" if difference < 0 else "FailedDelete"
        condition["message"] = str(error)
        conditions.append(condition)
    elif error is None and failure is not None:
        conditions.remove(failure)
    return conditions


def _has_labels(pod: Mapping, labels: Mapping) -> bool:
    """labels.Set(template labels) as a selector: an empty set matches every pod."""
    pod_labels = pod["metadata"].get("labels") or {}
    return all(pod_labels.get(key) == value for key, value in labels.items())
