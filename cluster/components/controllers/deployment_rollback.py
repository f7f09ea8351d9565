"""`kubectl rollout undo`, which in 1.32 is client-side: apps/v1 has no spec.rollbackTo, so
kubectl copies an old ReplicaSet's template (and annotations) into the Deployment with one
JSON patch (kubectl's DeploymentRollbacker). The controller then finds that ReplicaSet to be
the new one again and moves it to the next revision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cluster.components.controllers import deployment_util as du
from cluster.components.controllers.deployment_hash import (
    equal_ignore_hash,
    template_without_hash,
)
from cluster.components.controllers.ownership import controller_of


class RollbackError(ValueError):
    """What kubectl prints instead of sending a patch."""


def rollback_template(
    deployment: Mapping, replicasets: Sequence[Mapping], to_revision: int = 0
) -> dict:
    """The patch `kubectl rollout undo deployment/<name> [--to-revision=N]` sends:
    {"patch_type": "json", "patch": [RFC 6902 operations], "to_revision": N,
    "message": what kubectl prints}. The patch is empty when the template already is that
    revision's ("skipped rollback"). Raises RollbackError as kubectl refuses."""
    name = deployment["metadata"]["name"]
    if (deployment.get("spec") or {}).get("paused"):
        raise RollbackError(
            "you cannot rollback a paused deployment; resume it first with"
            " 'kubectl rollout resume' and try again"
        )
    target = _replica_set_for_revision(deployment, replicasets, to_revision)
    revision = du.revision(target)
    if equal_ignore_hash(target["spec"].get("template"), deployment["spec"].get("template")):
        return {
            "patch_type": "json",
            "patch": [],
            "to_revision": revision,
            "message": f"skipped rollback (current template already matches revision {revision})",
        }
    current = (deployment.get("metadata") or {}).get("annotations") or {}
    annotations = {key: value for key, value in current.items() if key in du.ANNOTATIONS_TO_SKIP}
    for key, value in ((target.get("metadata") or {}).get("annotations") or {}).items():
        if key not in du.ANNOTATIONS_TO_SKIP:
            annotations[key] = value
    return {
        "patch_type": "json",
        "patch": [
            {
                "op": "replace",
                "path": "/spec/template",
                "value": template_without_hash(target["spec"].get("template")),
            },
            {"op": "replace", "path": "/metadata/annotations", "value": annotations},
        ],
        "to_revision": revision,
        "message": f"deployment.apps/{name} rolled back",
    }


def _replica_set_for_revision(
    deployment: Mapping, replicasets: Sequence[Mapping], to_revision: int
) -> Mapping:
    """As kubectl's rsForRevision: the given revision, or (0) the one before the latest."""
    uid = deployment["metadata"].get("uid")
    owned = [
        rs
        for rs in replicasets
        if (owner := controller_of(rs)) is not None and owner.get("uid") == uid
    ]
    if to_revision > 0:
        for rs in owned:
            if du.revision(rs) == to_revision:
                return rs
        raise RollbackError(f"unable to find specified revision {to_revision} in history")
    latest = previous = None
    for rs in owned:
        value = du.revision(rs)
        if latest is None or du.revision(latest) < value:
            previous, latest = latest, rs
        elif previous is None or du.revision(previous) < value:
            previous = rs
    if previous is None:
        name = deployment["metadata"]["name"]
        raise RollbackError(f'no rollout history found for deployment "{name}"')
    return previous
