"""The pod panels: create pods (the form and the YAML editor), a pod's details
with "why here" or "why pending", and a pod's actions (crash, delete)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cluster import faults
from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.limits import request_body_check
from cluster.components.runtime import CATALOGUE
from cluster.models import Sandbox
from sandbox.forms import PodForm
from sandbox.kubectl import CREATE_FROM_STDIN, create_command, delete_pod_command
from sandbox.manifests import manifests_create
from sandbox.pod_status import pod_status_label, ready_count, restarts
from sandbox.selectors import component_state, latest_scheduling
from sandbox.views.access import sandbox_view
from sandbox.views.workloads import workload_panel

# The owners whose panel a pod's "Controlled by" opens.
OWNER_PANELS = {"ReplicaSet": "replicasets", "ReplicationController": "replicationcontrollers"}


@require_http_methods(["GET", "POST"])
@sandbox_view
def pod_new(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    form = PodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        manifest = form.manifest()
        apiserver = ApiServer.as_user(sandbox, request.user, command=create_command(manifest))
        try:
            created = apiserver.create(form.resource, manifest, namespace="default")
        except ApiError as error:
            form.add_api_causes(error.status())
        else:
            if form.resource == "pods":
                return _pod_panel(request, sandbox, created)
            return workload_panel(request, sandbox, form.resource, created)
    return render(
        request,
        "sandbox/partials/pod_form.html",
        {"form": form, "sandbox": sandbox, "catalogue": CATALOGUE},
        status=422 if form.errors else 200,
    )


@require_GET
@sandbox_view
def pod_detail(request: HttpRequest, sandbox: Sandbox, namespace: str, name: str) -> HttpResponse:
    pod = ApiServer.as_user(sandbox, request.user).get("pods", name, namespace=namespace)
    return _pod_panel(request, sandbox, pod)


def _pod_panel(request: HttpRequest, sandbox: Sandbox, pod: dict) -> HttpResponse:
    apiserver = ApiServer.as_user(sandbox, request.user)
    meta = pod["metadata"]
    events = apiserver.list(
        "events",
        namespace=meta["namespace"],
        field_selector=f"involvedObject.name={meta['name']},involvedObject.uid={meta['uid']}",
    )["items"]
    decision = latest_scheduling(sandbox, meta["uid"])
    owner = next((r for r in meta.get("ownerReferences") or [] if r.get("controller")), None)
    owner_resource = OWNER_PANELS.get((owner or {}).get("kind", ""))
    return render(
        request,
        "sandbox/partials/pod.html",
        {
            "sandbox": sandbox,
            "pod": pod,
            "status_label": pod_status_label(pod),
            "ready": ready_count(pod),
            "restarts": restarts(pod),
            "events": sorted(events, key=_event_order),
            "decision": decision,
            "plugins": filter_columns(decision),
            "scheduler": component_state(sandbox, "scheduler"),
            "owner": owner,
            "owner_url": reverse(
                "workload-detail",
                args=[sandbox.pk, owner_resource, meta["namespace"], owner["name"]],
            )
            if owner and owner_resource
            else "",
        },
    )


def _event_order(event: dict) -> tuple[str, int]:
    """As `kubectl describe` lists them, by when they last happened; events of the same
    second (timestamps have no finer grain) in the order they were recorded."""
    return event.get("lastTimestamp") or "", int(event["metadata"].get("resourceVersion") or 0)


def filter_columns(decision: dict | None) -> list[str]:
    """The filter plugins, one table column each, as a node that went through every filter
    lists them. A node a PreFilter ruled out has a single answer instead, which the
    table spans across the columns."""
    if not decision:
        return []
    widest = max((node["filters"] for node in decision["nodes"]), key=len, default=[])
    return [f["plugin"] for f in widest]


@require_POST
@sandbox_view
def pod_action(
    request: HttpRequest, sandbox: Sandbox, namespace: str, name: str, action: str
) -> HttpResponse:
    apiserver = ApiServer.as_user(sandbox, request.user)
    if action == "delete":
        command = delete_pod_command(namespace, name)
        deleted = ApiServer.as_user(sandbox, request.user, command=command).delete(
            "pods", name, namespace=namespace
        )
        if not deleted["metadata"].get("deletionTimestamp"):  # gone at once (never scheduled)
            return render(request, "sandbox/partials/gone.html", {"pod": deleted})
    elif action == "crash":
        pod = apiserver.get("pods", name, namespace=namespace)
        container = request.POST.get("container") or pod["spec"]["containers"][0]["name"]
        try:
            exit_code = int(request.POST.get("exit_code", "1"))
        except ValueError:
            exit_code = 1
        faults.container_crash(
            sandbox,
            request.user,
            namespace=namespace,
            pod=name,
            container=container,
            exit_code=exit_code,
        )
    else:
        return HttpResponse(status=404)
    return _pod_panel(request, sandbox, apiserver.get("pods", name, namespace=namespace))


EXAMPLE_MANIFEST = """apiVersion: v1
kind: Pod
metadata:
  name: hello
  labels:
    app: hello
spec:
  restartPolicy: Always
  containers:
    - name: app
      image: nginx:1.27.3
      resources:
        requests:
          cpu: 250m
          memory: 64Mi
"""


@require_http_methods(["GET", "POST"])
@sandbox_view
def manifest_create(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """A YAML editor: `kubectl create -f`, with each cause shown at its line."""
    text = request.POST.get("manifest", EXAMPLE_MANIFEST)
    result = None
    if request.method == "POST":
        try:  # as kube-apiserver reads a body: past its limit, nothing is parsed
            request_body_check(len(text.encode()))
        except ApiError as refused:
            context = {"sandbox": sandbox, "text": text, "refused": refused.status()}
            return render(request, "sandbox/partials/manifest.html", context, status=refused.code)
        apiserver = ApiServer.as_user(sandbox, request.user, command=CREATE_FROM_STDIN)
        result = manifests_create(apiserver, text)
    errors = result.errors_by_line if result else {}
    lines = [
        (number, line, errors.get(number, []))
        for number, line in enumerate(text.splitlines(), start=1)
    ]
    return render(
        request,
        "sandbox/partials/manifest.html",
        {
            "sandbox": sandbox,
            "text": text,
            "result": result,
            "lines": lines,
            "has_errors": bool(errors),
        },
        status=422 if errors else 200,
    )
