"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory fill up evenly.

score = (1 - std) * 100, where std is the standard deviation of the
requested/allocatable fractions of cpu and memory (each capped at 1), the
incoming pod included. For two resources that is |cpu - memory| / 2.

Unlike LeastAllocated, upstream counts the pods' real requests here, with no
non-zero defaults (since Kubernetes 1.23), so a pod with no requests changes
nothing. The pod's requests are added up once per pod, in PreScore.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cluster.components.scheduler.framework import MAX_NODE_SCORE, CycleState, NodeInfo
from cluster.components.scheduler.requests import Resources, pod_requests

PRE_SCORE_STATE_KEY = "PreScoreNodeResourcesBalancedAllocation"


class NodeResourcesBalancedAllocation:
    name = "NodeResourcesBalancedAllocation"

    def pre_score(
        self,
        state: CycleState,
        pod: dict,
        feasible: Sequence[NodeInfo],
        all_node_infos: Sequence[NodeInfo],
    ) -> None:
        state.write(PRE_SCORE_STATE_KEY, pod_requests(pod))

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        wanted: Resources = state.read(PRE_SCORE_STATE_KEY)
        requested, allocatable = node_info.requested, node_info.allocatable
        fractions = [
            min(want / have, 1.0)
            for want, have in (
                (requested.cpu_millis + wanted.cpu_millis, allocatable.cpu_millis),
                (requested.memory_bytes + wanted.memory_bytes, allocatable.memory_bytes),
            )
            if have
        ]
        return balanced_score(fractions)


def balanced_score(fractions: list[float]) -> int:
    if len(fractions) < 2:
        return MAX_NODE_SCORE  # nothing to be unbalanced against
    if len(fractions) == 2:
        std = abs(fractions[0] - fractions[1]) / 2  # upstream's shortcut, same value
    else:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    # Truncated toward zero, as Go's int64(float64) conversion does.
    return int((1 - std) * MAX_NODE_SCORE)
