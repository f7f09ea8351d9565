"""Pod IPs from the node's pod CIDR, handed out as the CNI host-local plugin does.

The first address is the network, the second the bridge's gateway (cni0),
so pods start at .2. Allocation goes round-robin from the last address
given out rather than reusing the lowest free one: a replacement pod gets a
new IP, which is why clients should use a Service, not a pod IP.
"""

from __future__ import annotations

import ipaddress

from cluster.components.runtime.errors import FailedPreconditionError
from cluster.components.runtime.records import NodeState

FIRST_POD_OFFSET = 2  # network address, then the gateway


def validate_pod_cidr(pod_cidr: str) -> str:
    network = ipaddress.IPv4Network(pod_cidr)
    if network.num_addresses < FIRST_POD_OFFSET + 2:
        raise ValueError(f"pod CIDR {pod_cidr} has no room for pods")
    return str(network)


def allocate_ip(state: NodeState, sandbox_id: str) -> str:
    network = ipaddress.IPv4Network(state["podCIDR"])
    first = int(network.network_address) + FIRST_POD_OFFSET
    last = int(network.broadcast_address) - 1
    size = last - first + 1
    previous = state["lastAllocatedIp"]
    start = int(ipaddress.IPv4Address(previous)) + 1 if previous else first
    for step in range(size):
        candidate = str(ipaddress.IPv4Address(first + (start - first + step) % size))
        if candidate not in state["allocatedIps"]:
            state["allocatedIps"][candidate] = sandbox_id
            state["lastAllocatedIp"] = candidate
            return candidate
    raise FailedPreconditionError(
        f'failed to setup network for sandbox "{sandbox_id}": plugin type="bridge" failed (add): '
        "failed to allocate for range 0: no IP addresses available in range set: "
        f"{ipaddress.IPv4Address(first)}-{ipaddress.IPv4Address(last)}"
    )


def release_ip(state: NodeState, ip: str) -> None:
    state["allocatedIps"].pop(ip, None)
