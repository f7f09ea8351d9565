"""PodTopologySpread: keep matching pods evenly spread over topology domains.

A constraint counts, in each domain (each value of its topologyKey label),
the pods its labelSelector matches in the pod's namespace. Filter (the
DoNotSchedule constraints): placing the pod in the node's domain must leave
  matching pods there + 1 (if the pod matches itself) - the fewest in any domain
at most maxSkew; a node without the topology label cannot take the pod at all.
Score (the ScheduleAnyway constraints): fewer matching pods in the node's
domains is better, each constraint weighed by log(number of domains + 2).

A pod with no constraints of its own gets the cluster's default ones
(upstream's system defaults: maxSkew 3 per hostname, 5 per zone, both
ScheduleAnyway), whose selector is made from the Services selecting the pod and
the ReplicaSet, ReplicationController or StatefulSet controlling it (upstream
helper.DefaultSelector). So a Deployment's replicas spread over the nodes.

Nodes count only if they match the pod's nodeSelector and required node
affinity (nodeAffinityPolicy Honor, the default); taints are ignored
(nodeTaintsPolicy Ignore) unless the constraint says Honor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cluster.components.scheduler.framework import (
    MAX_NODE_SCORE,
    SKIP,
    ClusterListers,
    CycleState,
    FilterResult,
    NodeInfo,
    PreFilterResult,
)
from cluster.components.scheduler.label_selector import EVERYTHING, LabelSelector, pod_labels
from cluster.components.scheduler.plugins.node_affinity import required_node_affinity_matches
from cluster.components.scheduler.plugins.tolerations import any_tolerates, pod_tolerations

NAME = "PodTopologySpread"
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
PRE_FILTER_STATE_KEY = "PreFilter" + NAME
PRE_SCORE_STATE_KEY = "PreScore" + NAME

DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
HONOR = "Honor"
IGNORE = "Ignore"
HOSTNAME_LABEL = "kubernetes.io/hostname"
ZONE_LABEL = "topology.kubernetes.io/zone"
# Upstream systemDefaultConstraints (defaultingType: System).
SYSTEM_DEFAULT_CONSTRAINTS = (
    {"maxSkew": 3, "topologyKey": HOSTNAME_LABEL, "whenUnsatisfiable": SCHEDULE_ANYWAY},
    {"maxSkew": 5, "topologyKey": ZONE_LABEL, "whenUnsatisfiable": SCHEDULE_ANYWAY},
)
# The controllers whose selector upstream's DefaultSelector reads, by their owner reference.
CONTROLLER_RESOURCES = {
    ("v1", "ReplicationController"): "replicationcontrollers",
    ("apps/v1", "ReplicaSet"): "replicasets",
    ("apps/v1", "StatefulSet"): "statefulsets",
}
_NO_DOMAIN_YET = 2**31 - 1  # upstream's math.MaxInt32 in an empty critical path


@dataclass(frozen=True)
class SpreadConstraint:
    """Upstream's internal topologySpreadConstraint: the selector parsed, defaults filled."""

    max_skew: int
    topology_key: str
    selector: LabelSelector
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE

    def includes(self, pod: dict, node: dict) -> bool:
        """Upstream matchNodeInclusionPolicies: does this node's domain count at all?"""
        if self.node_affinity_policy == HONOR and not required_node_affinity_matches(pod, node):
            return False
        if self.node_taints_policy == HONOR:
            tolerations = pod_tolerations(pod)
            for taint in (node.get("spec") or {}).get("taints") or []:
                if taint.get("effect") in ("NoSchedule", "NoExecute") and not any_tolerates(
                    tolerations, taint
                ):
                    return False
        return True


@dataclass
class PreFilterState:
    constraints: tuple[SpreadConstraint, ...]
    # Per constraint: domain (topology value) -> matching pods.
    counts: list[dict[str, int]] = field(default_factory=list)

    def min_match_num(self, index: int) -> int:
        """The global minimum (upstream minMatchNum): 0 while fewer domains than minDomains."""
        counts = self.counts[index]
        if len(counts) < self.constraints[index].min_domains:
            return 0
        return min(counts.values(), default=_NO_DOMAIN_YET)


@dataclass
class PreScoreState:
    constraints: tuple[SpreadConstraint, ...]
    ignored_nodes: set[str]
    # Per constraint: domain -> matching pods (hostname constraints are counted per node).
    counts: list[dict[str, int]]
    weights: list[float]


class PodTopologySpread:
    name = NAME

    def pre_filter(self, state: CycleState, pod: dict) -> PreFilterResult:
        constraints = hard_constraints(pod)
        if not constraints:
            return PreFilterResult(skip=True)
        pre_filter_state = PreFilterState(constraints, [{} for _ in constraints])
        for info in state.snapshot:
            node = info.node
            if not node_has_all_topology_keys(info.labels, constraints):
                continue
            for index, constraint in enumerate(constraints):
                if not constraint.includes(pod, node):
                    continue
                value = info.labels[constraint.topology_key]
                counts = pre_filter_state.counts[index]
                counts[value] = counts.get(value, 0) + count_matching_pods(
                    info.pods, constraint.selector, _namespace(pod)
                )
        state.write(PRE_FILTER_STATE_KEY, pre_filter_state)
        return PreFilterResult()

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult:
        pre_filter_state: PreFilterState = state.read(PRE_FILTER_STATE_KEY)
        labels = pod_labels(pod)
        for index, constraint in enumerate(pre_filter_state.constraints):
            value = node_info.labels.get(constraint.topology_key)
            if value is None:
                return FilterResult.unresolvable(self.name, ERR_REASON_NODE_LABEL_NOT_MATCH)
            self_match = 1 if constraint.selector.matches(labels) else 0
            matching = pre_filter_state.counts[index].get(value, 0)
            skew = matching + self_match - pre_filter_state.min_match_num(index)
            if skew > constraint.max_skew:
                # Resolvable: evicting matching pods from the domain would even it out.
                return FilterResult.unschedulable(self.name, ERR_REASON_CONSTRAINTS_NOT_MATCH)
        return FilterResult.success(self.name)

    def pre_score(
        self,
        state: CycleState,
        pod: dict,
        feasible: Sequence[NodeInfo],
        all_node_infos: Sequence[NodeInfo],
    ) -> str | None:
        has_own = bool((pod.get("spec") or {}).get("topologySpreadConstraints"))
        constraints = soft_constraints(pod, state.listers)
        if not constraints or not all_node_infos:
            return SKIP
        # Upstream only requires every topology label with the pod's own constraints, so
        # that nodes without a zone label still spread by hostname under the defaults.
        require_all = has_own
        ignored = {
            info.name
            for info in feasible
            if require_all and not node_has_all_topology_keys(info.labels, constraints)
        }
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for info in feasible:
            if info.name in ignored:
                continue
            for index, constraint in enumerate(constraints):
                if constraint.topology_key != HOSTNAME_LABEL:
                    counts[index].setdefault(info.labels.get(constraint.topology_key, ""), 0)
        weights = [
            topology_normalizing_weight(
                len(feasible) - len(ignored)
                if constraint.topology_key == HOSTNAME_LABEL
                else len(counts[index])
            )
            for index, constraint in enumerate(constraints)
        ]
        namespace = _namespace(pod)
        for info in all_node_infos:
            if require_all and not node_has_all_topology_keys(info.labels, constraints):
                continue
            for index, constraint in enumerate(constraints):
                if not constraint.includes(pod, info.node):
                    continue
                value = info.labels.get(constraint.topology_key, "")
                if value not in counts[index]:
                    continue  # a domain no feasible node is in (or a hostname, counted later)
                counts[index][value] += count_matching_pods(
                    info.pods, constraint.selector, namespace
                )
        state.write(PRE_SCORE_STATE_KEY, PreScoreState(constraints, ignored, counts, weights))
        return None

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        """The matching pods in the node's domains, weighed (lower is better)."""
        pre_score_state: PreScoreState = state.read(PRE_SCORE_STATE_KEY)
        if node_info.name in pre_score_state.ignored_nodes:
            return 0
        total = 0.0
        for index, constraint in enumerate(pre_score_state.constraints):
            value = node_info.labels.get(constraint.topology_key)
            if value is None:
                continue
            if constraint.topology_key == HOSTNAME_LABEL:
                count = count_matching_pods(node_info.pods, constraint.selector, _namespace(pod))
            else:
                count = pre_score_state.counts[index][value]
            total += count * pre_score_state.weights[index] + (constraint.max_skew - 1)
        return _round_half_away_from_zero(total)

    def normalize_node_scores(
        self, state: CycleState, node_names: Sequence[str], scores: list[int]
    ) -> list[int]:
        """Fewest matching pods gets 100: upstream's NormalizeScore, ignored nodes 0."""
        ignored = state.read(PRE_SCORE_STATE_KEY).ignored_nodes
        counted = [s for name, s in zip(node_names, scores, strict=True) if name not in ignored]
        lowest, highest = min(counted, default=0), max(counted, default=0)
        normalized = []
        for name, score in zip(node_names, scores, strict=True):
            if name in ignored:
                normalized.append(0)
            elif highest == 0:
                normalized.append(MAX_NODE_SCORE)
            else:
                normalized.append(MAX_NODE_SCORE * (highest + lowest - score) // highest)
        return normalized


def hard_constraints(pod: dict) -> tuple[SpreadConstraint, ...]:
    """The DoNotSchedule constraints (the system defaults have none)."""
    return _constraints_of(
        pod, (pod.get("spec") or {}).get("topologySpreadConstraints") or [], DO_NOT_SCHEDULE
    )


def soft_constraints(pod: dict, listers: ClusterListers) -> tuple[SpreadConstraint, ...]:
    """The ScheduleAnyway constraints: the pod's own, or else the system defaults with the
    selector of the objects that own or select the pod (upstream buildDefaultConstraints)."""
    own = (pod.get("spec") or {}).get("topologySpreadConstraints") or []
    if own:
        return _constraints_of(pod, own, SCHEDULE_ANYWAY)
    defaults = _constraints_of(pod, SYSTEM_DEFAULT_CONSTRAINTS, SCHEDULE_ANYWAY)
    selector = default_selector(pod, listers)
    if selector.empty:
        return ()
    return tuple(
        SpreadConstraint(c.max_skew, c.topology_key, selector, c.min_domains) for c in defaults
    )


def _constraints_of(
    pod: dict, constraints: Sequence[Mapping], action: str
) -> tuple[SpreadConstraint, ...]:
    """Upstream filterTopologySpreadConstraints, matchLabelKeys merged into the selector."""
    labels = pod_labels(pod)
    result = []
    for constraint in constraints:
        if constraint.get("whenUnsatisfiable") != action:
            continue
        selector = LabelSelector.parse(constraint.get("labelSelector"))
        match_labels = {
            key: labels[key] for key in constraint.get("matchLabelKeys") or [] if key in labels
        }
        if match_labels:
            selector = LabelSelector.from_set(match_labels).adding(selector.requirements)
        result.append(
            SpreadConstraint(
                max_skew=int(constraint.get("maxSkew", 1)),
                topology_key=constraint.get("topologyKey", ""),
                selector=selector,
                min_domains=int(constraint.get("minDomains") or 1),
                node_affinity_policy=constraint.get("nodeAffinityPolicy") or HONOR,
                node_taints_policy=constraint.get("nodeTaintsPolicy") or IGNORE,
            )
        )
    return tuple(result)


def default_selector(pod: dict, listers: ClusterListers) -> LabelSelector:
    """Upstream helper.DefaultSelector: the selectors of the Services selecting the pod,
    merged, and the selector of the controller that owns it (its controller owner reference
    to a ReplicationController, ReplicaSet or StatefulSet)."""
    namespace = _namespace(pod)
    labels = pod_labels(pod)
    merged: dict[str, str] = {}
    if labels:  # a Service with a selector cannot select a pod without labels
        for service in listers.list("services", namespace):
            service_selector = (service.get("spec") or {}).get("selector") or {}
            if service_selector and LabelSelector.from_set(service_selector).matches(labels):
                merged.update(service_selector)
    selector = LabelSelector.from_set(merged) if merged else EVERYTHING
    owner = _controller_of(pod)
    resource = CONTROLLER_RESOURCES.get((owner.get("apiVersion", ""), owner.get("kind", "")))
    if resource is None:
        return selector
    controller = next(
        (
            obj
            for obj in listers.list(resource, namespace)
            if (obj.get("metadata") or {}).get("name") == owner.get("name")
        ),
        None,
    )
    if controller is None:
        return selector
    owner_selector = (controller.get("spec") or {}).get("selector")
    if resource == "replicationcontrollers":
        # A ReplicationController's selector is a plain map of labels.
        return LabelSelector.from_set({**merged, **(owner_selector or {})})
    try:
        parsed = LabelSelector.parse(owner_selector)
    except ValueError:
        return selector
    return selector.adding(parsed.requirements)


def _controller_of(pod: dict) -> dict:
    owners = (pod.get("metadata") or {}).get("ownerReferences") or []
    return next((owner for owner in owners if owner.get("controller")), {})


def node_has_all_topology_keys(
    labels: Mapping[str, str], constraints: Sequence[SpreadConstraint]
) -> bool:
    """Upstream nodeLabelsMatchSpreadConstraints."""
    return all(constraint.topology_key in labels for constraint in constraints)


def count_matching_pods(pods: Sequence[dict], selector: LabelSelector, namespace: str) -> int:
    """Upstream countPodsMatchSelector: terminating pods and other namespaces do not count."""
    return sum(
        1
        for pod in pods
        if not (pod.get("metadata") or {}).get("deletionTimestamp")
        and _namespace(pod) == namespace
        and selector.matches(pod_labels(pod))
    )


def topology_normalizing_weight(size: int) -> float:
    """Upstream topologyNormalizingWeight: log(size + 2), so small topologies weigh less."""
    return math.log(size + 2)


def _round_half_away_from_zero(value: float) -> int:
    # Go's math.Round, not Python's round-half-to-even.
    return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))


def _namespace(pod: Mapping) -> str:
    return (pod.get("metadata") or {}).get("namespace", "")
