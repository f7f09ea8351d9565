"""NodePorts: a host port can be bound by one pod per node (and per address)."""

from cluster.components.scheduler.framework import UNSCHEDULABLE, CycleState
from cluster.components.scheduler.plugins.node_ports import NodePorts

from .builders import make_node, make_pod, node_info, run_filter

PLUGIN = NodePorts()


def with_host_port(pod, port, *, ip="", protocol=""):
    spec = {"containerPort": 80, "hostPort": port}
    if ip:
        spec["hostIP"] = ip
    if protocol:
        spec["protocol"] = protocol
    pod["spec"]["containers"][0]["ports"] = [spec]
    return pod


def node_using(port, **options):
    return node_info(
        make_node(), with_host_port(make_pod("holder", node_name="node-1"), port, **options)
    )


def test_a_pod_without_host_ports_always_passes():
    assert run_filter(PLUGIN, make_pod(), node_using(8080)).passed


def test_for_a_pod_without_host_ports_the_filter_is_skipped_as_upstream_skips_it():
    assert PLUGIN.pre_filter(CycleState(), make_pod()).skip
    assert not PLUGIN.pre_filter(CycleState(), with_host_port(make_pod(), 8080)).skip


def test_a_free_port_passes():
    assert run_filter(PLUGIN, with_host_port(make_pod(), 9090), node_using(8080)).passed


def test_a_taken_port_is_rejected_with_upstreams_reason():
    result = run_filter(PLUGIN, with_host_port(make_pod(), 8080), node_using(8080))
    assert not result.passed
    assert result.reason == "node(s) didn't have free ports for the requested pod ports"
    assert result.code == UNSCHEDULABLE  # evicting the holder would free it


def test_same_port_on_another_protocol_is_free():
    pod = with_host_port(make_pod(), 8080, protocol="UDP")
    assert run_filter(PLUGIN, pod, node_using(8080)).passed


def test_different_specific_addresses_do_not_clash():
    pod = with_host_port(make_pod(), 8080, ip="10.0.0.2")
    assert run_filter(PLUGIN, pod, node_using(8080, ip="10.0.0.1")).passed


def test_all_addresses_clash_with_a_specific_one_both_ways():
    specific = with_host_port(make_pod(), 8080, ip="10.0.0.2")
    assert not run_filter(PLUGIN, specific, node_using(8080)).passed
    everywhere = with_host_port(make_pod(), 8080)
    assert not run_filter(PLUGIN, everywhere, node_using(8080, ip="10.0.0.1")).passed
