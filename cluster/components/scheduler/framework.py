"""The scheduler framework's vocabulary: node snapshots, plugin interfaces and results, decisions.

Modelled on kube-scheduler's framework (pkg/scheduler/framework): a pipeline of
small plugins with one interface per stage. Filters say why a node cannot take
the pod; scores rank the nodes that can. A SchedulingDecision keeps every
plugin's answer for every node, so the web page can show "why this node" and
"why pending" from the same record.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cluster.components.scheduler.requests import (
    HostPort,
    Resources,
    host_ports,
    pod_requests,
)
from cluster.quantity import cpu_millis, memory_bytes, parse_quantity

MAX_NODE_SCORE = 100

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


@dataclass
class NodeInfo:
    """One node as the scheduler sees it: the Node, the pods bound to it, and their sums."""

    node: dict = field(repr=False)
    pods: list[dict] = field(default_factory=list, repr=False)
    # What the pods on the node request: filters compare this with allocatable.
    requested: Resources = field(init=False)
    # The same with upstream's non-zero defaults: what LeastAllocated scoring counts.
    non_zero_requested: Resources = field(init=False)
    used_ports: set[HostPort] = field(init=False)
    allocatable: Resources = field(init=False)
    allowed_pod_count: int = field(init=False)
    # Image name (each of status.images[].names) -> size in bytes.
    image_sizes: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
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
        pods, self.pods = self.pods, []
        for pod in pods:
            self.add_pod(pod)

    @property
    def name(self) -> str:
        return self.node["metadata"]["name"]

    @property
    def pod_count(self) -> int:
        return len(self.pods)

    def add_pod(self, pod: dict) -> None:
        self.pods.append(pod)
        self.requested += pod_requests(pod)
        self.non_zero_requested += pod_requests(pod, non_zero=True)
        self.used_ports.update(host_ports(pod))


@dataclass(frozen=True)
class FilterResult:
    """A filter plugin's answer for one node; reasons are upstream's wording."""

    plugin: str
    code: str = SUCCESS
    reasons: tuple[str, ...] = ()

    @classmethod
    def success(cls, plugin: str) -> FilterResult:
        return cls(plugin)

    @classmethod
    def unschedulable(cls, plugin: str, *reasons: str) -> FilterResult:
        """Rejected, but evicting lower-priority pods might make room."""
        return cls(plugin, UNSCHEDULABLE, reasons)

    @classmethod
    def unresolvable(cls, plugin: str, *reasons: str) -> FilterResult:
        """Rejected whatever runs on the node: taints, cordons, selectors."""
        return cls(plugin, UNSCHEDULABLE_AND_UNRESOLVABLE, reasons)

    @property
    def passed(self) -> bool:
        return self.code == SUCCESS

    @property
    def reason(self) -> str:
        return ", ".join(self.reasons)  # as upstream Status.Message() joins them

    def as_dict(self) -> dict:
        return {
            "plugin": self.plugin,
            "passed": self.passed,
            "code": self.code,
            "reason": self.reason,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class PreFilterResult:
    """Upstream's PreFilterResult: None means every node is still a candidate."""

    node_names: frozenset[str] | None = None
    rejection: str = ""  # set when the pod can go nowhere at all


@dataclass(frozen=True)
class ScoreResult:
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


class PreFilterPlugin(Protocol):
    name: str

    def pre_filter(self, pod: dict) -> PreFilterResult: ...


class FilterPlugin(Protocol):
    name: str

    def filter(self, pod: dict, node_info: NodeInfo) -> FilterResult: ...


class ScorePlugin(Protocol):
    name: str

    def score(self, pod: dict, node_info: NodeInfo, all_node_infos: Sequence[NodeInfo]) -> int:
        """A raw score for a feasible node; all_node_infos is the whole cluster snapshot."""
        ...


@runtime_checkable
class ScoreNormalizer(Protocol):
    """Optional for score plugins whose raw scores are not already 0..100."""

    def normalize(self, scores: list[int]) -> list[int]: ...


@dataclass(frozen=True)
class NodeDecision:
    node_name: str
    filters: tuple[FilterResult, ...]
    scores: tuple[ScoreResult, ...] = ()

    @property
    def feasible(self) -> bool:
        return all(f.passed for f in self.filters)

    @property
    def failure(self) -> FilterResult | None:
        """The first failing filter: upstream stops there, so only its reasons are reported."""
        return next((f for f in self.filters if not f.passed), None)

    @property
    def total_score(self) -> int:
        return sum(s.weighted_score for s in self.scores)

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
    """Where one pod goes and why, or why it stays pending."""

    pod_namespace: str
    pod_name: str
    pod_uid: str
    node_name: str | None
    nodes: tuple[NodeDecision, ...]
    message: str = ""  # the FailedScheduling message when node_name is None
    tied_nodes: tuple[str, ...] = ()  # the best-scored nodes the pick was made among
    outcome: str = ""  # what scheduler_tick did with it, one of the OUTCOME_* values

    @property
    def summary(self) -> str:
        if self.node_name is None:
            return self.message
        feasible = [d for d in self.nodes if d.feasible]
        if len(feasible) == 1:
            return f"{self.node_name} is the only node that passed every filter."
        best = next(d for d in self.nodes if d.node_name == self.node_name).total_score
        summary = (
            f"{self.node_name} has the highest total score ({best}) "
            f"of {len(feasible)} nodes that passed every filter."
        )
        if len(self.tied_nodes) > 1:
            summary += f" It was picked at random among {', '.join(self.tied_nodes)}."
        return summary

    def as_dict(self) -> dict:
        return {
            "pod": {"namespace": self.pod_namespace, "name": self.pod_name, "uid": self.pod_uid},
            "node_name": self.node_name,
            "message": self.message,
            "summary": self.summary,
            "tied_nodes": list(self.tied_nodes),
            "outcome": self.outcome,
            "nodes": [d.as_dict() for d in self.nodes],
        }
