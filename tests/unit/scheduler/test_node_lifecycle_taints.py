"""The taints the node lifecycle controller puts on nodes, as the scheduler reads them."""

import random

from cluster.components.controllers.nodelifecycle import desired_no_schedule_taints
from cluster.components.scheduler.scheduler import build_node_infos, schedule_pod

from .builders import make_node, make_pod

NO_PREEMPTION = " preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


def message_for(pod, nodes):
    decision = schedule_pod(pod, build_node_infos(nodes, ()), rng=random.Random(0))
    assert decision.node_name is None
    return decision.message


def test_a_cordoned_node_with_its_taint_is_still_reported_as_unschedulable():
    # NodeUnschedulable runs before TaintToleration, so the cordon gives the reason, as upstream.
    node = make_node(unschedulable=True, taints=[UNSCHEDULABLE_TAINT])
    assert desired_no_schedule_taints(node) == [UNSCHEDULABLE_TAINT]
    assert message_for(make_pod(), [node]) == (
        "0/1 nodes are available: 1 node(s) were unschedulable." + NO_PREEMPTION
    )


def test_a_pod_tolerating_the_unschedulable_taint_lands_on_a_cordoned_node():
    node = make_node(unschedulable=True, taints=[UNSCHEDULABLE_TAINT])
    pod = make_pod(tolerations=[{"key": UNSCHEDULABLE_TAINT["key"], "operator": "Exists"}])
    decision = schedule_pod(pod, build_node_infos([node], ()), rng=random.Random(0))
    assert decision.node_name == "node-1"


def test_an_unreachable_node_is_ruled_out_by_its_noschedule_taint():
    node = make_node("node-2")
    node["status"]["conditions"][0]["status"] = "Unknown"
    taints = desired_no_schedule_taints(node)
    assert taints == [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}]
    node["spec"]["taints"] = taints
    # The default tolerations are for NoExecute only: they do not let a pod be scheduled there.
    pod = make_pod(
        tolerations=[
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            }
        ]
    )
    assert message_for(pod, [node]) == (
        "0/1 nodes are available: 1 node(s) had untolerated taint"
        " {node.kubernetes.io/unreachable: }." + NO_PREEMPTION
    )
