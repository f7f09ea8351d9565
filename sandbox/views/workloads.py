"""The workload panels: a Deployment with its ReplicaSets side by side, a ReplicaSet or
ReplicationController with its pods, and their actions (scale, roll out a new image,
roll back, delete), each the API calls of the kubectl command it stands for."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from cluster import workload_operations
from cluster.apiserver import ApiError, ApiServer
from cluster.models import Sandbox
from sandbox import rollouts
from sandbox.kubectl import workload_command
from sandbox.pod_status import pod_status_label
from sandbox.views.access import sandbox_view

# The kinds a workload panel shows, by their URL name.
WORKLOADS = {
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "replicationcontrollers": "ReplicationController",
}
MAX_REPLICAS = 100
SERVICE_NAME_LABEL = "kubernetes.io/service-name"  # on the EndpointSlices of a Service
# Rollouts belong to Deployments: a ReplicaSet only scales.
ACTIONS = {"deployments": {"scale", "image", "undo", "delete"}, "*": {"scale", "delete"}}


@require_GET
@sandbox_view
def workload_detail(
    request: HttpRequest, sandbox: Sandbox, resource: str, namespace: str, name: str
) -> HttpResponse:
    if resource == "services":
        return service_panel(request, sandbox, namespace, name)
    if resource not in WORKLOADS:
        return HttpResponse(status=404)
    obj = ApiServer.as_user(sandbox, request.user).get(resource, name, namespace=namespace)
    return workload_panel(request, sandbox, resource, obj)


def service_panel(
    request: HttpRequest, sandbox: Sandbox, namespace: str, name: str
) -> HttpResponse:
    """A Service: its ClusterIP and ports, and the endpoints its EndpointSlices list."""
    reader = ApiServer.as_user(sandbox, request.user)
    service = reader.get("services", name, namespace=namespace)
    slices = [
        s
        for s in reader.list("endpointslices", namespace=namespace)["items"]
        if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name
    ]
    endpoints = [
        (endpoint, [p.get("port") for p in s.get("ports") or []])
        for s in slices
        for endpoint in s.get("endpoints") or []
    ]
    return render(
        request,
        "sandbox/partials/service.html",
        {"sandbox": sandbox, "service": service, "endpoints": endpoints},
    )


@require_POST
@sandbox_view
def workload_action(
    request: HttpRequest, sandbox: Sandbox, resource: str, namespace: str, name: str, action: str
) -> HttpResponse:
    if resource not in WORKLOADS or action not in ACTIONS.get(resource, ACTIONS["*"]):
        return HttpResponse(status=404)
    error = ""
    try:
        error = _act(request, sandbox, resource, namespace, name, action)
    except ApiError as refused:
        if refused.code in {401, 403, 404}:
            raise
        error = refused.status().get("message", str(refused))
    if action == "delete" and not error:
        return render(
            request,
            "sandbox/partials/workload_gone.html",
            {"kind": WORKLOADS[resource], "namespace": namespace, "name": name},
        )
    obj = ApiServer.as_user(sandbox, request.user).get(resource, name, namespace=namespace)
    return workload_panel(
        request, sandbox, resource, obj, error=error, status=422 if error else 200
    )


def _act(
    request: HttpRequest, sandbox: Sandbox, resource: str, namespace: str, name: str, action: str
) -> str:
    """Make the calls of one action; return what is wrong with the input, or ""."""
    kind = WORKLOADS[resource]
    if action == "scale":
        try:
            replicas = int(request.POST.get("replicas", ""))
        except ValueError:
            return "Replicas must be a whole number."
        if not 0 <= replicas <= MAX_REPLICAS:
            return f"Replicas must be between 0 and {MAX_REPLICAS} in this sandbox."
        command = workload_command("scale", kind, namespace, name, replicas=replicas)
        api = ApiServer.as_user(sandbox, request.user, command=command)
        workload_operations.scale(api, resource, name, replicas, namespace=namespace)
    elif action == "image":
        return _set_image(request, sandbox, namespace, name)
    elif action == "undo":
        command = workload_command("undo", kind, namespace, name)
        api = ApiServer.as_user(sandbox, request.user, command=command)
        try:
            # kubectl's "skipped rollback (current template already matches ...)", or ""
            return workload_operations.undo(api, name, namespace=namespace)
        except workload_operations.RollbackError as refused:
            return str(refused)
    elif action == "delete":
        command = workload_command("delete", kind, namespace, name)
        ApiServer.as_user(sandbox, request.user, command=command).delete(
            resource, name, namespace=namespace
        )
    return ""


def _set_image(request: HttpRequest, sandbox: Sandbox, namespace: str, name: str) -> str:
    """`kubectl set image deployment/web nginx=nginx:1.27`: a new template, a new rollout."""
    image = request.POST.get("image", "").strip()
    container = request.POST.get("container", "")
    if not image:
        return "Name the image to roll out, e.g. nginx:1.27.3."
    deployment = ApiServer.as_user(sandbox, request.user).get(
        "deployments", name, namespace=namespace
    )
    containers = deployment["spec"]["template"]["spec"]["containers"]
    container = next((c for c in containers if c["name"] == container), containers[0])["name"]
    command = workload_command(
        "image", "Deployment", namespace, name, container=container, image=image
    )
    api = ApiServer.as_user(sandbox, request.user, command=command)
    workload_operations.set_image(api, name, image, namespace=namespace, container=container)
    return ""


def workload_panel(
    request: HttpRequest,
    sandbox: Sandbox,
    resource: str,
    obj: dict,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    reader = ApiServer.as_user(sandbox, request.user)
    namespace = obj["metadata"]["namespace"]
    uid = obj["metadata"]["uid"]
    replicasets: list[dict] = []
    owned_by = uid
    if resource == "deployments":
        replicasets = sorted(
            (
                rs
                for rs in reader.list("replicasets", namespace=namespace)["items"]
                if _owned(rs, uid)
            ),
            key=rollouts.revision,
            reverse=True,
        )
        owners = {rs["metadata"]["uid"] for rs in replicasets}
    else:
        owners = {owned_by}
    pods = [
        (pod, pod_status_label(pod))
        for pod in reader.list("pods", namespace=namespace)["items"]
        if any(_owned(pod, owner) for owner in owners)
    ]
    owner = next(iter(obj["metadata"].get("ownerReferences") or []), None)
    return render(
        request,
        "sandbox/partials/workload.html",
        {
            "sandbox": sandbox,
            "resource": resource,
            "kind": WORKLOADS[resource],
            "obj": obj,
            "owner": owner,
            "replicasets": [(rs, rollouts.revision(rs)) for rs in replicasets],
            "pods": pods,
            "images": ", ".join(
                c["image"] for c in obj["spec"]["template"]["spec"].get("containers", [])
            ),
            "conditions": (obj.get("status") or {}).get("conditions") or [],
            "error": error,
            "history": rollouts.has_previous(obj, replicasets)
            if resource == "deployments"
            else False,
        },
        status=status,
    )


def _owned(obj: dict, owner_uid: str) -> bool:
    return any(
        ref.get("uid") == owner_uid and ref.get("controller")
        for ref in obj["metadata"].get("ownerReferences") or []
    )
