"""The EndpointSlice controller: for each Service with a selector, slices listing its pods.

As upstream's pkg/controller/endpointslice (syncService and the reconciler in
staging/src/k8s.io/endpointslice): a pod with an IP that matches the selector is
an endpoint, with conditions ready (Ready and not terminating), serving (Ready)
and terminating (deletionTimestamp set); its ports are the Service's ports with
targetPort resolved against the pod (a named targetPort is looked up in its
containers' ports). Pods whose ports resolve alike share slices of at most 100
endpoints; a Service whose selector picks nothing keeps one empty placeholder slice.
Slices of a deleted Service go with it through the garbage collector (their
ownerReference), as upstream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.controller import (
    KNOW_NOTHING,
    WAKE_BATCH_SECONDS,
    ClusterFacts,
    Controller,
)
from cluster.components.controllers.ownership import controller_ref, set_selector_matches

NAME = "endpointslice"
MAX_ENDPOINTS_PER_SLICE = 100  # upstream's --max-endpoints-per-slice default
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
# Labels of a Service that its slices do not copy (upstream's setEndpointSliceLabels).
_NOT_COPIED = {SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL}


# --- what a pod contributes ----------------------------------------------------------


def is_pod_ready(pod: dict) -> bool:
    """Upstream's podutil.IsPodReady: the Ready condition is True."""
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def should_be_endpoint(pod: dict) -> bool:
    """Upstream's ShouldPodBeInEndpoints with terminating pods included: not finished, and
    has an IP."""
    status = pod.get("status", {})
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    return bool(status.get("podIP") or status.get("podIPs"))


def find_port(pod: dict, service_port: dict) -> int | None:
    """Upstream's podutil.FindPort: a number is used as is; a name is looked up in the pod's
    containers' ports of the same protocol (None when no container names it)."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    protocol = service_port.get("protocol", "TCP")
    for container in pod.get("spec", {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return port.get("containerPort")
    return None


def endpoint_ports(service: dict, pod: dict) -> list[dict]:
    """The slice ports this pod serves: one per Service port whose target it has."""
    ports = []
    for service_port in service["spec"].get("ports") or []:
        number = find_port(pod, service_port)
        if number is None:
            continue  # as upstream: a pod without the named port is not in that port
        ports.append(
            {
                "name": service_port.get("name", ""),
                "port": number,
                "protocol": service_port.get("protocol", "TCP"),
            }
        )
    return ports


def pod_endpoint(pod: dict) -> dict:
    """Upstream's podToEndpoint, for a single-stack IPv4 cluster."""
    meta = pod["metadata"]
    serving = is_pod_ready(pod)
    terminating = bool(meta.get("deletionTimestamp"))
    endpoint = {
        "addresses": [pod["status"].get("podIP") or pod["status"]["podIPs"][0]["ip"]],
        # A terminating pod is never "ready", even while it still serves.
        "conditions": {
            "ready": serving and not terminating,
            "serving": serving,
            "terminating": terminating,
        },
        "targetRef": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta.get("uid", ""),
        },
    }
    if node := pod.get("spec", {}).get("nodeName"):
        endpoint["nodeName"] = node
    return endpoint


def _ports_key(ports: list[dict]) -> tuple:
    return tuple(sorted((p["name"], p["port"], p["protocol"]) for p in ports or []))


# --- the desired slices ---------------------------------------------------------------


@dataclass
class Plan:
    """The writes one Service needs: slices to create, update and delete."""

    create: list[dict] = field(default_factory=list)
    update: list[dict] = field(default_factory=list)
    delete: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.create or self.update or self.delete)


def desired_endpoints(service: dict, pods: Iterable[dict]) -> dict[tuple, list[dict]]:
    """Endpoints of the matching pods, grouped by the ports they resolve to."""
    selector = service["spec"].get("selector")
    groups: dict[tuple, list[dict]] = {}
    ports_of: dict[tuple, list[dict]] = {}
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        if pod["metadata"].get("namespace") != service["metadata"]["namespace"]:
            continue
        if not set_selector_matches(selector, pod["metadata"].get("labels")):
            continue
        if not should_be_endpoint(pod):
            continue
        ports = endpoint_ports(service, pod)
        key = _ports_key(ports)
        ports_of[key] = ports
        groups.setdefault(key, []).append(pod_endpoint(pod))
    return {key: [ports_of[key], endpoints] for key, endpoints in groups.items()}


def plan_slices(service: dict, pods: Iterable[dict], existing: list[dict]) -> Plan:
    """What to write so the Service's slices list exactly its endpoints.

    As upstream's reconciler: endpoints stay in the slice that has them (updated in
    place when their conditions change), new ones fill slices with room before new
    slices are made, and slices left empty or with ports no pod has are deleted.
    """
    plan = Plan()
    wanted = desired_endpoints(service, pods)
    by_ports: dict[tuple, list[dict]] = {}
    for slice_ in existing:
        by_ports.setdefault(_ports_key(slice_.get("ports") or []), []).append(slice_)
    if not wanted:
        return _placeholder_plan(service, existing)
    for key, (ports, endpoints) in wanted.items():
        pending = {_address(endpoint): endpoint for endpoint in endpoints}
        kept: list[tuple[dict, list[dict]]] = []
        for slice_ in by_ports.pop(key, []):
            still_there = [
                pending.pop(_address(ep))
                for ep in slice_.get("endpoints") or []
                if _address(ep) in pending
            ]
            if still_there:
                kept.append((slice_, still_there))
            else:
                plan.delete.append(slice_)
        remaining = list(pending.values())
        for slice_, listed in kept:
            room = MAX_ENDPOINTS_PER_SLICE - len(listed)
            listed += remaining[:room]
            remaining = remaining[room:]
            if listed != (slice_.get("endpoints") or []) or slice_.get("ports") != ports:
                plan.update.append({**slice_, "endpoints": listed, "ports": ports})
        for start in range(0, len(remaining), MAX_ENDPOINTS_PER_SLICE):
            batch = remaining[start : start + MAX_ENDPOINTS_PER_SLICE]
            plan.create.append(new_slice(service, ports, batch))
    for stale in by_ports.values():
        plan.delete += stale
    return plan


def _address(endpoint: dict) -> str:
    addresses = endpoint.get("addresses") or [""]
    return addresses[0]


def _placeholder_plan(service: dict, existing: list[dict]) -> Plan:
    """No endpoints: one empty slice stays (upstream's placeholder), the others go."""
    plan = Plan()
    placeholder = next((s for s in existing if not s.get("endpoints") and not s.get("ports")), None)
    if placeholder is None:
        plan.create.append(new_slice(service, [], []))
    plan.delete = [s for s in existing if s is not placeholder]
    return plan


def new_slice(service: dict, ports: list[dict], endpoints: list[dict]) -> dict:
    meta = service["metadata"]
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in _NOT_COPIED}
    labels[SERVICE_NAME_LABEL] = meta["name"]
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    if service["spec"].get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "generateName": f"{meta['name']}-",
            "namespace": meta["namespace"],
            "labels": labels,
            "ownerReferences": [controller_ref(service)],
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": ports,
    }


# --- the reconcile ---------------------------------------------------------------------


def selects_pods(service: dict) -> bool:
    """Upstream's syncService skips ExternalName Services and those without a selector."""
    spec = service.get("spec", {})
    return spec.get("type") != "ExternalName" and spec.get("selector") is not None


def owned_slices(service: dict, slices: Iterable[dict]) -> list[dict]:
    meta = service["metadata"]
    return [
        s
        for s in slices
        if s["metadata"].get("namespace") == meta["namespace"]
        and (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == meta["name"]
        and (s["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY
    ]


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    services = [s for s in api.list("services")["items"] if selects_pods(s)]
    if not services:
        return  # no Service selects pods (default/kubernetes has its own endpoints)
    pods = api.list("pods")["items"]
    slices = api.list("endpointslices")["items"]
    for service in services:
        sync_service(api, service, pods, owned_slices(service, slices))
    api.explain("")


def sync_service(api: ClusterApi, service: dict, pods: list[dict], slices: list[dict]) -> None:
    plan = plan_slices(service, pods, slices)
    if not plan:
        return
    meta = service["metadata"]
    namespace = meta["namespace"]
    wanted = sum(len(e) for _, e in desired_endpoints(service, pods).values())
    listed = sum(len(s.get("endpoints") or []) for s in slices)
    api.explain(
        f"endpointslice {namespace}/{meta['name']}: {wanted} pods with an IP match the"
        f" selector, the slices list {listed}: {_describe(plan)}"
    )
    for slice_ in plan.update:
        api.update("endpointslices", slice_, namespace=namespace)
    for slice_ in plan.create:
        api.create("endpointslices", slice_, namespace=namespace)
    for slice_ in plan.delete:
        api.delete("endpointslices", slice_["metadata"]["name"], namespace=namespace)


def _describe(plan: Plan) -> str:
    parts = [
        f"{verb} {len(items)}"
        for verb, items in (
            ("updating", plan.update),
            ("creating", plan.create),
            ("deleting", plan.delete),
        )
        if items
    ]
    return ", ".join(parts)


def changes_endpoints(resource: str, event: dict, facts: ClusterFacts = KNOW_NOTHING) -> bool:
    """Whether a change can change an endpoint: for a pod, as upstream's podEndpointsChanged
    looks at it (IP, readiness, labels, node, deletion, a finished phase), if a Service may
    select it, before or after (upstream's getPodServiceMemberships); any change to a
    Service or a slice."""
    if resource != "pods":
        return True
    new, old = event.get("object"), event.get("previous")
    if not any(((pod or {}).get("status") or {}).get("podIP") for pod in (new, old)):
        return False  # without an IP a pod is no endpoint, before or after (a new pod, a binding)
    if not any(
        facts.a_service_may_select(meta.get("namespace", ""), meta.get("labels"))
        for meta in ((pod or {}).get("metadata") or {} for pod in (new, old) if pod)
    ):
        return False
    if event.get("type") == "DELETED" or not new or not old:
        return True
    return _endpoint_facts(new) != _endpoint_facts(old)


def _endpoint_facts(pod: dict) -> tuple:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    ready = next(
        (c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"),
        None,
    )
    return (
        status.get("podIP"),
        ready,
        meta.get("labels"),
        meta.get("deletionTimestamp"),
        (pod.get("spec") or {}).get("nodeName"),
        status.get("phase") in ("Succeeded", "Failed"),
    )


CONTROLLER = Controller(
    name=NAME,
    reconcile=reconcile,
    watches=frozenset({"services", "pods", "endpointslices"}),
    wakes_on=changes_endpoints,
    wake_delay=WAKE_BATCH_SECONDS,
)
