"""The other panels: a node and its actions, the control-plane components
(scheduler, API server, controller manager) and the etcd browser."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cluster import faults
from cluster.apiserver import ApiServer
from cluster.models import Sandbox
from cluster.node_operations import (
    cordon,
    drain,
    set_taints,
    taints_with,
    uncordon,
    without_key,
)
from cluster.resources.keys import REGISTRY_ROOT
from cluster.sandboxes import CONTROLLER_MANAGER
from sandbox import rate_limits
from sandbox.kubectl import node_command
from sandbox.pod_status import pod_status_label
from sandbox.selectors import (
    clock_readable,
    component_state,
    controller_rows,
    kube_proxy_rules,
    last_controller_actions,
)
from sandbox.views.access import sandbox_view


@require_GET
@sandbox_view
def node_detail(request: HttpRequest, sandbox: Sandbox, name: str) -> HttpResponse:
    return _node_panel(request, sandbox, name)


def _node_panel(request: HttpRequest, sandbox: Sandbox, name: str) -> HttpResponse:
    apiserver = ApiServer.as_user(sandbox, request.user)
    node = apiserver.get("nodes", name)
    pods = apiserver.list("pods", field_selector=f"spec.nodeName={name}")["items"]
    kubelet = component_state(sandbox, f"kubelet/{name}")
    return render(
        request,
        "sandbox/partials/node.html",
        {
            "sandbox": sandbox,
            "node": node,
            "pods": [(pod, pod_status_label(pod)) for pod in pods],
            "kubelet": kubelet,
            # `kubectl taint nodes n key-` removes every effect of a key: one button a key.
            "taint_keys": list(dict.fromkeys(t["key"] for t in node["spec"].get("taints") or [])),
            "kube_proxy_rules": kube_proxy_rules(sandbox, name),
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
    if action in {"stop-node", "start-node"}:
        change = faults.node_stop if action == "stop-node" else faults.node_start
        change(sandbox, request.user, name=name)
    elif action in {"stop-kubelet", "start-kubelet"}:
        change = faults.component_stop if action == "stop-kubelet" else faults.component_start
        change(sandbox, request.user, f"kubelet/{name}")
    elif action in {"taint", "untaint"}:
        _change_taints(request, sandbox, name, add=action == "taint")
    elif action in {"cordon", "uncordon", "drain"}:
        apiserver = ApiServer.as_user(sandbox, request.user, command=node_command(action, name))
        operation = {"cordon": cordon, "uncordon": uncordon, "drain": drain}[action]
        operation(apiserver, name)
    else:
        return HttpResponse(status=404)
    return _node_panel(request, sandbox, name)


def _change_taints(request: HttpRequest, sandbox: Sandbox, name: str, *, add: bool) -> None:
    """`kubectl taint`: the node's taints with that key replaced by the new one, or removed."""
    key = request.POST.get("key", "")
    taint = {"key": key, "effect": request.POST.get("effect", "")}
    if value := request.POST.get("value"):
        taint["value"] = value
    taints = ApiServer.as_user(sandbox, request.user).get("nodes", name)["spec"].get("taints", [])
    changed = taints_with(taints, taint) if add else without_key(taints, key)
    retaint = len(without_key(taints, key)) < len(taints)
    command = node_command("taint" if add else "untaint", name, taint=taint, retaint=retaint)
    set_taints(ApiServer.as_user(sandbox, request.user, command=command), name, changed)


@require_http_methods(["GET", "POST"])
@sandbox_view
def scheduler_panel(request: HttpRequest, sandbox: Sandbox, action: str = "") -> HttpResponse:
    clock_readable(sandbox, request.user)  # its row is read without an API call
    if request.method == "POST":
        if action == "stop":
            faults.component_stop(sandbox, request.user, "scheduler")
        elif action == "start":
            faults.component_start(sandbox, request.user, "scheduler")
        else:
            return HttpResponse(status=404)
    scheduler = component_state(sandbox, "scheduler")
    return render(
        request, "sandbox/partials/scheduler.html", {"sandbox": sandbox, "scheduler": scheduler}
    )


@require_http_methods(["GET", "POST"])
@sandbox_view
def controller_manager_panel(
    request: HttpRequest, sandbox: Sandbox, action: str = ""
) -> HttpResponse:
    """kube-controller-manager: its controllers, what each did last, and stop / start."""
    clock_readable(sandbox, request.user)  # its rows and traces are read without an API call
    if request.method == "POST":
        if action not in {"stop", "start"}:
            return HttpResponse(status=404)
        change = faults.component_stop if action == "stop" else faults.component_start
        change(sandbox, request.user, CONTROLLER_MANAGER)
    rows = controller_rows(sandbox)
    actions = last_controller_actions(sandbox)
    return render(
        request,
        "sandbox/partials/controller_manager.html",
        {
            "sandbox": sandbox,
            "controllers": [(row, actions.get(row.name)) for row in rows],
            "running": any(row.running for row in rows),
            "last": max(actions.values(), key=lambda trace: trace.pk, default=None),
        },
    )


@require_GET
@sandbox_view
def etcd_browser(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    rate_limits.count_call(request.user, rate_limits.ETCD_BROWSE)
    prefix = request.GET.get("prefix") or REGISTRY_ROOT
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


COMPONENT_PANELS = {
    "kube-apiserver": "sandbox/partials/apiserver.html",
}


@require_GET
@sandbox_view
def component_panel(request: HttpRequest, sandbox: Sandbox, name: str) -> HttpResponse:
    template = COMPONENT_PANELS.get(name)
    if template is None:
        return HttpResponse(status=404)
    return render(request, template, {"sandbox": sandbox})
