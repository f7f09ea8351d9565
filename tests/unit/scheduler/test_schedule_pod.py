"""schedule_pod, on the lesson's cluster: filter, score, pick."""

import json
import random

import pytest

from cluster.components.scheduler import requests
from cluster.components.scheduler.scheduler import build_node_infos, schedule_pod

from .builders import CONTROL_PLANE_TAINT_REASON, lesson_nodes, make_node, make_pod


def decide(pod, nodes=None, pods=(), seed=0):
    infos = build_node_infos(lesson_nodes() if nodes is None else nodes, pods)
    return schedule_pod(pod, infos, rng=random.Random(seed))


def test_a_plain_pod_never_lands_on_the_control_plane():
    chosen = {decide(make_pod(), seed=seed).node_name for seed in range(30)}
    assert chosen == {"node-1", "node-2"}


def test_the_control_plane_is_rejected_by_its_taint_and_the_record_says_so():
    decision = decide(make_pod())
    control_plane = next(d for d in decision.nodes if d.node_name == "control-plane")
    assert not control_plane.feasible
    assert control_plane.failure.plugin == "TaintToleration"
    assert control_plane.failure.reason == CONTROL_PLANE_TAINT_REASON
    assert control_plane.scores == ()


def test_every_filter_is_recorded_for_every_node():
    decision = decide(make_pod())
    plugins = [f.plugin for f in decision.nodes[0].filters]
    assert plugins == [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "PodTopologySpread",
        "InterPodAffinity",
    ]
    assert all(len(d.filters) == 8 for d in decision.nodes)


def test_the_worker_with_more_room_wins():
    busy = make_pod("busy", node_name="node-1", cpu="1", memory="1Gi")
    decision = decide(make_pod(cpu="500m", memory="512Mi"), pods=[busy])
    assert decision.node_name == "node-2"
    by_name = {d.node_name: d for d in decision.nodes}
    assert by_name["node-2"].total_score > by_name["node-1"].total_score
    assert decision.tied_nodes == ("node-2",)


def test_scores_carry_upstream_weights():
    decision = decide(make_pod(cpu="500m", memory="1Gi"))
    node = next(d for d in decision.nodes if d.node_name == "node-1")
    weights = {s.plugin: s.weight for s in node.scores}
    assert weights == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }
    # 2-cpu/4Gi empty node, pod 500m/1Gi: taints 100*3, affinity 0*2,
    # LeastAllocated (75+75)/2 = 75, balanced 1 - |0.25-0.25|/2 -> 100, image 0.
    assert node.total_score == 300 + 0 + 75 + 100 + 0


def test_ties_are_broken_by_the_seeded_random_source():
    first = decide(make_pod(), seed=7)
    again = decide(make_pod(), seed=7)
    assert first.tied_nodes == ("node-1", "node-2")
    assert first.node_name == again.node_name
    assert {decide(make_pod(), seed=seed).node_name for seed in range(30)} == {"node-1", "node-2"}


def test_a_pod_too_big_for_every_node_stays_pending_with_upstreams_message():
    decision = decide(make_pod(cpu="4"))
    assert decision.node_name is None
    assert decision.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    assert decision.summary == decision.message


def test_the_only_feasible_node_is_taken_without_scoring():
    decision = decide(make_pod(nodeSelector={"kubernetes.io/hostname": "node-2"}))
    assert decision.node_name == "node-2"
    assert all(d.scores == () for d in decision.nodes)
    assert decision.summary == "node-2 is the only node that passed every filter."


def test_prefer_no_schedule_taints_steer_the_pod_away():
    nodes = [
        make_node("node-1", taints=[{"key": "spot", "effect": "PreferNoSchedule"}]),
        make_node("node-2"),
    ]
    assert {decide(make_pod(), nodes, seed=seed).node_name for seed in range(10)} == {"node-2"}


def test_the_record_is_json_serialisable():
    record = decide(make_pod(cpu="100m")).as_dict()
    assert json.loads(json.dumps(record)) == record
    assert record["pod"] == {"namespace": "default", "name": "web", "uid": "uid-default-web"}
    assert record["nodes"][0]["filters"][2] == {
        "plugin": "TaintToleration",
        "passed": False,
        "code": "UnschedulableAndUnresolvable",
        "reason": CONTROL_PLANE_TAINT_REASON,
        "reasons": [CONTROL_PLANE_TAINT_REASON],
    }
    assert record["summary"].startswith(record["node_name"] + " has the highest total score")


@pytest.mark.parametrize("node_count", [3, 200])
def test_the_pods_requests_are_added_up_once_per_decision_not_per_node(monkeypatch, node_count):
    nodes = [make_node(f"node-{i}") for i in range(node_count)]
    infos = build_node_infos(nodes, [make_pod("busy", cpu="1", node_name="node-1")])
    counted = []
    count_each = requests._container_requests

    def counting(container, non_zero):
        counted.append(non_zero)
        return count_each(container, non_zero)

    monkeypatch.setattr(requests, "_container_requests", counting)
    decision = schedule_pod(make_pod(cpu="100m"), infos, rng=random.Random(0))
    assert len(decision.feasible_nodes) > 1  # it filtered and scored
    # NodeResourcesFit's PreFilter and PreScore, NodeResourcesBalancedAllocation's PreScore.
    assert sorted(counted) == [False, False, True]


def test_the_lessons_record_keeps_every_node_and_every_plugin():
    record = decide(make_pod(cpu="100m")).as_dict()
    assert [n["node_name"] for n in record["nodes"]] == ["control-plane", "node-1", "node-2"]
    assert all(len(n["filters"]) == 8 for n in record["nodes"])
    # PodTopologySpread and InterPodAffinity have nothing to rank for a pod that no
    # controller owns and that has no affinity: their PreScore says Skip, as upstream's.
    assert all(len(n["scores"]) == 5 for n in record["nodes"] if n["feasible"])
    assert record["omitted_feasible_nodes"] == 0
    assert (record["total_nodes"], record["evaluated_nodes"], record["feasible_nodes"]) == (3, 3, 2)


def test_a_big_clusters_record_keeps_why_each_node_failed_and_the_best_scored():
    nodes = [make_node(f"full-{i}", pods="0") for i in range(5)]
    nodes += [make_node(f"node-{i:02d}") for i in range(40)]
    busy = [make_pod(f"busy-{i}", cpu="500m", node_name=f"node-{i:02d}") for i in range(20, 40)]
    decision = decide(make_pod(cpu="100m"), nodes, busy)
    record = decision.as_dict()
    kept = {n["node_name"]: n for n in record["nodes"]}
    assert {name for name, n in kept.items() if not n["feasible"]} == {
        f"full-{i}" for i in range(5)
    }
    assert all(kept[f"full-{i}"]["reported_reasons"] == ["Too many pods"] for i in range(5))
    best = [name for name, n in kept.items() if n["feasible"]]
    assert len(best) == 10 and decision.node_name in best
    # The busy nodes score lower, so none of them makes the table.
    assert set(best) <= {f"node-{i:02d}" for i in range(20)}
    assert record["omitted_feasible_nodes"] == 30
    assert record["feasible_nodes"] == 40
    assert "The table shows the 10 best." in record["summary"]
