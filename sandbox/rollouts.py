"""`kubectl rollout undo`, which is client-side: kubectl finds the ReplicaSet of the
previous revision and puts its pod template back into the Deployment (apps/v1 has
no rollback in the API). As kubectl 1.32's DeploymentRollbacker."""

from __future__ import annotations

import copy

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
POD_TEMPLATE_HASH = "pod-template-hash"


class NoRolloutHistory(Exception):
    """There is no earlier revision to go back to (kubectl's message)."""


def revision(replicaset: dict) -> int:
    """A ReplicaSet's revision number; 0 when it has none."""
    value = (replicaset["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION, "")
    return int(value) if value.isdigit() else 0


def owned_replicasets(deployment: dict, replicasets: list[dict]) -> list[dict]:
    uid = deployment["metadata"]["uid"]
    return [
        rs
        for rs in replicasets
        if any(
            ref.get("uid") == uid and ref.get("controller")
            for ref in rs["metadata"].get("ownerReferences") or []
        )
    ]


def previous_replicaset(deployment: dict, replicasets: list[dict]) -> dict:
    """The ReplicaSet of the second-newest revision, as kubectl's deploymentRevision
    finds it for `rollout undo` without --to-revision."""
    ranked = sorted(
        (rs for rs in owned_replicasets(deployment, replicasets) if revision(rs) > 0),
        key=revision,
        reverse=True,
    )
    if len(ranked) < 2:
        raise NoRolloutHistory(
            f'no rollout history found for deployment "{deployment["metadata"]["name"]}"'
        )
    return ranked[1]


def has_previous(deployment: dict, replicasets: list[dict]) -> bool:
    try:
        previous_replicaset(deployment, replicasets)
    except NoRolloutHistory:
        return False
    return True


def previous_template(deployment: dict, replicasets: list[dict]) -> dict:
    """The pod template to put back: the previous ReplicaSet's, without the
    pod-template-hash label the Deployment controller added."""
    if deployment["spec"].get("paused"):
        name = deployment["metadata"]["name"]
        raise NoRolloutHistory(
            "you cannot rollback a paused deployment; resume it first with"
            f" 'kubectl rollout resume deployment/{name}' and try again"
        )
    template = copy.deepcopy(previous_replicaset(deployment, replicasets)["spec"]["template"])
    labels = template.setdefault("metadata", {}).get("labels") or {}
    labels.pop(POD_TEMPLATE_HASH, None)
    return template
