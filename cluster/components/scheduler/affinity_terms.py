"""A pod's inter-pod (anti-)affinity terms, parsed once (upstream framework.AffinityTerm).

Upstream's PodInfo keeps each pod's terms parsed, so that InterPodAffinity
does not parse the terms of every pod on every node at every decision; the
NodeInfo here keeps them the same way for the pods bound to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cluster.components.scheduler.label_selector import LabelSelector, pod_labels

REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


@dataclass(frozen=True)
class AffinityTerm:
    namespaces: frozenset[str]
    selector: LabelSelector
    topology_key: str
    namespace_selector: LabelSelector

    def matches(self, pod: Mapping, namespace_labels: Mapping[str, str] | None) -> bool:
        """Upstream AffinityTerm.Matches: the pod's namespace is named or selected, and the
        pod's labels match."""
        namespace = (pod.get("metadata") or {}).get("namespace", "")
        if namespace in self.namespaces or self.namespace_selector.matches(namespace_labels):
            return self.selector.matches(pod_labels(pod))
        return False

    def with_namespaces(self, names: frozenset[str]) -> AffinityTerm:
        """The term with its namespaceSelector resolved to names (upstream
        mergeAffinityTermNamespacesIfNotEmpty), for the incoming pod's terms."""
        return AffinityTerm(
            self.namespaces | names, self.selector, self.topology_key, LabelSelector.parse(None)
        )


@dataclass(frozen=True)
class WeightedAffinityTerm:
    term: AffinityTerm
    weight: int


@dataclass(frozen=True)
class PodAffinityTerms:
    """Upstream PodInfo's RequiredAffinityTerms, RequiredAntiAffinityTerms and the two
    preferred lists."""

    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[WeightedAffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[WeightedAffinityTerm, ...] = ()

    @property
    def any(self) -> bool:
        """Upstream NodeInfo.PodsWithAffinity holds the pods for which this is true."""
        return bool(
            self.required_affinity
            or self.required_anti_affinity
            or self.preferred_affinity
            or self.preferred_anti_affinity
        )


NO_TERMS = PodAffinityTerms()


def pod_affinity_terms(pod: Mapping) -> PodAffinityTerms:
    """Raises ValueError on a selector upstream could not parse."""
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    pod_affinity = affinity.get("podAffinity") or {}
    anti_affinity = affinity.get("podAntiAffinity") or {}
    if not pod_affinity and not anti_affinity:
        return NO_TERMS
    return PodAffinityTerms(
        required_affinity=_terms(pod, pod_affinity.get(REQUIRED)),
        required_anti_affinity=_terms(pod, anti_affinity.get(REQUIRED)),
        preferred_affinity=_weighted_terms(pod, pod_affinity.get(PREFERRED)),
        preferred_anti_affinity=_weighted_terms(pod, anti_affinity.get(PREFERRED)),
    )


def _terms(pod: Mapping, terms: list | None) -> tuple[AffinityTerm, ...]:
    return tuple(affinity_term(pod, term) for term in terms or [])


def _weighted_terms(pod: Mapping, terms: list | None) -> tuple[WeightedAffinityTerm, ...]:
    return tuple(
        WeightedAffinityTerm(affinity_term(pod, t.get("podAffinityTerm") or {}), t.get("weight", 0))
        for t in terms or []
    )


def affinity_term(pod: Mapping, term: Mapping) -> AffinityTerm:
    """Upstream newAffinityTerm: no namespaces and no namespaceSelector mean the pod's own
    namespace."""
    namespaces = term.get("namespaces") or []
    namespace_selector = term.get("namespaceSelector")
    if not namespaces and namespace_selector is None:
        namespaces = [(pod.get("metadata") or {}).get("namespace", "")]
    return AffinityTerm(
        namespaces=frozenset(namespaces),
        selector=LabelSelector.parse(term.get("labelSelector")),
        topology_key=term.get("topologyKey", ""),
        namespace_selector=LabelSelector.parse(namespace_selector),
    )
