"""NodePorts: two pods cannot bind the same host port on one node.

PreFilter reads the pod's host ports once (and skips the filter for a pod that
asks for none, as upstream does); Filter checks them at each node.
"""

from __future__ import annotations

from cluster.components.scheduler.framework import (
    CycleState,
    FilterResult,
    NodeInfo,
    PreFilterResult,
)
from cluster.components.scheduler.requests import HostPort, host_ports, port_conflicts

ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
PRE_FILTER_STATE_KEY = "PreFilterNodePorts"


class NodePorts:
    name = "NodePorts"

    def pre_filter(self, state: CycleState, pod: dict) -> PreFilterResult:
        wanted = host_ports(pod)
        if not wanted:
            return PreFilterResult(skip=True)
        state.write(PRE_FILTER_STATE_KEY, wanted)
        return PreFilterResult()

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult:
        wanted_ports: list[HostPort] = state.read(PRE_FILTER_STATE_KEY)
        if any(port_conflicts(node_info.used_ports, wanted) for wanted in wanted_ports):
            # Resolvable: evicting the pod that holds the port would free it.
            return FilterResult.unschedulable(self.name, ERR_REASON)
        return FilterResult.success(self.name)
