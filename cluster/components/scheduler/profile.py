"""The default-scheduler profile: which plugins run, in which order, with which weights.

Order and weights are upstream's defaults (Kubernetes 1.32, getDefaultPlugins):
SchedulingGates (PreEnqueue), then NodeUnschedulable, NodeName,
TaintToleration (3), NodeAffinity (2), NodePorts, NodeResourcesFit (1),
PodTopologySpread (2), InterPodAffinity (2), NodeResourcesBalancedAllocation (1)
and ImageLocality (1). The filter order matters: upstream stops at a node's
first failing filter, and only that plugin's reasons reach the FailedScheduling
message. PreFilter and PreScore run once per pod and leave in the CycleState
what Filter and Score read at each node. The volume plugins are not simulated.
"""

from __future__ import annotations

from collections.abc import Sequence

from cluster.components.scheduler.framework import (
    SKIP,
    CycleState,
    FilterPlugin,
    FilterResult,
    NodeInfo,
    PreFilterPlugin,
    PreScorePlugin,
    ScoreNormalizer,
    ScorePlugin,
    ScoreTable,
    StatefulScoreNormalizer,
)
from cluster.components.scheduler.plugins.image_locality import ImageLocality
from cluster.components.scheduler.plugins.inter_pod_affinity import InterPodAffinity
from cluster.components.scheduler.plugins.node_affinity import NodeAffinity
from cluster.components.scheduler.plugins.node_name import NodeName
from cluster.components.scheduler.plugins.node_ports import NodePorts
from cluster.components.scheduler.plugins.node_resources_balanced_allocation import (
    NodeResourcesBalancedAllocation,
)
from cluster.components.scheduler.plugins.node_resources_fit import NodeResourcesFit
from cluster.components.scheduler.plugins.node_unschedulable import NodeUnschedulable
from cluster.components.scheduler.plugins.pod_topology_spread import PodTopologySpread
from cluster.components.scheduler.plugins.scheduling_gates import SchedulingGates
from cluster.components.scheduler.plugins.taint_toleration import TaintToleration

_node_affinity = NodeAffinity()
_node_ports = NodePorts()
_taint_toleration = TaintToleration()
_node_resources_fit = NodeResourcesFit()
_balanced_allocation = NodeResourcesBalancedAllocation()
_image_locality = ImageLocality()
_pod_topology_spread = PodTopologySpread()
_inter_pod_affinity = InterPodAffinity()

# Asked before a pod enters the active queue: a pod one of them refuses is not scheduled.
PRE_ENQUEUE_PLUGINS = (SchedulingGates(),)

# What the pod asks is worked out here once, not again at every node.
PRE_FILTER_PLUGINS: tuple[PreFilterPlugin, ...] = (
    _node_affinity,
    _node_ports,
    _node_resources_fit,
    _pod_topology_spread,
    _inter_pod_affinity,
)

FILTER_PLUGINS: tuple[FilterPlugin, ...] = (
    NodeUnschedulable(),
    NodeName(),
    _taint_toleration,
    _node_affinity,
    _node_ports,
    _node_resources_fit,
    _pod_topology_spread,
    _inter_pod_affinity,
)

PRE_SCORE_PLUGINS: tuple[PreScorePlugin, ...] = (
    _taint_toleration,
    _node_affinity,
    _node_resources_fit,
    _pod_topology_spread,
    _inter_pod_affinity,
    _balanced_allocation,
    _image_locality,
)

# (plugin, weight): a node's total is the sum of normalized score * weight.
SCORE_PLUGINS: tuple[tuple[ScorePlugin, int], ...] = (
    (_taint_toleration, 3),
    (_node_affinity, 2),
    (_node_resources_fit, 1),
    (_pod_topology_spread, 2),
    (_inter_pod_affinity, 2),
    (_balanced_allocation, 1),
    (_image_locality, 1),
)
# Asked once here: a runtime Protocol check is slow enough to show at every decision.
_NORMALIZERS: dict[str, ScoreNormalizer] = {
    plugin.name: plugin for plugin, _ in SCORE_PLUGINS if isinstance(plugin, ScoreNormalizer)
}
_STATEFUL_NORMALIZERS: dict[str, StatefulScoreNormalizer] = {
    plugin.name: plugin
    for plugin, _ in SCORE_PLUGINS
    if isinstance(plugin, StatefulScoreNormalizer)
}


def pre_enqueue_rejection(pod: dict) -> str:
    """Why a PreEnqueue plugin keeps the pod out of the active queue, or ''."""
    for plugin in PRE_ENQUEUE_PLUGINS:
        if reason := plugin.pre_enqueue(pod):
            return reason
    return ""


def excluded_by_pre_filter(plugins: Sequence[str]) -> str:
    """The reason upstream gives nodes a PreFilter ruled out (Go prints a list as [A B])."""
    return f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(plugins))}]"


def run_pre_filters(
    state: CycleState, pod: dict
) -> tuple[frozenset[str] | None, tuple[str, ...], FilterResult | None]:
    """(candidate node names or None for all, plugins that narrowed them, a rejection or None)."""
    candidates: frozenset[str] | None = None
    narrowed_by: list[str] = []
    for plugin in PRE_FILTER_PLUGINS:
        result = plugin.pre_filter(state, pod)
        if result.skip:
            state.skip_filter_plugins.add(plugin.name)
            continue
        if result.rejection:
            return None, (), FilterResult.unresolvable(plugin.name, result.rejection)
        if result.node_names is not None:
            narrowed_by.append(plugin.name)
            names = result.node_names
            candidates = names if candidates is None else candidates & names
    return candidates, tuple(narrowed_by), None


_SKIPPED_PASS = {plugin.name: FilterResult.success(plugin.name) for plugin in FILTER_PLUGINS}


def run_filters(state: CycleState, pod: dict, node_info: NodeInfo) -> tuple[FilterResult, ...]:
    """Every filter's answer, in profile order (upstream would stop at the first failure).

    A plugin its PreFilter skipped is not run; the node passes it, as upstream's does.
    """
    plan = state.filter_plan
    if plan is None:  # the PreFilters have run: which filters are skipped is settled
        # A FilterResult is immutable: one success per skipped plugin serves every node.
        skipped = state.skip_filter_plugins
        plan = state.filter_plan = tuple(
            (plugin, _SKIPPED_PASS[plugin.name] if plugin.name in skipped else None)
            for plugin in FILTER_PLUGINS
        )
    return tuple(
        [
            passed if passed is not None else plugin.filter(state, pod, node_info)
            for plugin, passed in plan
        ]
    )


def first_failure(state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult | None:
    """The failure upstream reports for this node, or None if the pod fits."""
    for plugin in FILTER_PLUGINS:
        if plugin.name in state.skip_filter_plugins:
            continue
        result = plugin.filter(state, pod, node_info)
        if not result.passed:
            return result
    return None


def run_scores(
    state: CycleState,
    pod: dict,
    feasible: Sequence[NodeInfo],
    all_node_infos: Sequence[NodeInfo],
) -> ScoreTable:
    """Every score plugin's raw and normalized score for each feasible node, in the order
    of feasible. A plugin whose PreScore said Skip is left out, as upstream leaves it out
    of the node's scores."""
    for pre_score_plugin in PRE_SCORE_PLUGINS:
        if pre_score_plugin.pre_score(state, pod, feasible, all_node_infos) == SKIP:
            state.skip_score_plugins.add(pre_score_plugin.name)
    names = [info.name for info in feasible]
    scored = [(p, w) for p, w in SCORE_PLUGINS if p.name not in state.skip_score_plugins]
    raw_columns: list[list[int]] = []
    normalized_columns: list[list[int]] = []
    for plugin, _ in scored:
        raw = [plugin.score(state, pod, info) for info in feasible]
        raw_columns.append(raw)
        if normalizer := _NORMALIZERS.get(plugin.name):
            normalized_columns.append(normalizer.normalize(raw))
        elif stateful := _STATEFUL_NORMALIZERS.get(plugin.name):
            normalized_columns.append(stateful.normalize_node_scores(state, names, raw))
        else:
            normalized_columns.append(raw)
    return ScoreTable(
        names, [(plugin.name, weight) for plugin, weight in scored], raw_columns, normalized_columns
    )
