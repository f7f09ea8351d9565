"""How many nodes kube-scheduler filters for one pod, and where it starts.

On a big cluster upstream does not filter every node for every pod: it stops
once it has found numFeasibleNodesToFind feasible nodes and scores only
those (percentageOfNodesToScore, pkg/scheduler/schedule_one.go). The default
percentage is adaptive: 50% minus one point per 125 nodes, never under 5%,
and never fewer than 100 nodes, so a cluster of under 100 nodes is always
searched whole (the lesson's three nodes included). Each search starts where
the previous one stopped (nextStartNodeIndex), so every node has the same
chance of being looked at across pods. A pod that fits nowhere is checked
against every node before the search ends, so "why pending" is complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cluster.components.scheduler.framework import CycleState, NodeDecision, NodeInfo
from cluster.components.scheduler.profile import run_filters

# Upstream minFeasibleNodesToFind and minFeasibleNodesPercentageToFind.
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
# KubeSchedulerConfiguration's percentageOfNodesToScore: 0 means the adaptive default.
ADAPTIVE_PERCENTAGE = 0


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int = ADAPTIVE_PERCENTAGE) -> int:
    """Upstream numFeasibleNodesToFind: how many feasible nodes end the search."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage == ADAPTIVE_PERCENTAGE:
        percentage = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(num_all_nodes * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


@dataclass(frozen=True)
class NodeSearch:
    """What the filters said about each node they ran on, in the order they were run."""

    evaluated: tuple[tuple[NodeInfo, NodeDecision], ...]

    @property
    def feasible(self) -> list[NodeInfo]:
        return [info for info, decision in self.evaluated if decision.feasible]


def find_nodes_that_pass_filters(
    state: CycleState,
    pod: dict,
    nodes: Sequence[NodeInfo],
    *,
    start_index: int,
    percentage: int = ADAPTIVE_PERCENTAGE,
) -> NodeSearch:
    """Filter nodes from start_index on, wrapping around, until enough are feasible.

    Upstream filters in parallel and may check a few nodes more than it keeps;
    one at a time, the search stops exactly at the node that made it enough.
    """
    to_find = num_feasible_nodes_to_find(len(nodes), percentage)
    evaluated: list[tuple[NodeInfo, NodeDecision]] = []
    found = 0
    for offset in range(len(nodes)):
        if found == to_find:
            break
        info = nodes[(start_index + offset) % len(nodes)]
        decision = NodeDecision(info.name, run_filters(state, pod, info))
        evaluated.append((info, decision))
        found += decision.feasible
    return NodeSearch(tuple(evaluated))


def next_start_node_index(start_index: int, evaluated: int, num_all_nodes: int) -> int:
    """Where the next pod's search starts: just past the nodes this one evaluated."""
    return (start_index + evaluated) % num_all_nodes if num_all_nodes else 0
