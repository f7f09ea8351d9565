"""Pages and panels. Views read and change cluster state only through the API server
(or the sandbox services that call it), and answer htmx requests with partials."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cluster import faults, loops
from cluster.apiserver import ApiError, ApiServer
from cluster.components.runtime import CATALOGUE
from cluster.models import Sandbox
from cluster.sandboxes import (
    clock_pause,
    clock_resume,
    clock_set_speed,
    sandbox_create,
    sandbox_reset,
)
from cluster.topology import SHAPES
from sandbox.forms import PodForm
from sandbox.manifests import manifests_create
from sandbox.pod_status import pod_status_label, ready_count, restarts
from sandbox.selectors import (
    component_states,
    latest_scheduling,
    sandbox_lookup,
    sandbox_snapshot,
    sandboxes_for_user,
)

SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0)


def sandbox_view(view: Callable) -> Callable:
    """Log in, load the sandbox, and answer an ApiError with its Status, as a page or partial."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, sandbox_id: int, *args, **kwargs) -> HttpResponse:
        try:
            sandbox = sandbox_lookup(sandbox_id)
            return view(request, sandbox, *args, **kwargs)
        except ApiError as error:
            template = "sandbox/partials/status.html" if request.htmx else "sandbox/error.html"
            return render(request, template, {"status": error.status()}, status=error.code)

    return wrapper


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sandbox/home.html",
        {"sandboxes": sandboxes_for_user(request.user), "shapes": SHAPES.values()},
    )


@require_POST
@login_required
def sandbox_new(request: HttpRequest) -> HttpResponse:
    shape = request.POST.get("shape", "lesson")
    if shape not in SHAPES:
        return HttpResponse(f"Unknown cluster shape {shape!r}", status=400)
    sandbox = sandbox_create(owner=request.user, name=SHAPES[shape].title, shape=shape)
    return redirect("sandbox-detail", sandbox_id=sandbox.pk)


@require_GET
@sandbox_view
def sandbox_detail(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    snapshot = sandbox_snapshot(sandbox, request.user)
    return render(
        request,
        "sandbox/detail.html",
        {
            "sandbox": sandbox,
            "snapshot": snapshot,
            "panel_base": f"/sandboxes/{sandbox.pk}/",
            "ws_path": f"/ws/sandboxes/{sandbox.pk}/",
            "speeds": SPEEDS,
        },
    )


# -- the sandbox clock ---------------------------------------------------------------


@require_POST
@sandbox_view
def clock_control(request: HttpRequest, sandbox: Sandbox, action: str) -> HttpResponse:
    apiserver = ApiServer.as_user(sandbox, request.user)
    if action == "pause":
        apiserver.fault(
            "pause",
            "clock",
            apply=lambda: clock_pause(sandbox),
            narration="paused the sandbox clock: no component acts until play",
        )
    elif action == "resume":
        apiserver.fault(
            "resume",
            "clock",
            apply=lambda: clock_resume(sandbox),
            narration="resumed the sandbox clock",
        )
    elif action == "speed":
        try:
            speed = float(request.POST.get("speed", "1"))
        except ValueError:
            speed = 0
        if speed not in SPEEDS:
            return HttpResponse(f"speed must be one of {SPEEDS}", status=400)
        apiserver.fault(
            "speed",
            "clock",
            apply=lambda: clock_set_speed(sandbox, speed),
            narration=f"set the sandbox clock to {speed:g}x",
        )
    elif action == "step":
        component = request.POST.get("component") or None
        apiserver.fault(
            "step",
            component or "all",
            apply=lambda: None,
            narration=f"stepped {component or 'every component'} one tick",
        )
        loops.step(sandbox, component)
    else:
        return HttpResponse(status=404)
    return HttpResponse(status=204)


# -- pods ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@sandbox_view
def pod_new(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    form = PodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        apiserver = ApiServer.as_user(sandbox, request.user)
        created = []
        try:
            for manifest in form.manifests():
                created.append(apiserver.create("pods", manifest, namespace="default"))
        except ApiError as error:
            form.add_api_causes(error.status())
        if created and not form.errors:
            return _pod_panel(request, sandbox, created[0])
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
    return render(
        request,
        "sandbox/partials/pod.html",
        {
            "sandbox": sandbox,
            "pod": pod,
            "status_label": pod_status_label(pod),
            "ready": ready_count(pod),
            "restarts": restarts(pod),
            "events": sorted(events, key=lambda e: e.get("lastTimestamp") or ""),
            "decision": decision,
            "plugins": [f["plugin"] for f in decision["nodes"][0]["filters"]]
            if decision and decision["nodes"]
            else [],
        },
    )


@require_POST
@sandbox_view
def pod_action(
    request: HttpRequest, sandbox: Sandbox, namespace: str, name: str, action: str
) -> HttpResponse:
    apiserver = ApiServer.as_user(sandbox, request.user)
    if action == "delete":
        deleted = apiserver.delete("pods", name, namespace=namespace)
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


# -- nodes and components ---------------------------------------------------------------


@require_GET
@sandbox_view
def node_detail(request: HttpRequest, sandbox: Sandbox, name: str) -> HttpResponse:
    return _node_panel(request, sandbox, name)


def _node_panel(request: HttpRequest, sandbox: Sandbox, name: str) -> HttpResponse:
    apiserver = ApiServer.as_user(sandbox, request.user)
    node = apiserver.get("nodes", name)
    pods = apiserver.list("pods", field_selector=f"spec.nodeName={name}")["items"]
    kubelet = next((c for c in component_states(sandbox) if c["name"] == f"kubelet/{name}"), None)
    return render(
        request,
        "sandbox/partials/node.html",
        {
            "sandbox": sandbox,
            "node": node,
            "pods": [(pod, pod_status_label(pod)) for pod in pods],
            "kubelet": kubelet,
            "ready": next(
                (
                    c["status"]
                    for c in node.get("status", {}).get("conditions", [])
                    if c["type"] == "Ready"
                ),
                "Unknown",
            ),
        },
    )


@require_POST
@sandbox_view
def node_action(request: HttpRequest, sandbox: Sandbox, name: str, action: str) -> HttpResponse:
    apiserver = ApiServer.as_user(sandbox, request.user)
    if action == "cordon":
        apiserver.patch("nodes", name, {"spec": {"unschedulable": True}})
    elif action == "uncordon":
        apiserver.patch("nodes", name, {"spec": {"unschedulable": None}})
    elif action == "drain":
        apiserver.patch("nodes", name, {"spec": {"unschedulable": True}})
        for pod in apiserver.list("pods", field_selector=f"spec.nodeName={name}")["items"]:
            apiserver.delete(
                "pods", pod["metadata"]["name"], namespace=pod["metadata"]["namespace"]
            )
    elif action in {"stop-kubelet", "start-kubelet"}:
        change = faults.component_stop if action == "stop-kubelet" else faults.component_start
        change(sandbox, request.user, f"kubelet/{name}")
    elif action in {"taint", "untaint"}:
        node = apiserver.get("nodes", name)
        taints = [
            t for t in node["spec"].get("taints", []) if t.get("key") != request.POST.get("key")
        ]
        if action == "taint":
            taint = {"key": request.POST.get("key", ""), "effect": request.POST.get("effect", "")}
            if value := request.POST.get("value"):
                taint["value"] = value
            taints.append(taint)
        apiserver.patch("nodes", name, {"spec": {"taints": taints or None}})
    else:
        return HttpResponse(status=404)
    return _node_panel(request, sandbox, name)


@require_http_methods(["GET", "POST"])
@sandbox_view
def scheduler_panel(request: HttpRequest, sandbox: Sandbox, action: str = "") -> HttpResponse:
    if request.method == "POST":
        if action == "stop":
            faults.component_stop(sandbox, request.user, "scheduler")
        elif action == "start":
            faults.component_start(sandbox, request.user, "scheduler")
        else:
            return HttpResponse(status=404)
    scheduler = next(c for c in component_states(sandbox) if c["name"] == "scheduler")
    return render(
        request, "sandbox/partials/scheduler.html", {"sandbox": sandbox, "scheduler": scheduler}
    )


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
        result = manifests_create(ApiServer.as_user(sandbox, request.user), text)
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


@require_GET
@sandbox_view
def etcd_browser(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    prefix = request.GET.get("prefix") or "/registry/"
    key = request.GET.get("key", "")
    browse = ApiServer.as_user(sandbox, request.user).etcd_browse(prefix, key=key)
    return render(
        request,
        "sandbox/partials/etcd.html",
        {
            "sandbox": sandbox,
            "prefix": prefix,
            "key": key,
            "browse": browse,
            "value_json": json.dumps(browse.get("value"), indent=2) if key else "",
        },
    )


@require_POST
@sandbox_view
def sandbox_reset_view(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    sandbox_reset(sandbox, request.user)
    return redirect("sandbox-detail", sandbox_id=sandbox.pk)


COMPONENT_PANELS = {
    "kube-apiserver": "sandbox/partials/apiserver.html",
    "controller-manager": "sandbox/partials/controller_manager.html",
}


@require_GET
@sandbox_view
def component_panel(request: HttpRequest, sandbox: Sandbox, name: str) -> HttpResponse:
    template = COMPONENT_PANELS.get(name)
    if template is None:
        return HttpResponse(status=404)
    return render(request, template, {"sandbox": sandbox})
