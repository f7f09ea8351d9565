"""The FailedScheduling message, word for word as kube-scheduler 1.32 writes it."""

import random

from cluster.components.scheduler.failure_message import fit_error_message
from cluster.components.scheduler.scheduler import build_node_infos, schedule_pod

from .builders import CONTROL_PLANE_TAINT_REASON, lesson_nodes, make_node, make_pod


def message_for(pod, nodes, pods=()):
    decision = schedule_pod(pod, build_node_infos(nodes, pods), rng=random.Random(0))
    assert decision.node_name is None
    return decision.message


def test_reasons_are_counted_sorted_and_joined():
    message = fit_error_message(
        3, [[CONTROL_PLANE_TAINT_REASON], ["Insufficient cpu"], ["Insufficient cpu"]]
    )
    assert message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."
    )


def test_a_node_with_several_shortages_counts_once_for_each():
    message = fit_error_message(
        2, [["Insufficient cpu", "Insufficient memory"], ["Insufficient cpu"]]
    )
    # Sorted as whole strings, so the count decides first: "1 Insufficient memory" < "2 ...".
    assert message == "0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu."


def test_counts_sort_as_text_like_upstream():
    reasons = [["node(s) were unschedulable"]] * 2 + [["Insufficient cpu"]] * 10
    assert fit_error_message(12, reasons) == (
        "0/12 nodes are available: 10 Insufficient cpu, 2 node(s) were unschedulable."
    )


def test_the_lessons_cluster_with_a_pod_too_big_for_every_node():
    message = message_for(make_pod(cpu="4"), lesson_nodes())
    assert message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )


def test_a_single_node():
    message = message_for(make_pod(cpu="4"), [make_node("node-1")])
    assert message == (
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )


def test_all_nodes_full():
    nodes = [make_node("node-1", pods="1"), make_node("node-2", pods="1")]
    running = [make_pod("a", node_name="node-1"), make_pod("b", node_name="node-2")]
    assert message_for(make_pod(), nodes, running) == (
        "0/2 nodes are available: 2 Too many pods. "
        "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
    )


def test_mixed_unresolvable_reasons():
    nodes = [
        make_node("node-1", unschedulable=True),
        make_node("node-2", labels={"disk": "hdd"}),
        make_node("node-3", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoExecute"}]),
    ]
    assert message_for(make_pod(nodeSelector={"disk": "ssd"}), nodes) == (
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


def test_only_the_first_failing_plugin_is_reported_for_a_node():
    # The control plane is also too small, but its taint is what upstream reports.
    nodes = [make_node("control-plane", control_plane=True, cpu="1")]
    assert message_for(make_pod(cpu="2"), nodes) == (
        f"0/1 nodes are available: 1 {CONTROL_PLANE_TAINT_REASON}. "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )


def test_no_nodes_at_all():
    decision = schedule_pod(make_pod(), [], rng=random.Random(0))
    assert decision.node_name is None
    assert decision.message == "no nodes available to schedule pods"


def test_host_port_conflicts_are_resolvable_by_preemption():
    holder = make_pod("holder", node_name="node-1")
    holder["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 80}]
    pod = make_pod()
    pod["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 80}]
    assert message_for(pod, [make_node("node-1")], [holder]) == (
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    )


def test_victims_that_would_not_free_enough_leave_the_filters_reason():
    low = make_pod("low", node_name="node-1", cpu="500m", priority=0)
    pod = make_pod(cpu="4", priority=1000)
    assert message_for(pod, [make_node("node-1")], [low]) == (
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: 0/1 nodes are available: 1 Insufficient cpu."
    )


def test_no_preemption_part_when_evicting_would_make_room():
    low = make_pod("low", node_name="node-1", cpu="1500m", priority=0)
    pod = make_pod(cpu="1", priority=1000)
    assert message_for(pod, [make_node("node-1")], [low]) == (
        "0/1 nodes are available: 1 Insufficient cpu."
    )


def test_a_pod_that_never_preempts():
    pod = make_pod(cpu="4", preemptionPolicy="Never")
    assert message_for(pod, [make_node("node-1")]) == (
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: not eligible due to preemptionPolicy=Never."
    )


def test_a_pod_pinned_by_match_fields_like_a_daemon_set_pod():
    pinned = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchFields": [
                            {"key": "metadata.name", "operator": "In", "values": ["node-1"]}
                        ]
                    }
                ]
            }
        }
    }
    nodes = [make_node("node-1", cpu="1"), make_node("node-2"), make_node("node-3")]
    assert message_for(make_pod(cpu="2", affinity=pinned), nodes) == (
        "0/3 nodes are available: 1 Insufficient cpu, "
        "2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling."
    )


def test_conflicting_match_fields_terms():
    conflicting = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchFields": [
                            {"key": "metadata.name", "operator": "In", "values": ["node-1"]},
                            {"key": "metadata.name", "operator": "In", "values": ["node-2"]},
                        ]
                    }
                ]
            }
        }
    }
    nodes = [make_node("node-1"), make_node("node-2")]
    assert message_for(make_pod(affinity=conflicting), nodes) == (
        "0/2 nodes are available: pod affinity terms conflict. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )
