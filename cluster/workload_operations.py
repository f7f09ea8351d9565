"""What `kubectl scale`, `set image` and `rollout undo` do to a workload: ordinary API
calls, as kubectl makes them. The workload panels and the lessons share them, so each
reaches the API server the same way.

The caller builds the ApiServer (as the user, with the kubectl command it stands for):
every call is authorized and traced like any other.
"""

from __future__ import annotations

from cluster.apiserver import ApiServer
from cluster.components.controllers.deployment_rollback import RollbackError, rollback_template

__all__ = ["RollbackError", "scale", "set_image", "undo"]


def scale(api: ApiServer, resource: str, name: str, replicas: int, *, namespace: str) -> dict:
    """`kubectl scale`: a patch of the scale subresource."""
    return api.patch(
        resource, name, {"spec": {"replicas": replicas}}, namespace=namespace, subresource="scale"
    )


def set_image(
    api: ApiServer, deployment: str, image: str, *, namespace: str, container: str = ""
) -> dict:
    """`kubectl set image deployment/web nginx=nginx:1.27`: a new template, a new rollout.
    A patch, as kubectl sends, of the container named (the first, if none is): computed
    from a fresh read, it tests that container's name and replaces its image, so the
    controller's status writes in between never make it fail, as a whole update would."""
    current = api.get("deployments", deployment, namespace=namespace)
    containers = current["spec"]["template"]["spec"]["containers"]
    index = next((i for i, c in enumerate(containers) if c["name"] == container), 0)
    path = f"/spec/template/spec/containers/{index}"
    patch = [
        {"op": "test", "path": f"{path}/name", "value": containers[index]["name"]},
        {"op": "replace", "path": f"{path}/image", "value": image},
    ]
    return api.patch("deployments", deployment, patch, patch_type="json", namespace=namespace)


def undo(api: ApiServer, deployment: str, *, namespace: str) -> str:
    """`kubectl rollout undo`, which kubectl does on the client (apps/v1 has no rollback
    in the API): the previous revision's template patched in. Returns kubectl's message
    when there is nothing to do ("skipped rollback ..."), "" when rolled back; raises
    RollbackError when there is no revision to go back to."""
    current = api.get("deployments", deployment, namespace=namespace)
    replicasets = api.list("replicasets", namespace=namespace)["items"]
    rollback = rollback_template(current, replicasets)
    if not rollback["patch"]:
        return rollback["message"]
    api.patch(
        "deployments",
        deployment,
        rollback["patch"],
        patch_type=rollback["patch_type"],
        namespace=namespace,
    )
    return ""
