"""The default-scheduler profile: which plugins run, in which order, with which weights.

Order and weights are upstream's defaults (Kubernetes 1.32). The filter order
matters: upstream stops at a node's first failing filter, and only that
plugin's reasons reach the FailedScheduling message. PreFilter and PreScore
run once per pod and leave in the CycleState what Filter and Score read at
each node. PodTopologySpread, InterPodAffinity and the volume plugins are not
simulated.
"""

from __future__ import annotations

from collections.abc import Sequence

from cluster.components.scheduler.framework import (
    CycleState,
    FilterPlugin,
    FilterResult,
    NodeInfo,
    PreFilterPlugin,
    PreScorePlugin,
    ScoreNormalizer,
    ScorePlugin,
    ScoreTable,
)
from cluster.components.scheduler.plugins.image_locality import ImageLocality
from cluster.components.scheduler.plugins.node_affinity import NodeAffinity
from cluster.components.scheduler.plugins.node_name import NodeName
from cluster.components.scheduler.plugins.node_ports import NodePorts
from cluster.components.scheduler.plugins.node_resources_balanced_allocation import (
    NodeResourcesBalancedAllocation,
)
from cluster.components.scheduler.plugins.node_resources_fit import NodeResourcesFit
from cluster.components.scheduler.plugins.node_unschedulable import NodeUnschedulable
from cluster.components.scheduler.plugins.taint_toleration import TaintToleration

_node_affinity = NodeAffinity()
_node_ports = NodePorts()
_taint_toleration = TaintToleration()
_node_resources_fit = NodeResourcesFit()
_balanced_allocation = NodeResourcesBalancedAllocation()
_image_locality = ImageLocality()

# What the pod asks is worked out here once, not again at every node.
PRE_FILTER_PLUGINS: tuple[PreFilterPlugin, ...] = (_node_affinity, _node_ports, _node_resources_fit)

FILTER_PLUGINS: tuple[FilterPlugin, ...] = (
    NodeUnschedulable(),
    NodeName(),
    _taint_toleration,
    _node_affinity,
    _node_ports,
    _node_resources_fit,
)

PRE_SCORE_PLUGINS: tuple[PreScorePlugin, ...] = (
    _taint_toleration,
    _node_affinity,
    _node_resources_fit,
    _balanced_allocation,
    _image_locality,
)

# (plugin, weight): a node's total is the sum of normalized score * weight.
SCORE_PLUGINS: tuple[tuple[ScorePlugin, int], ...] = (
    (_taint_toleration, 3),
    (_node_affinity, 2),
    (_node_resources_fit, 1),
    (_balanced_allocation, 1),
    (_image_locality, 1),
)
# Asked once here: a runtime Protocol check is slow enough to show at every decision.
_NORMALIZERS: dict[str, ScoreNormalizer] = {
    plugin.name: plugin for plugin, _ in SCORE_PLUGINS if isinstance(plugin, ScoreNormalizer)
}


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


def run_filters(state: CycleState, pod: dict, node_info: NodeInfo) -> tuple[FilterResult, ...]:
    """Every filter's answer, in profile order (upstream would stop at the first failure).

    A plugin its PreFilter skipped is not run; the node passes it, as upstream's does.
    """
    skipped = state.skip_filter_plugins
    return tuple(
        FilterResult.success(plugin.name)
        if plugin.name in skipped
        else plugin.filter(state, pod, node_info)
        for plugin in FILTER_PLUGINS
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
    of feasible."""
    for pre_score_plugin in PRE_SCORE_PLUGINS:
        pre_score_plugin.pre_score(state, pod, feasible, all_node_infos)
    raw_columns: list[list[int]] = []
    normalized_columns: list[list[int]] = []
    for plugin, _ in SCORE_PLUGINS:
        raw = [plugin.score(state, pod, info) for info in feasible]
        normalizer = _NORMALIZERS.get(plugin.name)
        raw_columns.append(raw)
        normalized_columns.append(normalizer.normalize(raw) if normalizer else raw)
    return ScoreTable(
        [info.name for info in feasible],
        [(plugin.name, weight) for plugin, weight in SCORE_PLUGINS],
        raw_columns,
        normalized_columns,
    )
