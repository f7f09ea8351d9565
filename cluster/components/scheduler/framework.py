"""The scheduler framework's vocabulary: node snapshots, plugin interfaces and results, decisions.

Modelled on kube-scheduler's framework (pkg/scheduler/framework): a pipeline of
small plugins with one interface per stage. PreFilter and PreScore work out,
once per pod, what Filter and Score then read at every node (kept in the
CycleState, as upstream keeps it). Filters say why a node cannot take the pod;
scores rank the nodes that can. A SchedulingDecision keeps every plugin's
answer for every node it evaluated; its record (as_dict) keeps why each
infeasible node failed and the best-scored feasible ones, which is what the
web page shows as "why this node" and "why pending".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from operator import attrgetter
from typing import Any, NamedTuple, Protocol, runtime_checkable

from cluster.components.scheduler.affinity_terms import PodAffinityTerms, pod_affinity_terms
from cluster.components.scheduler.requests import (
    HostPort,
    Resources,
    host_ports,
    pod_requests,
)
from cluster.quantity import cpu_millis, memory_bytes, parse_quantity

MAX_NODE_SCORE = 100

# How many feasible nodes a decision's record keeps (the chosen one and the next best):
# enough to show why the winner won, without a row for each of a thousand nodes.
RECORDED_FEASIBLE_NODES = 10
# A summary names the nodes a tie was broken among only when they are this few.
MAX_TIED_NODES_NAMED = 5

# Upstream status codes. Preemption is only tried on "Unschedulable" nodes: an
# "UnschedulableAndUnresolvable" node would refuse the pod even if it were empty.
SUCCESS = "Success"
UNSCHEDULABLE = "Unschedulable"
UNSCHEDULABLE_AND_UNRESOLVABLE = "UnschedulableAndUnresolvable"

# What scheduler_tick did with a decision.
OUTCOME_BOUND = "Bound"
OUTCOME_UNSCHEDULABLE = "Unschedulable"
OUTCOME_BIND_CONFLICT = "BindConflict"  # someone else bound the pod first (409)
OUTCOME_POD_GONE = "PodGone"  # the pod was deleted meanwhile (404)
OUTCOME_ERROR = "SchedulerError"  # the cycle raised (upstream's reason for such a failure)


@dataclass
class NodeInfo:
    """One node as the scheduler sees it: the Node, the pods bound to it, and their sums."""

    node: dict = field(repr=False)
    pods: list[dict] = field(default_factory=list, repr=False)
    name: str = field(init=False)
    # What the pods on the node request: filters compare this with allocatable.
    requested: Resources = field(init=False)
    # The same with upstream's non-zero defaults: what LeastAllocated scoring counts.
    non_zero_requested: Resources = field(init=False)
    used_ports: set[HostPort] = field(init=False)
    allocatable: Resources = field(init=False)
    allowed_pod_count: int = field(init=False)
    # Image name (each of status.images[].names) -> size in bytes.
    image_sizes: dict[str, int] = field(init=False, repr=False)
    # Upstream NodeInfo.PodsWithAffinity and PodsWithRequiredAntiAffinity, each pod with its
    # parsed terms: InterPodAffinity reads only these on most nodes.
    pods_with_affinity: list[tuple[dict, PodAffinityTerms]] = field(init=False, repr=False)
    pods_with_required_anti_affinity: list[tuple[dict, PodAffinityTerms]] = field(
        init=False, repr=False
    )

    def __post_init__(self) -> None:
        self.name = self.node["metadata"]["name"]
        status = self.node.get("status") or {}
        allocatable = status.get("allocatable") or {}
        self.allocatable = Resources(
            cpu_millis(allocatable.get("cpu", 0)), memory_bytes(allocatable.get("memory", 0))
        )
        self.allowed_pod_count = math.ceil(parse_quantity(allocatable.get("pods", 0)))
        self.image_sizes = {
            name: int(image.get("sizeBytes") or 0)
            for image in status.get("images") or []
            for name in image.get("names") or []
        }
        self.requested = Resources()
        self.non_zero_requested = Resources()
        self.used_ports = set()
        self.pods_with_affinity = []
        self.pods_with_required_anti_affinity = []
        pods, self.pods = self.pods, []
        for pod in pods:
            self.add_pod(pod)

    @property
    def pod_count(self) -> int:
        return len(self.pods)

    def add_pod(self, pod: dict) -> None:
        # Worked out before anything is kept: a pod that cannot be counted leaves the node
        # as it was.
        requested = pod_requests(pod)
        non_zero_requested = pod_requests(pod, non_zero=True)
        ports = host_ports(pod)
        terms = pod_affinity_terms(pod)
        self.pods.append(pod)
        self.requested += requested
        self.non_zero_requested += non_zero_requested
        self.used_ports.update(ports)
        if terms.any:
            self.pods_with_affinity.append((pod, terms))
        if terms.required_anti_affinity:
            self.pods_with_required_anti_affinity.append((pod, terms))

    @property
    def labels(self) -> dict[str, str]:
        return (self.node.get("metadata") or {}).get("labels") or {}


class ClusterListers(Protocol):
    """The objects beyond nodes and pods some plugins read (upstream's informer listers):
    services, replicasets, replicationcontrollers, statefulsets, namespaces."""

    def list(self, resource: str, namespace: str = "") -> list[dict]:
        """Every object of that resource (in namespace, if given); [] if not served."""
        ...


class NoListers:
    """For a decision made without the API server at hand: no such objects exist."""

    def list(self, resource: str, namespace: str = "") -> list[dict]:
        return []


class CycleState:
    """Upstream framework.CycleState: what plugins worked out once for the pod being scheduled.

    A PreFilter or PreScore plugin writes, under its own key, what the pod asks
    (its requests, its host ports, its tolerations); Filter and Score read it at
    each node instead of working it out again. One CycleState per scheduling cycle.
    """

    def __init__(
        self, snapshot: Sequence[NodeInfo] = (), listers: ClusterListers | None = None
    ) -> None:
        self._data: dict[str, Any] = {}
        # Filter plugins whose PreFilter said Skip (upstream CycleState.SkipFilterPlugins).
        self.skip_filter_plugins: set[str] = set()
        # Score plugins whose PreScore said Skip (upstream CycleState.SkipScorePlugins).
        self.skip_score_plugins: set[str] = set()
        # Every node with its pods: upstream's handle.SnapshotSharedLister(), which
        # InterPodAffinity and PodTopologySpread read in PreFilter.
        self.snapshot: Sequence[NodeInfo] = snapshot
        self.listers: ClusterListers = listers or NoListers()
        # (plugin, its answer when skipped) per filter, worked out once per cycle: the
        # filters run at every node, and this loop is most of a decision's time.
        self.filter_plan: tuple | None = None

    def write(self, key: str, value: Any) -> None:
        self._data[key] = value

    def read(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            # Upstream fails the cycle the same way: a plugin stage was skipped.
            raise KeyError(f"reading {key!r} from the cycle state: not found") from None


@dataclass(frozen=True)
class FilterResult:
    """A filter plugin's answer for one node; reasons are upstream's wording."""

    plugin: str
    code: str = SUCCESS
    reasons: tuple[str, ...] = ()
    passed: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A field, not a property: it is read for every filter at every node.
        object.__setattr__(self, "passed", self.code == SUCCESS)

    @classmethod
    def success(cls, plugin: str) -> FilterResult:
        return _success(plugin)

    @classmethod
    def unschedulable(cls, plugin: str, *reasons: str) -> FilterResult:
        """Rejected, but evicting lower-priority pods might make room."""
        return cls(plugin, UNSCHEDULABLE, reasons)

    @classmethod
    def unresolvable(cls, plugin: str, *reasons: str) -> FilterResult:
        """Rejected whatever runs on the node: taints, cordons, selectors."""
        return cls(plugin, UNSCHEDULABLE_AND_UNRESOLVABLE, reasons)

    @property
    def reason(self) -> str:
        return ", ".join(self.reasons)  # as upstream Status.Message() joins them

    def as_dict(self) -> dict:
        if self.passed:
            # Most answers are passes: without empty reasons, a record of many nodes stays small.
            return {"plugin": self.plugin, "passed": True, "code": self.code}
        return {
            "plugin": self.plugin,
            "passed": False,
            "code": self.code,
            "reason": self.reason,
            "reasons": list(self.reasons),
        }


@cache
def _success(plugin: str) -> FilterResult:
    # One shared pass per plugin: the answer most nodes get, made once rather than per node.
    return FilterResult(plugin)


@dataclass(frozen=True)
class PreFilterResult:
    """Upstream's PreFilterResult: None means every node is still a candidate."""

    node_names: frozenset[str] | None = None
    rejection: str = ""  # set when the pod can go nowhere at all
    # Upstream's Skip status: the plugin's Filter has nothing to check for this pod, so it
    # is not run and every node passes it.
    skip: bool = False


class ScoreResult(NamedTuple):
    """A tuple, not a dataclass: a decision makes one per plugin per feasible node."""

    plugin: str
    raw_score: int
    score: int  # normalized to 0..MAX_NODE_SCORE
    weight: int

    @property
    def weighted_score(self) -> int:
        return self.score * self.weight

    def as_dict(self) -> dict:
        return {
            "plugin": self.plugin,
            "raw_score": self.raw_score,
            "score": self.score,
            "weight": self.weight,
            "weighted_score": self.weighted_score,
        }


class ScoreTable:
    """Every score plugin's raw and normalized score for each feasible node, kept as one
    column per plugin.

    A decision over hundreds of nodes needs only each node's total; the page
    shows the plugin-by-plugin scores of the best few. So a node's row of
    ScoreResults is built when it is read, not for every node scored.
    """

    def __init__(
        self,
        node_names: Sequence[str],
        plugins: Sequence[tuple[str, int]],
        raw: Sequence[Sequence[int]],
        normalized: Sequence[Sequence[int]],
    ):
        self.node_names = tuple(node_names)
        self.plugins = tuple(plugins)  # (name, weight), in profile order
        self.raw = raw
        self.normalized = normalized
        totals = [0] * len(self.node_names)
        for (_, weight), column in zip(self.plugins, normalized, strict=True):
            totals = [total + weight * score for total, score in zip(totals, column, strict=True)]
        self.totals = totals

    def row(self, index: int) -> tuple[ScoreResult, ...]:
        return tuple(
            ScoreResult(name, raw[index], normalized[index], weight)
            for (name, weight), raw, normalized in zip(
                self.plugins, self.raw, self.normalized, strict=True
            )
        )


class PreFilterPlugin(Protocol):
    name: str

    def pre_filter(self, state: CycleState, pod: dict) -> PreFilterResult:
        """Once per pod, before any node: may narrow the candidates or write to state."""
        ...


class FilterPlugin(Protocol):
    name: str

    def filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> FilterResult: ...


# What a PreScore plugin returns when its Score has nothing to say about this pod
# (upstream's Skip status): the plugin is left out of the decision's scores.
SKIP = "Skip"


class PreScorePlugin(Protocol):
    name: str

    def pre_score(
        self,
        state: CycleState,
        pod: dict,
        feasible: Sequence[NodeInfo],
        all_node_infos: Sequence[NodeInfo],
    ) -> str | None:
        """Once per pod, before scoring: write what score reads at each node to state.

        all_node_infos (the whole snapshot) stands in for upstream's
        handle.SnapshotSharedLister(), which ImageLocality reads. Returns SKIP when
        the plugin's score has nothing to rank for this pod, else None.
        """
        ...


class ScorePlugin(Protocol):
    name: str

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        """A raw score for a feasible node."""
        ...


@runtime_checkable
class ScoreNormalizer(Protocol):
    """Optional for score plugins whose raw scores are not already 0..100."""

    def normalize(self, scores: list[int]) -> list[int]: ...


@runtime_checkable
class StatefulScoreNormalizer(Protocol):
    """For score plugins whose normalization reads what their PreScore wrote
    (upstream's NormalizeScore gets the CycleState and the node names)."""

    def normalize_node_scores(
        self, state: CycleState, node_names: Sequence[str], scores: list[int]
    ) -> list[int]: ...


_passed = attrgetter("passed")


@dataclass(slots=True)
class NodeDecision:
    """What the filters said about one node and, if it passed them all, how it scored
    (its row of the decision's ScoreTable).

    Not frozen, unlike the rest of a decision: schedule_pod makes one per node it
    looks at (hundreds on a big cluster) and gives the feasible ones their scores
    in place, which a frozen dataclass would make cost a copy of each.
    """

    node_name: str
    filters: tuple[FilterResult, ...]
    score_table: ScoreTable | None = field(default=None, repr=False, compare=False)
    score_index: int = -1
    feasible: bool = field(init=False)
    total_score: int = field(init=False)

    def __post_init__(self) -> None:
        # Worked out once: a decision over many nodes asks both of every node more than once.
        self.feasible = all(map(_passed, self.filters))
        table = self.score_table
        self.total_score = table.totals[self.score_index] if table else 0

    @property
    def scores(self) -> tuple[ScoreResult, ...]:
        table = self.score_table
        return table.row(self.score_index) if table else ()

    def set_scores(self, table: ScoreTable, index: int) -> None:
        """Give a feasible node its row of the decision's scores, while the decision is made."""
        self.score_table, self.score_index = table, index
        self.total_score = table.totals[index]

    @property
    def failure(self) -> FilterResult | None:
        """The first failing filter: upstream stops there, so only its reasons are reported."""
        return next((f for f in self.filters if not f.passed), None)

    def as_dict(self) -> dict:
        failure = self.failure
        return {
            "node_name": self.node_name,
            "feasible": self.feasible,
            "reported_reasons": list(failure.reasons) if failure else [],
            "total_score": self.total_score,
            "filters": [f.as_dict() for f in self.filters],
            "scores": [s.as_dict() for s in self.scores],
        }


@dataclass(frozen=True)
class SchedulingDecision:
    """Where one pod goes and why, or why it stays pending.

    nodes holds every node the scheduler looked at, in the snapshot's order:
    each node the filters ran on, and each node a PreFilter ruled out. On a
    big cluster kube-scheduler stops filtering once it has found enough
    feasible nodes (percentageOfNodesToScore), so evaluated_nodes can be
    fewer than total_nodes; a pod that fits nowhere is checked against all.
    """

    pod_namespace: str
    pod_name: str
    pod_uid: str
    node_name: str | None
    nodes: tuple[NodeDecision, ...]
    message: str = ""  # the FailedScheduling message when node_name is None
    tied_nodes: tuple[str, ...] = ()  # the best-scored nodes the pick was made among
    outcome: str = ""  # what scheduler_tick did with it, one of the OUTCOME_* values
    total_nodes: int = 0  # the nodes in the snapshot
    # Upstream's ScheduleResult.EvaluatedNodes: the nodes the filters ran on.
    evaluated_nodes: int = 0

    @cached_property
    def feasible_nodes(self) -> tuple[NodeDecision, ...]:
        return tuple(d for d in self.nodes if d.feasible)

    @property
    def summary(self) -> str:
        if self.node_name is None:
            return self.message
        feasible = self.feasible_nodes
        if len(feasible) == 1:
            return f"{self.node_name} is the only node that passed every filter."
        best = next(d for d in feasible if d.node_name == self.node_name).total_score
        summary = (
            f"{self.node_name} has the highest total score ({best}) "
            f"of {len(feasible)} nodes that passed every filter."
        )
        if self.evaluated_nodes < self.total_nodes:
            summary += (
                f" The scheduler stopped looking once it had found that many"
                f" (percentageOfNodesToScore): it evaluated {self.evaluated_nodes}"
                f" of the {self.total_nodes} nodes."
            )
        if len(self.tied_nodes) > MAX_TIED_NODES_NAMED:
            summary += (
                f" It was picked at random among {len(self.tied_nodes)} nodes with that score."
            )
        elif len(self.tied_nodes) > 1:
            summary += f" It was picked at random among {', '.join(self.tied_nodes)}."
        if len(feasible) > RECORDED_FEASIBLE_NODES:
            summary += f" The table shows the {RECORDED_FEASIBLE_NODES} best."
        return summary

    def recorded_nodes(self) -> tuple[NodeDecision, ...]:
        """What the record keeps: every node that failed (with why), and the best feasible ones.

        On the lesson's cluster that is every node. On a big one it spares a row
        for each of hundreds of nodes that passed and merely scored lower.
        """
        feasible = self.feasible_nodes
        if len(feasible) <= RECORDED_FEASIBLE_NODES:
            return self.nodes
        # The chosen node first among equals, so the pick is always in the table.
        ranked = sorted(
            feasible, key=lambda d: (-d.total_score, d.node_name != self.node_name, d.node_name)
        )
        kept = {d.node_name for d in ranked[:RECORDED_FEASIBLE_NODES]}
        return tuple(d for d in self.nodes if not d.feasible or d.node_name in kept)

    def as_dict(self) -> dict:
        recorded = self.recorded_nodes()
        feasible = len(self.feasible_nodes)
        return {
            "pod": {"namespace": self.pod_namespace, "name": self.pod_name, "uid": self.pod_uid},
            "node_name": self.node_name,
            "message": self.message,
            "summary": self.summary,
            "tied_nodes": list(self.tied_nodes),
            "outcome": self.outcome,
            "total_nodes": self.total_nodes,
            "evaluated_nodes": self.evaluated_nodes,
            "feasible_nodes": feasible,
            "omitted_feasible_nodes": feasible - sum(d.feasible for d in recorded),
            "nodes": [d.as_dict() for d in recorded],
        }
