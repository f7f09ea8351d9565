"""The Endpoints controller: for each Service with a selector, an Endpoints of its name.

As upstream's pkg/controller/endpoint (syncService), which 1.32 still runs beside the
EndpointSlice controller, for the clients that read core/v1 Endpoints (`kubectl get
endpoints`, `kubectl describe service`). A pod with an IP that matches the selector, is
not finished and is not being deleted is an address, under `addresses` when it is Ready
(or the Service publishes not-ready addresses), else under `notReadyAddresses`; its
ports are the Service's ports with targetPort resolved against the pod. Addresses that
serve the same ports share a subset (upstream's RepackSubsets). A Service with no such
pod still has its Endpoints, with no subsets; an Endpoints whose Service is gone is
deleted. Services without a selector (default/kubernetes) keep the Endpoints their
owner writes. A write says when the change it shows happened (trigger_time.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.controller import WAKE_BATCH_SECONDS, Controller
from cluster.components.controllers.endpointslice import (
    changes_endpoints,
    find_port,
    is_pod_ready,
    selects_pods,
)
from cluster.components.controllers.ownership import set_selector_matches
from cluster.components.controllers.trigger_time import (
    LAST_CHANGE_TRIGGER_TIME,
    forget_gone,
    last_change_trigger_time,
)

NAME = "endpoints"
HEADLESS_LABEL = "service.kubernetes.io/headless"
# Upstream leaves alone an Endpoints used as a leader-election lock.
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"


def should_be_address(pod: dict, publish_not_ready: bool) -> bool:
    """Upstream's ShouldPodBeInEndpoints: an IP, not finished, and not being deleted
    unless the Service publishes not-ready addresses."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not (status.get("podIP") or status.get("podIPs")):
        return False
    return publish_not_ready or not (pod.get("metadata") or {}).get("deletionTimestamp")


def pod_address(pod: dict) -> dict:
    """Upstream's podToEndpointAddressForService, for a single-stack IPv4 cluster."""
    meta, status = pod["metadata"], pod["status"]
    address = {
        "ip": status.get("podIP") or status["podIPs"][0]["ip"],
        "targetRef": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta.get("uid", ""),
        },
    }
    if node := (pod.get("spec") or {}).get("nodeName"):
        address["nodeName"] = node
    return address


def _endpoint_port(service_port: dict, number: int) -> dict:
    port = {"port": number, "protocol": service_port.get("protocol", "TCP")}
    if name := service_port.get("name"):
        port["name"] = name
    if app_protocol := service_port.get("appProtocol"):
        port["appProtocol"] = app_protocol
    return port


# A port as a hashable key; NO_PORT stands for "all ports" of a headless Service that
# lists none (upstream's sentinel port -1).
PortKey = tuple
NO_PORT: PortKey = ()


def desired_subsets(service: dict, pods: Iterable[dict]) -> list[dict]:
    """The Service's subsets: addresses that serve the same ports share one subset with
    all of those ports, as upstream's RepackSubsets packs them; addresses in IP order."""
    publish_not_ready = bool(service["spec"].get("publishNotReadyAddresses"))
    addresses_by_port: dict[PortKey, dict[str, tuple[dict, bool]]] = {}
    for pod in pods:
        if not _selects(service, pod) or not should_be_address(pod, publish_not_ready):
            continue
        address, ready = pod_address(pod), publish_not_ready or is_pod_ready(pod)
        for port in _served_ports(service["spec"], pod):
            addresses_by_port.setdefault(port, {})[address["ip"]] = (address, ready)
    ports_by_addresses: dict[tuple, list[PortKey]] = {}
    for port, addresses in addresses_by_port.items():
        key = tuple(sorted((ip, ready) for ip, (_, ready) in addresses.items()))
        ports_by_addresses.setdefault(key, []).append(port)
    subsets = [_subset(addresses_by_port[ports[0]], ports) for ports in ports_by_addresses.values()]
    return sorted(subsets, key=_first_address)


def _served_ports(spec: dict, pod: dict) -> list[PortKey]:
    """One port per Service port whose target the pod has; NO_PORT for a headless Service
    that lists none."""
    service_ports = spec.get("ports") or []
    if not service_ports:
        return [NO_PORT] if spec.get("clusterIP") == "None" else []
    served = []
    for service_port in service_ports:
        number = find_port(pod, service_port)
        if number is not None:  # as upstream: a pod without the named port is left out
            served.append(tuple(sorted(_endpoint_port(service_port, number).items())))
    return served


def _subset(addresses: dict[str, tuple[dict, bool]], ports: list[PortKey]) -> dict:
    subset: dict = {}
    for field, wanted in (("addresses", True), ("notReadyAddresses", False)):
        listed = [address for address, ready in addresses.values() if ready is wanted]
        if listed:
            subset[field] = sorted(listed, key=lambda a: ipaddress.ip_address(a["ip"]))
    port_dicts = [dict(port) for port in ports if port != NO_PORT]
    if port_dicts:
        subset["ports"] = sorted(port_dicts, key=lambda p: (p.get("name", ""), p["port"]))
    return subset


def _first_address(subset: dict) -> tuple:
    listed = subset.get("addresses") or subset.get("notReadyAddresses")
    return ipaddress.ip_address(listed[0]["ip"]), len(subset.get("ports") or [])


def desired_labels(service: dict) -> dict:
    labels = {k: v for k, v in (service["metadata"].get("labels") or {}).items()}
    labels.pop(HEADLESS_LABEL, None)
    if service["spec"].get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    return labels


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    services = api.list("services")["items"]
    endpoints = {_key(e): e for e in api.list("endpoints")["items"]}
    selecting = [s for s in services if selects_pods(s)]
    pods = api.list("pods")["items"] if selecting else []
    triggers = memory.setdefault("lastChangeTriggerTimes", {})
    for service in selecting:
        selected = [pod for pod in pods if _selects(service, pod)]
        triggered = last_change_trigger_time(triggers, service, selected)
        sync_service(api, service, pods, endpoints.get(_key(service)), triggered)
    forget_gone(triggers, {"/".join(_key(service)) for service in selecting})
    service_keys = {_key(s) for s in services}
    for key, orphan in endpoints.items():
        annotations = orphan["metadata"].get("annotations") or {}
        if key not in service_keys and LEADER_ANNOTATION not in annotations:
            namespace, name = key
            api.explain(f"endpoints {namespace}/{name}: its Service is gone, deleting it")
            api.delete("endpoints", name, namespace=namespace)
    api.explain("")


def sync_service(
    api: ClusterApi, service: dict, pods: list[dict], current: dict | None, triggered: str = ""
) -> None:
    """triggered: when the change this sync is for happened ("" if none is known)."""
    namespace, name = _key(service)
    subsets, labels = desired_subsets(service, pods), desired_labels(service)
    if current is not None:
        unchanged = (current.get("subsets") or []) == subsets
        if unchanged and (current["metadata"].get("labels") or {}) == labels:
            return
    ready = sum(len(s.get("addresses") or []) for s in subsets)
    not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
    api.explain(
        f"endpoints {namespace}/{name}: {ready} ready and {not_ready} not-ready addresses"
        f" match the selector, {'creating' if current is None else 'updating'} its Endpoints"
    )
    metadata = dict(current["metadata"]) if current else {"name": name, "namespace": namespace}
    metadata.pop("labels", None)
    if labels:  # none is no labels field, as upstream leaves an empty map out
        metadata["labels"] = labels
    annotations = dict(metadata.pop("annotations", None) or {})
    annotations.pop(LAST_CHANGE_TRIGGER_TIME, None)
    if triggered:
        annotations[LAST_CHANGE_TRIGGER_TIME] = triggered
    if annotations:
        metadata["annotations"] = annotations
    if current is None:
        endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": metadata}
        api.create("endpoints", {**endpoints, "subsets": subsets}, namespace=namespace)
        return
    api.update(
        "endpoints", {**current, "metadata": metadata, "subsets": subsets}, namespace=namespace
    )


def _selects(service: dict, pod: dict) -> bool:
    meta = pod.get("metadata") or {}
    return meta.get("namespace") == service["metadata"]["namespace"] and set_selector_matches(
        service["spec"].get("selector"), meta.get("labels")
    )


def _key(obj: dict) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


CONTROLLER = Controller(
    name=NAME,
    reconcile=reconcile,
    watches=frozenset({"services", "pods", "endpoints"}),
    wakes_on=changes_endpoints,
    wake_delay=WAKE_BATCH_SECONDS,
)
