"""NodeAffinity: spec.nodeSelector and spec.affinity.nodeAffinity.

Filter: the node must carry every nodeSelector label and match at least one of
the required nodeSelectorTerms. PreFilter: terms that name nodes through
matchFields metadata.name (as DaemonSet pods do) narrow the candidates before
any filter runs. Score: the sum of the weights of the preferred terms the node
matches, scaled so the best node gets 100 (PreScore picks out those terms once per pod).

Terms follow upstream's rules: the requirements of one term are ANDed, terms
are ORed, an empty term matches nothing, and a malformed requirement (In with
no values, Gt with a non-number...) makes its term match nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from cluster.components.scheduler.framework import (
    CycleState,
    FilterResult,
    NodeInfo,
    PreFilterResult,
)
from cluster.components.scheduler.plugins.normalize import default_normalize_score

ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_CONFLICT = "pod affinity terms conflict"
NODE_NAME_FIELD = "metadata.name"
PRE_SCORE_STATE_KEY = "PreScoreNodeAffinity"


class NodeAffinity:
    name = "NodeAffinity"

    def pre_filter(self, state: CycleState, pod: dict) -> PreFilterResult:
        """Only the nodes named by matchFields metadata.name In, when every term names some."""
        required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
        if required is None and not (pod.get("spec") or {}).get("nodeSelector"):
            return PreFilterResult(skip=True)  # the pod asks nothing of the node's labels
        terms = _required_terms(pod)
        if not terms:
            return PreFilterResult()
        named: set[str] = set()
        for term in terms:
            term_names = _names_in_term(term)
            if term_names is None:
                return PreFilterResult()  # this term may match any node: terms are ORed
            named |= term_names
        if not named:
            return PreFilterResult(rejection=ERR_REASON_CONFLICT)
        return PreFilterResult(node_names=frozenset(named))

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult:
        if required_node_affinity_matches(pod, node_info.node):
            return FilterResult.success(self.name)
        return FilterResult.unresolvable(self.name, ERR_REASON_POD)

    def pre_score(
        self,
        state: CycleState,
        pod: dict,
        feasible: Sequence[NodeInfo],
        all_node_infos: Sequence[NodeInfo],
    ) -> None:
        affinity = _node_affinity(pod)
        preferred = affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        state.write(PRE_SCORE_STATE_KEY, preferred)

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        preferred: list[dict] = state.read(PRE_SCORE_STATE_KEY)
        return sum(
            term.get("weight") or 0
            for term in preferred
            if term_matches(term.get("preference") or {}, node_info.node)
        )

    def normalize(self, scores: list[int]) -> list[int]:
        return default_normalize_score(scores, reverse=False)


def required_node_affinity_matches(pod: dict, node: dict) -> bool:
    labels = (node.get("metadata") or {}).get("labels") or {}
    node_selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    if any(key not in labels or labels[key] != value for key, value in node_selector.items()):
        return False
    required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    return any(term_matches(term, node) for term in required.get("nodeSelectorTerms") or [])


def term_matches(term: dict, node: dict) -> bool:
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    meta = node.get("metadata") or {}
    labels = meta.get("labels") or {}
    return all(_label_requirement_matches(r, labels) for r in expressions) and all(
        _field_requirement_matches(r, meta.get("name", "")) for r in fields
    )


def _label_requirement_matches(requirement: dict, labels: dict) -> bool:
    key = requirement.get("key", "")
    values = requirement.get("values") or []
    present = key in labels
    match requirement.get("operator"):
        case "In":
            return bool(values) and present and labels[key] in values
        case "NotIn":
            return bool(values) and (not present or labels[key] not in values)
        case "Exists":
            return not values and present
        case "DoesNotExist":
            return not values and not present
        case "Gt" | "Lt" as operator:
            wanted, actual = _integer(values), _integer([labels.get(key)])
            if wanted is None or actual is None:
                return False
            return actual > wanted if operator == "Gt" else actual < wanted
        case _:
            return False


def _field_requirement_matches(requirement: dict, node_name: str) -> bool:
    values = requirement.get("values") or []
    # Upstream's node field selector takes exactly one value, and only metadata.name.
    if requirement.get("key") != NODE_NAME_FIELD or len(values) != 1:
        return False
    match requirement.get("operator"):
        case "In":
            return node_name == values[0]
        case "NotIn":
            return node_name != values[0]
        case _:
            return False


def _integer(values: list) -> int | None:
    if len(values) != 1 or not isinstance(values[0], str):
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


def _names_in_term(term: dict) -> set[str] | None:
    """Nodes a term allows by metadata.name In (ANDed, so intersected); None if it names none."""
    names: set[str] | None = None
    for requirement in term.get("matchFields") or []:
        if requirement.get("key") == NODE_NAME_FIELD and requirement.get("operator") == "In":
            values = set(requirement.get("values") or [])
            names = values if names is None else names & values
    return names


def _node_affinity(pod: dict) -> dict:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    return affinity.get("nodeAffinity") or {}


def _required_terms(pod: dict) -> list[dict]:
    required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    return required.get("nodeSelectorTerms") or []
