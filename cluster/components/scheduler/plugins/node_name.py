"""NodeName: a pod that names its node (spec.nodeName) fits that node only."""

from __future__ import annotations

from cluster.components.scheduler.framework import CycleState, FilterResult, NodeInfo

ERR_REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = "NodeName"

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult:
        wanted = (pod.get("spec") or {}).get("nodeName")
        if wanted and wanted != node_info.name:
            return FilterResult.unresolvable(self.name, ERR_REASON)
        return FilterResult.success(self.name)
