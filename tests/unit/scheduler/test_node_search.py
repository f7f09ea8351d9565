"""percentageOfNodesToScore: how many nodes one pod's search filters, and where it starts."""

import random

import pytest

from cluster.components.scheduler.node_search import (
    next_start_node_index,
    num_feasible_nodes_to_find,
)
from cluster.components.scheduler.scheduler import build_node_infos, schedule_pod

from .builders import lesson_nodes, make_node, make_pod


def cluster(size, **node_options):
    return build_node_infos([make_node(f"node-{i:04d}", **node_options) for i in range(size)], [])


@pytest.mark.parametrize(
    ("nodes", "to_find"),
    [
        (3, 3),  # under 100 nodes every node is searched
        (99, 99),
        (100, 100),  # 50% of 100 is 50, but never fewer than 100
        (199, 100),
        (250, 120),  # 50 - 250/125 = 48%
        (1000, 420),  # 50 - 8 = 42%
        (5000, 500),  # 50 - 40 = 10%
        (6000, 300),  # 50 - 48 = 2%, raised to the 5% floor
    ],
)
def test_the_adaptive_default_matches_upstream(nodes, to_find):
    assert num_feasible_nodes_to_find(nodes) == to_find


def test_a_configured_percentage_replaces_the_adaptive_one_but_not_the_floor():
    assert num_feasible_nodes_to_find(1000, percentage=70) == 700
    assert num_feasible_nodes_to_find(1000, percentage=1) == 100


def test_on_a_big_cluster_the_search_stops_once_enough_nodes_are_feasible():
    decision = schedule_pod(make_pod(), cluster(1000), rng=random.Random(0))
    assert decision.total_nodes == 1000
    assert decision.evaluated_nodes == 420
    assert len(decision.nodes) == 420
    assert len(decision.feasible_nodes) == 420
    assert "it evaluated 420 of the 1000 nodes" in decision.summary


def test_nodes_that_fail_do_not_count_towards_enough():
    nodes = [make_node(f"full-{i:03d}", pods="0") for i in range(300)]
    nodes += [make_node(f"node-{i:03d}") for i in range(700)]
    decision = schedule_pod(make_pod(), build_node_infos(nodes, []), rng=random.Random(0))
    assert decision.evaluated_nodes == 300 + 420
    assert len(decision.feasible_nodes) == 420


def test_a_pod_that_fits_nowhere_is_checked_against_every_node():
    decision = schedule_pod(make_pod(cpu="64"), cluster(1000), rng=random.Random(0))
    assert decision.node_name is None
    assert decision.evaluated_nodes == 1000
    assert decision.message.startswith("0/1000 nodes are available: 1000 Insufficient cpu.")


def test_the_search_starts_at_the_given_index_and_wraps_around():
    decision = schedule_pod(make_pod(), cluster(1000), rng=random.Random(0), start_index=900)
    names = {d.node_name for d in decision.nodes}
    assert names == {f"node-{i:04d}" for i in [*range(900, 1000), *range(320)]}


def test_the_record_lists_nodes_in_the_snapshots_order_whatever_the_start():
    decision = schedule_pod(make_pod(), cluster(1000), rng=random.Random(0), start_index=900)
    names = [d.node_name for d in decision.nodes]
    assert names == sorted(names)


def test_the_next_search_starts_just_past_the_nodes_evaluated():
    assert next_start_node_index(0, 420, 1000) == 420
    assert next_start_node_index(840, 420, 1000) == 260
    # A search that looked at every node starts the next one where it started itself.
    assert next_start_node_index(7, 1000, 1000) == 7
    assert next_start_node_index(0, 0, 0) == 0


def test_the_lessons_cluster_is_searched_whole():
    decision = schedule_pod(make_pod(), build_node_infos(lesson_nodes(), []), rng=random.Random(0))
    assert decision.evaluated_nodes == decision.total_nodes == 3
    assert [d.node_name for d in decision.nodes] == ["control-plane", "node-1", "node-2"]
    assert "evaluated" not in decision.summary
