"""NodeUnschedulable: cordoned nodes take no new pods, unless the pod tolerates the cordon."""

from cluster.components.scheduler.framework import UNSCHEDULABLE_AND_UNRESOLVABLE
from cluster.components.scheduler.plugins.node_unschedulable import NodeUnschedulable

from .builders import make_node, make_pod, node_info, run_filter

PLUGIN = NodeUnschedulable()


def test_a_schedulable_node_passes():
    assert run_filter(PLUGIN, make_pod(), node_info(make_node())).passed


def test_a_cordoned_node_is_rejected_with_upstreams_reason():
    result = run_filter(PLUGIN, make_pod(), node_info(make_node(unschedulable=True)))
    assert not result.passed
    assert result.reason == "node(s) were unschedulable"
    assert result.code == UNSCHEDULABLE_AND_UNRESOLVABLE


def test_a_pod_tolerating_the_unschedulable_taint_may_land_on_a_cordoned_node():
    pod = make_pod(
        tolerations=[
            {
                "key": "node.kubernetes.io/unschedulable",
                "operator": "Exists",
                "effect": "NoSchedule",
            }
        ]
    )
    assert run_filter(PLUGIN, pod, node_info(make_node(unschedulable=True))).passed


def test_a_toleration_for_another_effect_does_not_count():
    pod = make_pod(
        tolerations=[
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoExecute"}
        ]
    )
    assert not run_filter(PLUGIN, pod, node_info(make_node(unschedulable=True))).passed
