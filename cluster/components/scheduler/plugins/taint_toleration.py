"""TaintToleration: a node's taints repel pods that do not tolerate them.

Filter: the first NoSchedule or NoExecute taint the pod does not tolerate
rejects the node. Score: fewer untolerated PreferNoSchedule taints is better;
PreScore picks out the tolerations that can tolerate one, once per pod.
"""

from __future__ import annotations

from collections.abc import Sequence

from cluster.components.scheduler.framework import CycleState, FilterResult, NodeInfo
from cluster.components.scheduler.plugins.normalize import default_normalize_score
from cluster.components.scheduler.plugins.tolerations import (
    any_tolerates,
    node_taints,
    pod_tolerations,
)

FILTERING_EFFECTS = ("NoSchedule", "NoExecute")
PREFER_NO_SCHEDULE = "PreferNoSchedule"
PRE_SCORE_STATE_KEY = "PreScoreTaintToleration"


def untolerated_taint_reason(taint: dict) -> str:
    """Upstream's wording: `node(s) had untolerated taint {key: value}`, value may be empty."""
    return f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value') or ''}}}"


class TaintToleration:
    name = "TaintToleration"

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult:
        tolerations = pod_tolerations(pod)
        for taint in node_taints(node_info.node):
            if taint.get("effect") in FILTERING_EFFECTS and not any_tolerates(tolerations, taint):
                return FilterResult.unresolvable(self.name, untolerated_taint_reason(taint))
        return FilterResult.success(self.name)

    def pre_score(
        self,
        state: CycleState,
        pod: dict,
        feasible: Sequence[NodeInfo],
        all_node_infos: Sequence[NodeInfo],
    ) -> None:
        # A toleration with no effect matches every effect, PreferNoSchedule included.
        tolerations = [
            t
            for t in pod_tolerations(pod)
            if (t.get("effect") or PREFER_NO_SCHEDULE) == PREFER_NO_SCHEDULE
        ]
        state.write(PRE_SCORE_STATE_KEY, tolerations)

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        """How many PreferNoSchedule taints the pod does not tolerate (lower is better)."""
        tolerations: list[dict] = state.read(PRE_SCORE_STATE_KEY)
        return sum(
            1
            for taint in node_taints(node_info.node)
            if taint.get("effect") == PREFER_NO_SCHEDULE and not any_tolerates(tolerations, taint)
        )

    def normalize(self, scores: list[int]) -> list[int]:
        return default_normalize_score(scores, reverse=True)
