"""The default-scheduler profile: which plugins run, in which order, with which weights.

Order and weights are upstream's defaults (Kubernetes 1.32). The filter order
matters: upstream stops at a node's first failing filter, and only that
plugin's reasons reach the FailedScheduling message. PodTopologySpread,
InterPodAffinity and the volume plugins are not simulated.
"""

from __future__ import annotations

from collections.abc import Sequence

from cluster.components.scheduler.framework import (
    FilterPlugin,
    FilterResult,
    NodeInfo,
    PreFilterPlugin,
    ScoreNormalizer,
    ScorePlugin,
    ScoreResult,
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
_taint_toleration = TaintToleration()
_node_resources_fit = NodeResourcesFit()

PRE_FILTER_PLUGINS: tuple[PreFilterPlugin, ...] = (_node_affinity,)

FILTER_PLUGINS: tuple[FilterPlugin, ...] = (
    NodeUnschedulable(),
    NodeName(),
    _taint_toleration,
    _node_affinity,
    NodePorts(),
    _node_resources_fit,
)

# (plugin, weight): a node's total is the sum of normalized score * weight.
SCORE_PLUGINS: tuple[tuple[ScorePlugin, int], ...] = (
    (_taint_toleration, 3),
    (_node_affinity, 2),
    (_node_resources_fit, 1),
    (NodeResourcesBalancedAllocation(), 1),
    (ImageLocality(), 1),
)


def excluded_by_pre_filter(plugins: Sequence[str]) -> str:
    """The reason upstream gives nodes a PreFilter ruled out (Go prints a list as [A B])."""
    return f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(plugins))}]"


def run_pre_filters(
    pod: dict,
) -> tuple[frozenset[str] | None, tuple[str, ...], FilterResult | None]:
    """(candidate node names or None for all, plugins that narrowed them, a rejection or None)."""
    candidates: frozenset[str] | None = None
    narrowed_by: list[str] = []
    for plugin in PRE_FILTER_PLUGINS:
        result = plugin.pre_filter(pod)
        if result.rejection:
            return None, (), FilterResult.unresolvable(plugin.name, result.rejection)
        if result.node_names is not None:
            narrowed_by.append(plugin.name)
            names = result.node_names
            candidates = names if candidates is None else candidates & names
    return candidates, tuple(narrowed_by), None


def run_filters(pod: dict, node_info: NodeInfo) -> tuple[FilterResult, ...]:
    """Every filter's answer, in profile order (upstream would stop at the first failure)."""
    return tuple(plugin.filter(pod, node_info) for plugin in FILTER_PLUGINS)


def first_failure(pod: dict, node_info: NodeInfo) -> FilterResult | None:
    """The failure upstream reports for this node, or None if the pod fits."""
    for plugin in FILTER_PLUGINS:
        result = plugin.filter(pod, node_info)
        if not result.passed:
            return result
    return None


def run_scores(
    pod: dict, feasible: Sequence[NodeInfo], all_node_infos: Sequence[NodeInfo]
) -> dict[str, tuple[ScoreResult, ...]]:
    """Every score plugin's raw and normalized score for each feasible node, by node name."""
    scores: dict[str, list[ScoreResult]] = {info.name: [] for info in feasible}
    for plugin, weight in SCORE_PLUGINS:
        raw = [plugin.score(pod, info, all_node_infos) for info in feasible]
        normalized = plugin.normalize(raw) if isinstance(plugin, ScoreNormalizer) else raw
        for info, raw_score, score in zip(feasible, raw, normalized, strict=True):
            scores[info.name].append(ScoreResult(plugin.name, raw_score, score, weight))
    return {name: tuple(results) for name, results in scores.items()}
