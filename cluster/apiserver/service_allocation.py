"""Cluster IPs and node ports for Services: allocated by the API server, in the Service's write.

Cluster IPs come from the service CIDR 10.96.0.0/12 (kubeadm's default). Each
allocated IP is an object of its own, /registry/ipaddresses/<ip>, naming the
Service that holds it: the IPAddress objects of upstream's newer allocator
(MultiCIDRServiceAllocator, beta in 1.31 and the default from 1.33), rather
than 1.32's default bitmap in /registry/ranges/serviceips, whose 2^20 bits
would make one 170 kB value rewritten by every Service create and shown as
noise in the etcd browser. Why it is safe under races: the IP's key is created
with a "must not exist" compare in the same transaction as the Service, so two
creates that pick the same IP cannot both commit; the loser writes nothing and
the API server runs the whole call again from a fresh read (a requested IP is
then refused as "already allocated", a random one is picked again).

Node ports (30000-32767) are upstream's RangeAllocation bitmap in
/registry/ranges/servicenodeports: 2768 bits, small enough to keep as upstream
does. Every change to it is a compare-and-swap on its mod_revision, in the
Service's transaction, so concurrent allocations serialise on that one key.
"""

from __future__ import annotations

import base64
import ipaddress
import random

from cluster.apiserver import errors
from cluster.resources.field_errors import FieldError, invalid
from cluster.resources.keys import IP_ADDRESS_PREFIX, NODE_PORT_RANGE_KEY, ip_address_key
from cluster.resources.meta import mapping, sequence
from cluster.resources.services import CLUSTER_IP_NONE
from cluster.resources.services import RESOURCE as SERVICES
from cluster.store import Delete, Put, Store

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORT_RANGE = range(30000, 32768)  # upstream's --service-node-port-range 30000-32767
NODE_PORT_RANGE_TEXT = "30000-32767"
_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")

_rng = random.SystemRandom()


def _range_offset(size: int, *, step: int, high: int) -> int:
    """Upstream's calculateRangeOffset (ipallocator: step 16, at most 256; portallocator:
    step 32, at most 128): the first values of a range are kept for requested
    allocations, and random picks start above them."""
    return min(max(16, size // step), high)


# --- cluster IPs -------------------------------------------------------------------


def _ip_size() -> int:
    return SERVICE_CIDR.num_addresses - 2  # neither the network nor the broadcast address


def _needs_cluster_ip(spec: dict) -> bool:
    return spec.get("type") != "ExternalName" and spec.get("clusterIP") != CLUSTER_IP_NONE


def _not_in_range(ip: str) -> str:
    return (
        f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range."
        f" The range of valid IPs is {SERVICE_CIDR}"
    )


def _allocate_ip(store: Store, service: dict, now_text: str) -> Put:
    spec = service["spec"]
    requested = spec.get("clusterIP") or ""
    if requested:
        ip = ipaddress.ip_address(requested)
        first, last = SERVICE_CIDR.network_address + 1, SERVICE_CIDR.broadcast_address - 1
        if not first <= ip <= last:
            raise _invalid(
                service, [invalid("spec.clusterIPs", [requested], _not_in_range(requested))]
            )
        if store.exists(ip_address_key(requested)):
            message = f"failed to allocate IP {requested}: provided IP is already allocated"
            raise _invalid(service, [invalid("spec.clusterIPs", [requested], message)])
        chosen = requested
    else:
        chosen = _random_free_ip(store)
    spec["clusterIP"], spec["clusterIPs"] = chosen, [chosen]
    return Put(ip_address_key(chosen), _ip_address_object(chosen, service, now_text), 0)


def _random_free_ip(store: Store) -> str:
    """As upstream's random scan with offset: a random start in the upper band, then the
    next free address; the lower band (kept for requested IPs) only when that is full."""
    taken = {kv.key.removeprefix(IP_ADDRESS_PREFIX) for kv in store.range(IP_ADDRESS_PREFIX).items}
    size = _ip_size()
    offset = _range_offset(size, step=16, high=256)
    base = int(SERVICE_CIDR.network_address) + 1
    for low, high in ((offset, size), (0, offset)):
        start = _rng.randrange(low, high)
        for step in range(high - low):
            index = low + (start - low + step) % (high - low)
            ip = str(ipaddress.ip_address(base + index))
            if ip not in taken:
                return ip
    raise errors.ApiError(500, "InternalError", "failed to allocate a serviceIP: range is full")


def _ip_address_object(ip: str, service: dict, now_text: str) -> dict:
    meta = service["metadata"]
    return {
        "apiVersion": "networking.k8s.io/v1beta1",
        "kind": "IPAddress",
        "metadata": {
            "name": ip,
            "creationTimestamp": now_text,
            "labels": {
                "ipaddress.kubernetes.io/ip-family": "IPv4",
                "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io",
            },
        },
        "spec": {
            "parentRef": {
                "group": "",
                "resource": "services",
                "namespace": meta["namespace"],
                "name": meta["name"],
            }
        },
    }


def _release_ip(store: Store, spec: dict) -> list[Delete]:
    ip = spec.get("clusterIP")
    if not ip or ip == CLUSTER_IP_NONE:
        return []
    kv = store.get(ip_address_key(ip))
    return [Delete(kv.key, kv.mod_revision)] if kv else []


# --- node ports --------------------------------------------------------------------


def _node_ports_in_use(store: Store) -> tuple[set[int], int, dict | None]:
    """The allocated ports, the bitmap's mod_revision (0: none yet) and its object."""
    kv = store.get(NODE_PORT_RANGE_KEY)
    if kv is None:
        return set(), 0, None
    bits = int.from_bytes(base64.b64decode(kv.value.get("data") or ""), "big")
    used = {NODE_PORT_RANGE.start + i for i in range(bits.bit_length()) if bits >> i & 1}
    return used, kv.mod_revision, kv.value


def _node_port_bitmap(used: set[int], previous: dict | None, now_text: str) -> dict:
    bits = 0
    for port in used:
        bits |= 1 << (port - NODE_PORT_RANGE.start)
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "big")
    return {
        "apiVersion": "v1",
        "kind": "RangeAllocation",
        "metadata": (previous or {}).get("metadata") or {"creationTimestamp": now_text},
        "range": NODE_PORT_RANGE_TEXT,
        "data": base64.b64encode(data).decode(),
    }


def _sync_node_ports(store: Store, service: dict, old_spec: dict, now_text: str) -> list[Put]:
    """Allocate node ports for the Service's ports that need one, release those it gave up."""
    spec = service["spec"]
    used, revision, previous = _node_ports_in_use(store)
    before = set(used)
    kept = {
        p["nodePort"] for p in map(mapping, sequence(old_spec.get("ports"))) if p.get("nodePort")
    }
    used -= kept
    problems: list[FieldError] = []
    wants_ports = spec.get("type") in _NODE_PORT_TYPES
    for index, port in enumerate(map(mapping, sequence(spec.get("ports")))):
        if not wants_ports:
            port.pop("nodePort", None)
            continue
        requested = port.get("nodePort")
        if requested:
            field = f"spec.ports[{index}].nodePort"
            if requested not in NODE_PORT_RANGE:
                problems.append(invalid(field, requested, _port_not_in_range(requested)))
            elif requested in used:
                problems.append(invalid(field, requested, "provided port is already allocated"))
            used.add(requested)
        else:
            port["nodePort"] = _random_free_port(used)
            used.add(port["nodePort"])
    if problems:
        raise _invalid(service, problems)
    if used == before:
        return []
    return [Put(NODE_PORT_RANGE_KEY, _node_port_bitmap(used, previous, now_text), revision)]


def _port_not_in_range(port: int) -> str:
    return (
        f"provided port is not in the valid range. The range of valid ports is"
        f" {NODE_PORT_RANGE_TEXT}"
    )


def _random_free_port(used: set[int]) -> int:
    size = len(NODE_PORT_RANGE)
    offset = _range_offset(size, step=32, high=128)
    for low, high in ((offset, size), (0, offset)):
        start = _rng.randrange(low, high)
        for step in range(high - low):
            port = NODE_PORT_RANGE.start + low + (start - low + step) % (high - low)
            if port not in used:
                return port
    raise errors.ApiError(500, "InternalError", "failed to allocate a nodePort: range is full")


# --- what the API server calls -----------------------------------------------------


def on_create(store: Store, service: dict, now_text: str) -> list[Put | Delete]:
    """Allocate what a new (validated) Service needs; fills its spec in place."""
    spec = service["spec"]
    ops: list[Put | Delete] = []
    if _needs_cluster_ip(spec):
        ops.append(_allocate_ip(store, service, now_text))
    ops += _sync_node_ports(store, service, {}, now_text)
    return ops


def on_update(store: Store, service: dict, old: dict, now_text: str) -> list[Put | Delete]:
    """An update may change the type: allocate what it now needs, release what it gave up."""
    spec, old_spec = service["spec"], mapping(old.get("spec"))
    ops: list[Put | Delete] = []
    if _needs_cluster_ip(spec) and not _needs_cluster_ip(old_spec):
        ops.append(_allocate_ip(store, service, now_text))
    elif _needs_cluster_ip(old_spec) and not _needs_cluster_ip(spec):
        ops += _release_ip(store, old_spec)
        if spec.get("type") == "ExternalName":
            for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                spec.pop(key, None)
    ops += _sync_node_ports(store, service, old_spec, now_text)
    return ops


def on_delete(store: Store, services: list[dict], now_text: str) -> list[Put | Delete]:
    """Give back the Services' cluster IPs and node ports, in the same write as their
    delete (several at once when their namespace goes: the bitmap is written once)."""
    ops: list[Put | Delete] = []
    gone: set[int] = set()
    for service in services:
        spec = mapping(service.get("spec"))
        ops += _release_ip(store, spec)
        gone |= {
            p["nodePort"] for p in map(mapping, sequence(spec.get("ports"))) if p.get("nodePort")
        }
    if gone:
        used, revision, previous = _node_ports_in_use(store)
        if used & gone:
            bitmap = _node_port_bitmap(used - gone, previous, now_text)
            ops.append(Put(NODE_PORT_RANGE_KEY, bitmap, revision))
    return ops


def _invalid(service: dict, problems: list[FieldError]) -> errors.ApiError:
    return errors.invalid(SERVICES, mapping(service.get("metadata")).get("name", ""), problems)
