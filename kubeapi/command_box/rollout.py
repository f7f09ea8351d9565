"""`kubectl rollout status` and `rollout history` of a Deployment, read as kubectl reads
them (its DeploymentStatusViewer and history viewer), from API objects."""

from __future__ import annotations

from kubeapi.command_box.describe import tabwrite

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"


def status(deployment: dict) -> tuple[str, bool]:
    """kubectl's line for where the rollout stands, and whether it is done."""
    name = deployment["metadata"]["name"]
    spec, state = deployment.get("spec") or {}, deployment.get("status") or {}
    if deployment["metadata"].get("generation", 0) > state.get("observedGeneration", 0):
        return "Waiting for deployment spec update to be observed...", False
    progressing = next(
        (c for c in state.get("conditions") or [] if c.get("type") == "Progressing"), {}
    )
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return f'error: deployment "{name}" exceeded its progress deadline', False
    wanted = spec.get("replicas", 1)
    updated = state.get("updatedReplicas", 0)
    replicas = state.get("replicas", 0)
    available = state.get("availableReplicas", 0)
    waiting = f'Waiting for deployment "{name}" rollout to finish: '
    if updated < wanted:
        return f"{waiting}{updated} out of {wanted} new replicas have been updated...", False
    if replicas > updated:
        return f"{waiting}{replicas - updated} old replicas are pending termination...", False
    if available < updated:
        return f"{waiting}{available} of {updated} updated replicas are available...", False
    return f'deployment "{name}" successfully rolled out', True


def history(deployment: dict, replica_sets: list[dict]) -> str:
    """The revisions of the Deployment's ReplicaSets, oldest first."""
    uid = deployment["metadata"].get("uid")
    owned = [
        rs
        for rs in replica_sets
        if any(ref.get("uid") == uid for ref in rs["metadata"].get("ownerReferences") or [])
    ]
    revisions = sorted(
        (int(annotations.get(REVISION_ANNOTATION, "0")), annotations.get(CHANGE_CAUSE_ANNOTATION))
        for rs in owned
        for annotations in [rs["metadata"].get("annotations") or {}]
        if annotations.get(REVISION_ANNOTATION, "").isdigit()
    )
    rows = [
        "REVISION\tCHANGE-CAUSE",
        *(f"{revision}\t{cause or '<none>'}" for revision, cause in revisions),
    ]
    # kubectl's history viewer writes through a tabwriter padded by 2, as describe's.
    return f"deployment.apps/{deployment['metadata']['name']} \n" + tabwrite("\n".join(rows))
