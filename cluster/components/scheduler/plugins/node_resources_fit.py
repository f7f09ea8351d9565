"""NodeResourcesFit: is there room for the pod's requests? Score: LeastAllocated.

Filter: the node must have a free pod slot, and room left in allocatable for
the cpu and memory the pod requests; every shortage is reported, so one node
can be "Insufficient cpu" and "Insufficient memory" at once. A pod that
requests nothing only needs a pod slot.

Score (LeastAllocated, the default strategy): for cpu and memory,
(allocatable - requested) * 100 / allocatable, the pod included and with
upstream's non-zero defaults, then the average of the two.
"""

from __future__ import annotations

from collections.abc import Sequence

from cluster.components.scheduler.framework import MAX_NODE_SCORE, FilterResult, NodeInfo
from cluster.components.scheduler.requests import pod_requests

TOO_MANY_PODS = "Too many pods"
INSUFFICIENT_CPU = "Insufficient cpu"
INSUFFICIENT_MEMORY = "Insufficient memory"


class NodeResourcesFit:
    name = "NodeResourcesFit"

    def filter(self, pod: dict, node_info: NodeInfo) -> FilterResult:
        reasons = []
        if node_info.pod_count + 1 > node_info.allowed_pod_count:
            reasons.append(TOO_MANY_PODS)
        wanted = pod_requests(pod)
        free = node_info.allocatable - node_info.requested
        if wanted.cpu_millis > 0 and wanted.cpu_millis > free.cpu_millis:
            reasons.append(INSUFFICIENT_CPU)
        if wanted.memory_bytes > 0 and wanted.memory_bytes > free.memory_bytes:
            reasons.append(INSUFFICIENT_MEMORY)
        if reasons:
            # Resolvable in Kubernetes 1.32: evicting lower-priority pods might make room.
            return FilterResult.unschedulable(self.name, *reasons)
        return FilterResult.success(self.name)

    def score(self, pod: dict, node_info: NodeInfo, all_node_infos: Sequence[NodeInfo]) -> int:
        requested = node_info.non_zero_requested + pod_requests(pod, non_zero=True)
        allocatable = node_info.allocatable
        per_resource = [
            least_requested_score(want, have)
            for want, have in (
                (requested.cpu_millis, allocatable.cpu_millis),
                (requested.memory_bytes, allocatable.memory_bytes),
            )
            if have  # a resource the node does not offer is left out of the average
        ]
        # cpu and memory weigh 1 each in the default configuration.
        return sum(per_resource) // len(per_resource) if per_resource else 0


def least_requested_score(requested: int, allocatable: int) -> int:
    if requested > allocatable:
        return 0
    return (allocatable - requested) * MAX_NODE_SCORE // allocatable
