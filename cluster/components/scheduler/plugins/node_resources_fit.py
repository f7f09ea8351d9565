"""NodeResourcesFit: is there room for the pod's requests? Score: LeastAllocated.

Filter: the node must have a free pod slot, and room left in allocatable for
the cpu and memory the pod requests; every shortage is reported, so one node
can be "Insufficient cpu" and "Insufficient memory" at once. A pod that
requests nothing only needs a pod slot.

Score (LeastAllocated, the default strategy): for cpu and memory,
(allocatable - requested) * 100 / allocatable, the pod included and with
upstream's non-zero defaults, then the average of the two.

The pod's requests are added up once per pod, in PreFilter (for the filter)
and PreScore (with the non-zero defaults, for the score), as upstream does:
parsing quantities at each of a thousand nodes is the cost it avoids.
"""

from __future__ import annotations

from collections.abc import Sequence

from cluster.components.scheduler.framework import (
    MAX_NODE_SCORE,
    CycleState,
    FilterResult,
    NodeInfo,
    PreFilterResult,
)
from cluster.components.scheduler.requests import Resources, pod_requests

TOO_MANY_PODS = "Too many pods"
INSUFFICIENT_CPU = "Insufficient cpu"
INSUFFICIENT_MEMORY = "Insufficient memory"

# Upstream's cycle state keys.
PRE_FILTER_STATE_KEY = "PreFilterNodeResourcesFit"
PRE_SCORE_STATE_KEY = "PreScoreNodeResourcesFit"


class NodeResourcesFit:
    name = "NodeResourcesFit"

    def pre_filter(self, state: CycleState, pod: dict) -> PreFilterResult:
        state.write(PRE_FILTER_STATE_KEY, pod_requests(pod))
        return PreFilterResult()

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult:
        reasons = []
        if node_info.pod_count + 1 > node_info.allowed_pod_count:
            reasons.append(TOO_MANY_PODS)
        wanted: Resources = state.read(PRE_FILTER_STATE_KEY)
        allocatable, requested = node_info.allocatable, node_info.requested
        free_cpu = allocatable.cpu_millis - requested.cpu_millis
        if wanted.cpu_millis > 0 and wanted.cpu_millis > free_cpu:
            reasons.append(INSUFFICIENT_CPU)
        free_memory = allocatable.memory_bytes - requested.memory_bytes
        if wanted.memory_bytes > 0 and wanted.memory_bytes > free_memory:
            reasons.append(INSUFFICIENT_MEMORY)
        if reasons:
            # Resolvable in Kubernetes 1.32: evicting lower-priority pods might make room.
            return FilterResult.unschedulable(self.name, *reasons)
        return FilterResult.success(self.name)

    def pre_score(
        self,
        state: CycleState,
        pod: dict,
        feasible: Sequence[NodeInfo],
        all_node_infos: Sequence[NodeInfo],
    ) -> None:
        state.write(PRE_SCORE_STATE_KEY, pod_requests(pod, non_zero=True))

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        wanted: Resources = state.read(PRE_SCORE_STATE_KEY)
        requested, allocatable = node_info.non_zero_requested, node_info.allocatable
        per_resource = [
            least_requested_score(want, have)
            for want, have in (
                (requested.cpu_millis + wanted.cpu_millis, allocatable.cpu_millis),
                (requested.memory_bytes + wanted.memory_bytes, allocatable.memory_bytes),
            )
            if have  # a resource the node does not offer is left out of the average
        ]
        # cpu and memory weigh 1 each in the default configuration.
        return sum(per_resource) // len(per_resource) if per_resource else 0


def least_requested_score(requested: int, allocatable: int) -> int:
    if requested > allocatable:
        return 0
    return (allocatable - requested) * MAX_NODE_SCORE // allocatable
