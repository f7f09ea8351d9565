"""InterPodAffinity: place a pod near, or away from, pods with given labels.

A term names pods (a labelSelector, in some namespaces) and a topology key:
"in the same domain as" means on a node with the same value of that label.
Filter, in upstream's order:
- the pod's required affinity: every term must have a matching pod in the
  node's domain (a pod that would match its own terms may go first, if no pod
  in the cluster matches them yet);
- the pod's required anti-affinity: no term may have a matching pod there;
- existing pods' required anti-affinity: no pod in the node's domain may
  refuse the incoming pod.
Score: the preferred terms of both sides (and the existing pods' required
affinity, at hardPodAffinityWeight 1) add or take their weight in each
domain; the scores are then scaled between the lowest (0) and the highest (100).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from cluster.components.scheduler.affinity_terms import (
    NO_TERMS,
    AffinityTerm,
    PodAffinityTerms,
    WeightedAffinityTerm,
    pod_affinity_terms,
)
from cluster.components.scheduler.framework import (
    MAX_NODE_SCORE,
    SKIP,
    ClusterListers,
    CycleState,
    FilterResult,
    NodeInfo,
    PreFilterResult,
)

NAME = "InterPodAffinity"
ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = (
    "node(s) didn't satisfy existing pods anti-affinity rules"
)
PRE_FILTER_STATE_KEY = "PreFilter" + NAME
PRE_SCORE_STATE_KEY = "PreScore" + NAME
# InterPodAffinityArgs defaults.
HARD_POD_AFFINITY_WEIGHT = 1

TopologyPair = tuple[str, str]  # (topology key, value)


@dataclass
class PreFilterState:
    terms: PodAffinityTerms  # the incoming pod's, namespaceSelectors resolved
    # Domains -> how many existing pods there refuse the incoming pod.
    existing_anti_affinity_counts: Counter[TopologyPair]
    # Domains -> how many pods there match all the pod's affinity terms.
    affinity_counts: Counter[TopologyPair]
    # Domains -> how many pods there match one of the pod's anti-affinity terms.
    anti_affinity_counts: Counter[TopologyPair]
    pod: dict


class InterPodAffinity:
    name = NAME

    def pre_filter(self, state: CycleState, pod: dict) -> PreFilterResult:
        try:
            terms = _with_resolved_namespaces(pod_affinity_terms(pod), state.listers)
        except ValueError as error:
            return PreFilterResult(rejection=f"parsing pod: {error}")
        namespace_labels = _namespace_labels(pod, state.listers)
        existing = Counter[TopologyPair]()
        for info in state.snapshot:
            for _, existing_terms in info.pods_with_required_anti_affinity:
                for term in existing_terms.required_anti_affinity:
                    if term.matches(pod, namespace_labels):
                        _count(existing, info.labels, term.topology_key)
        affinity, anti_affinity = Counter[TopologyPair](), Counter[TopologyPair]()
        if terms.required_affinity or terms.required_anti_affinity:
            for info in state.snapshot:
                for other in info.pods:
                    if _matches_all(terms.required_affinity, other):
                        for term in terms.required_affinity:
                            _count(affinity, info.labels, term.topology_key)
                    for term in terms.required_anti_affinity:
                        if term.matches(other, None):
                            _count(anti_affinity, info.labels, term.topology_key)
        if not existing and not terms.required_affinity and not terms.required_anti_affinity:
            return PreFilterResult(skip=True)
        state.write(
            PRE_FILTER_STATE_KEY, PreFilterState(terms, existing, affinity, anti_affinity, pod)
        )
        return PreFilterResult()

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult:
        s: PreFilterState = state.read(PRE_FILTER_STATE_KEY)
        if not _satisfies_pod_affinity(s, node_info.labels):
            # No eviction can bring a matching pod: unresolvable.
            return FilterResult.unresolvable(self.name, ERR_REASON_AFFINITY_RULES_NOT_MATCH)
        if not _satisfies_pod_anti_affinity(s, node_info.labels):
            return FilterResult.unschedulable(self.name, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
        if not _satisfies_existing_pods_anti_affinity(s, node_info.labels):
            return FilterResult.unschedulable(
                self.name, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH
            )
        return FilterResult.success(self.name)

    def pre_score(
        self,
        state: CycleState,
        pod: dict,
        feasible: Sequence[NodeInfo],
        all_node_infos: Sequence[NodeInfo],
    ) -> str | None:
        if not feasible:
            return SKIP
        try:
            terms = _with_resolved_namespaces(pod_affinity_terms(pod), state.listers)
        except ValueError:
            return SKIP
        has_preferred = bool(terms.preferred_affinity or terms.preferred_anti_affinity)
        if not has_preferred and not any(info.pods_with_affinity for info in all_node_infos):
            return SKIP  # nothing could score: upstream's PreScore skips too
        namespace_labels = _namespace_labels(pod, state.listers)
        scores: Counter[TopologyPair] = Counter()
        for info in all_node_infos:
            if not info.labels:
                continue
            # Without preferred terms of its own, only pods with affinity can move the score.
            others = info.pods_with_affinity
            if has_preferred:
                parsed = {id(other): other_terms for other, other_terms in others}
                others = [(other, parsed.get(id(other), NO_TERMS)) for other in info.pods]
            for other, other_terms in others:
                _score_existing_pod(scores, terms, pod, namespace_labels, other, other_terms, info)
        if not scores:
            return SKIP
        state.write(PRE_SCORE_STATE_KEY, scores)
        return None

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        scores: Counter[TopologyPair] = state.read(PRE_SCORE_STATE_KEY)
        return sum(scores.get((key, value), 0) for key, value in node_info.labels.items())

    def normalize(self, scores: list[int]) -> list[int]:
        """Upstream NormalizeScore: (score - lowest) / (highest - lowest) * 100, truncated."""
        lowest, highest = min(scores, default=0), max(scores, default=0)
        spread = highest - lowest
        if spread <= 0:
            return [0 for _ in scores]
        return [int(MAX_NODE_SCORE * ((score - lowest) / spread)) for score in scores]


def _score_existing_pod(
    scores: Counter[TopologyPair],
    terms: PodAffinityTerms,
    pod: dict,
    namespace_labels: Mapping[str, str],
    other: dict,
    other_terms: PodAffinityTerms,
    info: NodeInfo,
) -> None:
    """Upstream processExistingPod: what one pod on a node adds to the node's domains."""
    labels = info.labels
    # The incoming pod's preferred terms, matched against the existing pod.
    _add_weighted(scores, terms.preferred_affinity, other, None, labels, 1)
    _add_weighted(scores, terms.preferred_anti_affinity, other, None, labels, -1)
    # The existing pod's terms, matched against the incoming pod.
    for term in other_terms.required_affinity:
        _add(scores, term, HARD_POD_AFFINITY_WEIGHT, pod, namespace_labels, labels)
    _add_weighted(scores, other_terms.preferred_affinity, pod, namespace_labels, labels, 1)
    _add_weighted(scores, other_terms.preferred_anti_affinity, pod, namespace_labels, labels, -1)


def _add_weighted(
    scores: Counter[TopologyPair],
    terms: Sequence[WeightedAffinityTerm],
    target: dict,
    namespace_labels: Mapping[str, str] | None,
    node_labels: Mapping[str, str],
    sign: int,
) -> None:
    for weighted in terms:
        _add(scores, weighted.term, weighted.weight * sign, target, namespace_labels, node_labels)


def _add(
    scores: Counter[TopologyPair],
    term: AffinityTerm,
    weight: int,
    target: dict,
    namespace_labels: Mapping[str, str] | None,
    node_labels: Mapping[str, str],
) -> None:
    if term.matches(target, namespace_labels) and term.topology_key in node_labels:
        scores[(term.topology_key, node_labels[term.topology_key])] += weight


def _satisfies_pod_affinity(s: PreFilterState, labels: Mapping[str, str]) -> bool:
    pods_exist = True
    for term in s.terms.required_affinity:
        if term.topology_key not in labels:
            return False  # every topology label must be on the node
        if s.affinity_counts[(term.topology_key, labels[term.topology_key])] <= 0:
            pods_exist = False
    if pods_exist:
        return True
    # The first of a group of pods with affinity to each other: allowed if nothing in the
    # cluster matches yet and the pod matches its own terms, else it would wait forever.
    return not s.affinity_counts and _matches_all(s.terms.required_affinity, s.pod)


def _satisfies_pod_anti_affinity(s: PreFilterState, labels: Mapping[str, str]) -> bool:
    if not s.anti_affinity_counts:
        return True
    return not any(
        s.anti_affinity_counts[(term.topology_key, labels[term.topology_key])] > 0
        for term in s.terms.required_anti_affinity
        if term.topology_key in labels
    )


def _satisfies_existing_pods_anti_affinity(s: PreFilterState, labels: Mapping[str, str]) -> bool:
    if not s.existing_anti_affinity_counts:
        return True
    return not any(s.existing_anti_affinity_counts[pair] > 0 for pair in labels.items())


def _matches_all(terms: Sequence[AffinityTerm], pod: dict) -> bool:
    """Upstream podMatchesAllAffinityTerms: false for no terms."""
    return bool(terms) and all(term.matches(pod, None) for term in terms)


def _count(counts: Counter[TopologyPair], labels: Mapping[str, str], key: str) -> None:
    if key in labels:
        counts[(key, labels[key])] += 1


def _with_resolved_namespaces(terms: PodAffinityTerms, listers: ClusterListers) -> PodAffinityTerms:
    """The incoming pod's namespaceSelectors turned into namespace names, once per cycle."""

    def resolve(term: AffinityTerm) -> AffinityTerm:
        if term.namespace_selector.empty:
            return term  # {} selects every namespace, nothing to look up
        names = frozenset(
            ns["metadata"]["name"]
            for ns in listers.list("namespaces")
            if term.namespace_selector.matches((ns.get("metadata") or {}).get("labels"))
        )
        return term.with_namespaces(names)

    def resolve_weighted(weighted: WeightedAffinityTerm) -> WeightedAffinityTerm:
        return WeightedAffinityTerm(resolve(weighted.term), weighted.weight)

    if not terms.any:
        return terms
    return PodAffinityTerms(
        tuple(map(resolve, terms.required_affinity)),
        tuple(map(resolve, terms.required_anti_affinity)),
        tuple(map(resolve_weighted, terms.preferred_affinity)),
        tuple(map(resolve_weighted, terms.preferred_anti_affinity)),
    )


def _namespace_labels(pod: dict, listers: ClusterListers) -> Mapping[str, str]:
    """The labels of the pod's namespace (upstream GetNamespaceLabelsSnapshot): what existing
    pods' namespaceSelectors are matched against."""
    return _LazyNamespaceLabels((pod.get("metadata") or {}).get("namespace", ""), listers)


class _LazyNamespaceLabels(Mapping[str, str]):
    """Read only if some term's namespaceSelector asks: upstream reads its informer's
    cache, Podlab would make an API call for every pod."""

    def __init__(self, namespace: str, listers: ClusterListers) -> None:
        self._namespace, self._listers = namespace, listers
        self._labels: dict[str, str] | None = None

    def _loaded(self) -> dict[str, str]:
        if self._labels is None:
            self._labels = {}
            for ns in self._listers.list("namespaces"):
                if (ns.get("metadata") or {}).get("name") == self._namespace:
                    self._labels = (ns.get("metadata") or {}).get("labels") or {}
        return self._labels

    def __getitem__(self, key: str) -> str:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())
