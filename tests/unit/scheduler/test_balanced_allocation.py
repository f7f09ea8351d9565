"""NodeResourcesBalancedAllocation: 100 minus the spread of cpu and memory fractions."""

from cluster.components.scheduler.plugins.node_resources_balanced_allocation import (
    NodeResourcesBalancedAllocation,
    balanced_score,
)

from .builders import make_node, make_pod, node_info, run_score

PLUGIN = NodeResourcesBalancedAllocation()


def test_equal_fractions_score_100():
    info = node_info(make_node(cpu="2", memory="4Gi"))
    assert run_score(PLUGIN, make_pod(cpu="1", memory="2Gi"), info, [info]) == 100


def test_the_score_is_one_minus_half_the_difference_of_the_fractions():
    # cpu 500m/2 = 0.25, memory 2Gi/4Gi = 0.5: std = 0.125, score = 87.5 -> 87.
    info = node_info(make_node(cpu="2", memory="4Gi"))
    assert run_score(PLUGIN, make_pod(cpu="500m", memory="2Gi"), info, [info]) == 87


def test_pods_already_on_the_node_count_with_their_real_requests():
    # 1 cpu already used + 1 cpu incoming = 1.0 of cpu; memory 0: std = 0.5, score 50.
    running = make_pod("a", node_name="node-1", cpu="1")
    info = node_info(make_node(cpu="2", memory="4Gi"), running)
    assert run_score(PLUGIN, make_pod(cpu="1"), info, [info]) == 50


def test_a_pod_without_requests_adds_nothing():
    running = make_pod("a", node_name="node-1", cpu="500m")
    info = node_info(make_node(cpu="2", memory="4Gi"), running)
    # cpu 0.25, memory 0: std 0.125 -> 87, the incoming pod counted as zero.
    assert run_score(PLUGIN, make_pod(), info, [info]) == 87


def test_fractions_are_capped_at_one():
    assert balanced_score([1.0, 0.0]) == 50
    assert balanced_score([min(3.0, 1.0), 1.0]) == 100
