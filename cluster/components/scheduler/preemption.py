"""The preemption part of FailedScheduling, as DefaultPreemption (Kubernetes 1.32) words it.

Podlab never evicts pods. It runs upstream's reasoning far enough to say why
preemption would not help, which is the case a student almost always meets:

- nodes whose failure no eviction can fix (taints, cordons, selectors, node
  name: "UnschedulableAndUnresolvable") are "Preemption is not helpful for
  scheduling";
- other nodes with no lower-priority pod on them are "No preemption victims
  found for incoming pod";
- nodes where even evicting every lower-priority pod would not make room keep
  the reasons the filters give then ("Insufficient cpu").

If evicting would make room somewhere, upstream would preempt and print no
preemption part; Podlab prints none either (and leaves the pod pending).
"""

from __future__ import annotations

from collections.abc import Sequence

from cluster.components.scheduler.failure_message import fit_error_message
from cluster.components.scheduler.framework import (
    UNSCHEDULABLE,
    CycleState,
    NodeDecision,
    NodeInfo,
)
from cluster.components.scheduler.profile import first_failure, run_pre_filters

# The filters whose PreFilter counts the pods on other nodes.
PLUGINS_COUNTING_OTHER_PODS = frozenset({"PodTopologySpread", "InterPodAffinity"})

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NEVER_PREEMPTS = "not eligible due to preemptionPolicy=Never."


def preemption_message(
    state: CycleState,
    pod: dict,
    node_decisions: Sequence[NodeDecision],
    node_infos: Sequence[NodeInfo],
) -> str:
    """'preemption: ...' for a pod no node could take, or '' if preemption could help."""
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return f"preemption: {NEVER_PREEMPTS}"
    infos = {info.name: info for info in node_infos}
    reasons_per_node: list[tuple[str, ...]] = []
    for decision in node_decisions:
        failure = decision.failure
        if failure is None or failure.code != UNSCHEDULABLE:
            reasons_per_node.append((NOT_HELPFUL,))
            continue
        reasons = _reasons_after_evicting_victims(state, pod, infos[decision.node_name], node_infos)
        if reasons is None:
            return ""
        reasons_per_node.append(reasons)
    return "preemption: " + fit_error_message(len(node_infos), reasons_per_node)


def _reasons_after_evicting_victims(
    state: CycleState, pod: dict, node_info: NodeInfo, node_infos: Sequence[NodeInfo]
) -> tuple[str, ...] | None:
    """Why the pod still would not fit without the node's lower-priority pods; None if it would."""
    priority = _priority(pod)
    survivors = [p for p in node_info.pods if _priority(p) >= priority]
    if len(survivors) == len(node_info.pods):
        return (NO_VICTIMS,)
    without_victims = NodeInfo(node_info.node, survivors)
    if state.skip_filter_plugins >= PLUGINS_COUNTING_OTHER_PODS:
        failure = first_failure(state, pod, without_victims)
    else:
        # PodTopologySpread and InterPodAffinity counted the victims in PreFilter: count
        # again without them (upstream's RemovePod extensions update the counts instead).
        snapshot = [without_victims if i is node_info else i for i in node_infos]
        fresh = CycleState(snapshot, state.listers)
        run_pre_filters(fresh, pod)
        failure = first_failure(fresh, pod, without_victims)
    return failure.reasons if failure else None


def _priority(pod: dict) -> int:
    return (pod.get("spec") or {}).get("priority") or 0
