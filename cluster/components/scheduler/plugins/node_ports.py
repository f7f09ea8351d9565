"""NodePorts: two pods cannot bind the same host port on one node."""

from __future__ import annotations

from cluster.components.scheduler.framework import FilterResult, NodeInfo
from cluster.components.scheduler.requests import host_ports, port_conflicts

ERR_REASON = "node(s) didn't have free ports for the requested pod ports"


class NodePorts:
    name = "NodePorts"

    def filter(self, pod: dict, node_info: NodeInfo) -> FilterResult:
        if any(port_conflicts(node_info.used_ports, wanted) for wanted in host_ports(pod)):
            # Resolvable: evicting the pod that holds the port would free it.
            return FilterResult.unschedulable(self.name, ERR_REASON)
        return FilterResult.success(self.name)
