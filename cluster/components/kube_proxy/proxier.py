"""kube-proxy's sync: Services and EndpointSlices in, this node's rules out.

As upstream's iptables proxier (pkg/proxy/iptables/proxier.go syncProxyRules,
with pkg/proxy/topology.go CategorizeEndpoints): each Service port with a
cluster IP becomes a rule "ClusterIP:port/protocol -> [pod IP:port, ...]" over
its ready endpoints; when none is ready, its serving terminating endpoints are
used instead, so connections drain during a rollout. internalTrafficPolicy Local
keeps only this node's endpoints; a NodePort Service adds a rule on the node's
port (externalTrafficPolicy Local likewise). Headless and ExternalName Services
get no rules. kube-proxy writes nothing to the API server: its rules live in its
memory (upstream's iptables), and the node's panel shows them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from cluster.components.api import Clock, ClusterApi
from cluster.objects import format_time, parse_time

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SYNC_PERIOD_SECONDS = 30.0  # upstream's --iptables-sync-period
MIN_SYNC_PERIOD_SECONDS = 1.0  # upstream's --iptables-min-sync-period


@dataclass(frozen=True)
class Rule:
    service: str  # "default/web"
    port_name: str
    kind: str  # "ClusterIP" or "NodePort"
    address: str  # "10.96.12.34:80/TCP", or ":30080/TCP" on every node address
    endpoints: tuple[str, ...]  # "10.244.1.5:8080"
    # Why the endpoints are these: "ready", "serving-terminating" (none ready), "none".
    source: str

    def as_dict(self) -> dict:
        return {**asdict(self), "endpoints": list(self.endpoints)}


def _conditions(endpoint: dict) -> dict:
    return endpoint.get("conditions") or {}


def _is_ready(endpoint: dict) -> bool:
    # As upstream: a nil ready condition counts as ready.
    return _conditions(endpoint).get("ready") is not False


def _is_serving_terminating(endpoint: dict) -> bool:
    conditions = _conditions(endpoint)
    return conditions.get("serving") is not False and conditions.get("terminating") is True


def _usable(endpoints: list[dict], node: str, local_only: bool) -> tuple[list[dict], str]:
    """CategorizeEndpoints, for one traffic policy: ready ones, or the serving
    terminating fallback."""
    if local_only:
        endpoints = [e for e in endpoints if e.get("nodeName") == node]
    ready = [e for e in endpoints if _is_ready(e)]
    if ready:
        return ready, "ready"
    terminating = [e for e in endpoints if _is_serving_terminating(e)]
    if terminating:
        return terminating, "serving-terminating"
    return [], "none"


def _slice_endpoints(slices: list[dict], service_port: dict) -> list[tuple[dict, int]]:
    """Every slice endpoint of the Service, with the pod port behind this Service port
    (slice ports are matched by the Service port's name and protocol)."""
    found = []
    for slice_ in slices:
        port = next(
            (
                p
                for p in slice_.get("ports") or []
                if (p.get("name") or "") == (service_port.get("name") or "")
                and p.get("protocol", "TCP") == service_port.get("protocol", "TCP")
            ),
            None,
        )
        if port is None or port.get("port") is None:
            continue
        found += [(endpoint, port["port"]) for endpoint in slice_.get("endpoints") or []]
    return found


def _targets(pairs: list[tuple[dict, int]], node: str, local_only: bool) -> tuple[tuple, str]:
    by_endpoint = {id(endpoint): port for endpoint, port in pairs}
    chosen, source = _usable([e for e, _ in pairs], node, local_only)
    targets = sorted(
        {
            f"{address}:{by_endpoint[id(e)]}"
            for e in chosen
            for address in e.get("addresses", [])[:1]
        }
    )
    return tuple(targets), source


def build_rules(services: list[dict], slices: list[dict], node: str) -> list[Rule]:
    """This node's rules for these Services and EndpointSlices."""
    by_service: dict[tuple[str, str], list[dict]] = {}
    for slice_ in slices:
        meta = slice_["metadata"]
        service_name = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
        if service_name and slice_.get("addressType", "IPv4") == "IPv4":
            by_service.setdefault((meta.get("namespace", ""), service_name), []).append(slice_)
    rules: list[Rule] = []
    for service in sorted(
        services, key=lambda s: (s["metadata"]["namespace"], s["metadata"]["name"])
    ):
        meta, spec = service["metadata"], service.get("spec", {})
        cluster_ip = spec.get("clusterIP")
        if spec.get("type") == "ExternalName" or not cluster_ip or cluster_ip == "None":
            continue
        name = f"{meta['namespace']}/{meta['name']}"
        slices_of = by_service.get((meta["namespace"], meta["name"]), [])
        for port in spec.get("ports") or []:
            pairs = _slice_endpoints(slices_of, port)
            protocol = port.get("protocol", "TCP")
            internal_local = spec.get("internalTrafficPolicy") == "Local"
            targets, source = _targets(pairs, node, internal_local)
            rules.append(
                Rule(
                    name,
                    port.get("name", ""),
                    "ClusterIP",
                    f"{cluster_ip}:{port['port']}/{protocol}",
                    targets,
                    source,
                )
            )
            if port.get("nodePort"):
                external_local = spec.get("externalTrafficPolicy") == "Local"
                targets, source = _targets(pairs, node, external_local)
                rules.append(
                    Rule(
                        name,
                        port.get("name", ""),
                        "NodePort",
                        f":{port['nodePort']}/{protocol}",
                        targets,
                        source,
                    )
                )
    return rules


def kube_proxy_tick(api: ClusterApi, clock: Clock, node: str, memory: dict) -> None:
    """One sync, at most once per minSyncPeriod (upstream's BoundedFrequencyRunner): a
    wake-up sooner than that is put off until the period has passed."""
    now = clock.now()
    last = memory.get("syncedAt")
    if last:
        earliest = parse_time(last) + dt.timedelta(seconds=MIN_SYNC_PERIOD_SECONDS)
        if now < earliest:
            memory["wake_at"] = format_time(earliest)
            return
    services = api.list("services")["items"]
    slices = api.list("endpointslices")["items"]
    memory["rules"] = [rule.as_dict() for rule in build_rules(services, slices, node)]
    memory["syncedAt"] = format_time(now)
    memory["wake_at"] = None


def rules_of(memory: dict) -> list[dict]:
    """The rules kube-proxy last wrote, as its node's panel shows them."""
    return list(memory.get("rules") or [])
