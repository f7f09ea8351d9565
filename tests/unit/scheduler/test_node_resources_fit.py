"""NodeResourcesFit: pod slots, cpu and memory requests; LeastAllocated scoring."""

from cluster.components.scheduler.framework import UNSCHEDULABLE
from cluster.components.scheduler.plugins.node_resources_fit import NodeResourcesFit
from cluster.components.scheduler.requests import Resources, pod_requests

from .builders import make_node, make_pod, node_info, run_filter, run_score

PLUGIN = NodeResourcesFit()
GI = 1024**3


def running(name, **requests):
    return make_pod(name, node_name="node-1", **requests)


def test_a_pod_that_fits_passes():
    info = node_info(make_node(cpu="2", memory="4Gi"), running("a", cpu="1", memory="2Gi"))
    assert run_filter(PLUGIN, make_pod(cpu="1", memory="2Gi"), info).passed


def test_not_enough_cpu_left():
    info = node_info(make_node(cpu="2"), running("a", cpu="1500m"))
    result = run_filter(PLUGIN, make_pod(cpu="600m"), info)
    assert result.reasons == ("Insufficient cpu",)
    assert result.code == UNSCHEDULABLE


def test_every_shortage_is_reported_for_one_node():
    info = node_info(make_node(cpu="2", memory="4Gi"))
    result = run_filter(PLUGIN, make_pod(cpu="3", memory="5Gi"), info)
    assert result.reasons == ("Insufficient cpu", "Insufficient memory")
    assert result.reason == "Insufficient cpu, Insufficient memory"


def test_a_full_node_has_too_many_pods_even_for_a_pod_that_requests_nothing():
    info = node_info(make_node(pods="1"), running("a"))
    assert run_filter(PLUGIN, make_pod(), info).reasons == ("Too many pods",)


def test_a_pod_without_requests_fits_an_overcommitted_node():
    info = node_info(make_node(cpu="1"), running("a", cpu="2"))
    assert run_filter(PLUGIN, make_pod(), info).passed


def test_init_containers_set_a_floor_and_sidecars_add_up():
    pod = make_pod(cpu="500m", memory="1Gi")
    pod["spec"]["initContainers"] = [
        {"name": "migrate", "image": "x", "resources": {"requests": {"cpu": "2", "memory": "1Gi"}}},
        {
            "name": "proxy",
            "image": "y",
            "restartPolicy": "Always",
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
        },
    ]
    # max(500m + 100m sidecar, 2 cpu init) = 2 cpu; max(1Gi + 256Mi, 1Gi) memory.
    assert pod_requests(pod) == Resources(2000, GI + 256 * 1024**2)


def test_missing_requests_count_as_upstreams_defaults_only_for_scoring():
    assert pod_requests(make_pod()) == Resources(0, 0)
    assert pod_requests(make_pod(), non_zero=True) == Resources(100, 200 * 1024**2)
    explicit_zero = make_pod(cpu="0", memory="0")
    assert pod_requests(explicit_zero, non_zero=True) == Resources(0, 0)


def test_least_allocated_score_counts_the_incoming_pod():
    # 2 cpu / 4Gi node with 500m / 1Gi used; incoming 500m / 1Gi:
    # cpu (2000-1000)*100/2000 = 50, memory (4Gi-2Gi)*100/4Gi = 50, average 50.
    info = node_info(make_node(cpu="2", memory="4Gi"), running("a", cpu="500m", memory="1Gi"))
    assert run_score(PLUGIN, make_pod(cpu="500m", memory="1Gi"), info, [info]) == 50


def test_least_allocated_score_uses_non_zero_defaults_for_a_pod_without_requests():
    # cpu (2000-100)*100//2000 = 95; memory (4096Mi-200Mi)*100//4096Mi = 95.
    info = node_info(make_node(cpu="2", memory="4Gi"))
    assert run_score(PLUGIN, make_pod(), info, [info]) == 95


def test_least_allocated_score_averages_unevenly_used_resources():
    # cpu (2000-1500)*100/2000 = 25; memory (4Gi-1Gi)*100/4Gi = 75; (25+75)//2 = 50.
    info = node_info(make_node(cpu="2", memory="4Gi"))
    assert run_score(PLUGIN, make_pod(cpu="1500m", memory="1Gi"), info, [info]) == 50
