"""What a pod asks of a node, counted the way kube-scheduler counts it.

Two countings of the same requests exist upstream, and both matter here:

- For filtering (does it fit?), a container that requests nothing counts 0.
- For LeastAllocated scoring, a container with no cpu or memory request counts
  as 100m cpu and 200Mi memory, so that many "free" pods do not all pile onto
  one node. A request written as "0" stays 0: only a missing request is filled.

Pod overhead (RuntimeClass) is not simulated, so it is never added.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.quantity import cpu_millis, memory_bytes

# Upstream schedutil.DefaultMilliCPURequest and DefaultMemoryRequest.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

# An empty hostIP binds every address; an empty protocol is TCP (upstream HostPortInfo).
ALL_HOST_IPS = "0.0.0.0"
DEFAULT_PROTOCOL = "TCP"


@dataclass(frozen=True)
class Resources:
    cpu_millis: int = 0
    memory_bytes: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu_millis + other.cpu_millis, self.memory_bytes + other.memory_bytes)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu_millis - other.cpu_millis, self.memory_bytes - other.memory_bytes)

    def at_least(self, other: Resources) -> Resources:
        return Resources(
            max(self.cpu_millis, other.cpu_millis), max(self.memory_bytes, other.memory_bytes)
        )


def pod_requests(pod: dict, *, non_zero: bool = False) -> Resources:
    """The pod's effective requests (upstream resourcehelper.PodRequests).

    Regular containers run together, so their requests add up. Init containers
    run one at a time before them, so each only sets a floor; a sidecar (an init
    container with restartPolicy Always) keeps running, so it adds to both the
    sum and every later init container's floor. With non_zero, missing requests
    count as upstream's scoring defaults.
    """
    spec = pod.get("spec") or {}
    total = Resources()
    for container in spec.get("containers") or []:
        total += _container_requests(container, non_zero)
    sidecars = Resources()
    init_floor = Resources()
    for container in spec.get("initContainers") or []:
        requests = _container_requests(container, non_zero)
        if container.get("restartPolicy") == "Always":
            total += requests
            sidecars += requests
            in_use = sidecars
        else:
            in_use = requests + sidecars
        init_floor = init_floor.at_least(in_use)
    return total.at_least(init_floor)


def _container_requests(container: dict, non_zero: bool) -> Resources:
    requests = (container.get("resources") or {}).get("requests") or {}
    if "cpu" in requests:
        cpu = cpu_millis(requests["cpu"])
    else:
        cpu = DEFAULT_MILLI_CPU_REQUEST if non_zero else 0
    if "memory" in requests:
        memory = memory_bytes(requests["memory"])
    else:
        memory = DEFAULT_MEMORY_REQUEST if non_zero else 0
    return Resources(cpu, memory)


@dataclass(frozen=True)
class HostPort:
    ip: str
    protocol: str
    port: int


def host_ports(pod: dict) -> list[HostPort]:
    """The host ports the pod's containers ask for (upstream looks at regular containers only)."""
    wanted = []
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            number = port.get("hostPort") or 0
            if number > 0:
                ip = port.get("hostIP") or ALL_HOST_IPS
                wanted.append(HostPort(ip, port.get("protocol") or DEFAULT_PROTOCOL, number))
    return wanted


def port_conflicts(used: set[HostPort], wanted: HostPort) -> bool:
    """Upstream HostPortInfo.CheckConflict: 0.0.0.0 clashes with every address."""
    same_port = {u for u in used if (u.protocol, u.port) == (wanted.protocol, wanted.port)}
    if wanted.ip == ALL_HOST_IPS:
        return bool(same_port)
    return any(u.ip in (ALL_HOST_IPS, wanted.ip) for u in same_port)
