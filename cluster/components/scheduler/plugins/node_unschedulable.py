"""NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods."""

from __future__ import annotations

from cluster.components.scheduler.framework import CycleState, FilterResult, NodeInfo
from cluster.components.scheduler.plugins.tolerations import any_tolerates, pod_tolerations

ERR_REASON = "node(s) were unschedulable"

# Pods that tolerate the taint `kubectl cordon` implies also tolerate the cordon itself.
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class NodeUnschedulable:
    name = "NodeUnschedulable"

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult:
        cordoned = bool((node_info.node.get("spec") or {}).get("unschedulable"))
        if cordoned and not any_tolerates(pod_tolerations(pod), UNSCHEDULABLE_TAINT):
            return FilterResult.unresolvable(self.name, ERR_REASON)
        return FilterResult.success(self.name)
