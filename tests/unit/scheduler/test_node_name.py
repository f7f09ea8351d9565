"""NodeName: a pod that names a node fits that node only."""

from cluster.components.scheduler.plugins.node_name import NodeName

from .builders import make_node, make_pod, node_info, run_filter

PLUGIN = NodeName()


def test_a_pod_without_a_node_name_fits_any_node():
    assert run_filter(PLUGIN, make_pod(), node_info(make_node("node-1"))).passed


def test_the_named_node_passes():
    assert run_filter(PLUGIN, make_pod(nodeName="node-1"), node_info(make_node("node-1"))).passed


def test_another_node_is_rejected_with_upstreams_reason():
    result = run_filter(PLUGIN, make_pod(nodeName="node-2"), node_info(make_node("node-1")))
    assert not result.passed
    assert result.reason == "node(s) didn't match the requested node name"
