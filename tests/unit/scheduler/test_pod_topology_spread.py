"""PodTopologySpread: upstream's filter and score on fixed clusters, and its system defaults."""

import random

from cluster.components.scheduler.framework import UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE
from cluster.components.scheduler.listers import ApiListers
from cluster.components.scheduler.scheduler import schedule_pod
from tests.unit.fakes import FakeClusterApi

from .builders import make_node, make_pod, node_info

MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)"
SKEWED = "node(s) didn't match pod topology spread constraints"


def labelled(pod: dict, **labels: str) -> dict:
    pod["metadata"]["labels"] = labels
    return pod


def zone_node(name: str, zone: str | None) -> dict:
    labels = {"kubernetes.io/hostname": name}
    if zone is not None:
        labels["zone"] = zone
    return make_node(name, labels=labels)


def spread(key: str, max_skew: int = 1, when: str = "DoNotSchedule", **extra) -> dict:
    return {
        "maxSkew": max_skew,
        "topologyKey": key,
        "whenUnsatisfiable": when,
        "labelSelector": {"matchExpressions": [{"key": "foo", "operator": "Exists"}]},
        **extra,
    }


def bound(name: str, node: str, **labels: str) -> dict:
    return labelled(make_pod(name, node_name=node), **labels)


def failures(decision) -> dict:
    return {
        d.node_name: (d.failure.plugin, d.failure.code, d.failure.reason)
        for d in decision.nodes
        if d.failure is not None
    }


def spread_scores(decision) -> dict:
    return {
        d.node_name: s.score
        for d in decision.nodes
        for s in d.scores
        if s.plugin == "PodTopologySpread"
    }


def zones_2_1_cluster():
    """Upstream's "spreading pods across zones as 2/1": zone1 has 2 matching pods."""
    return [
        node_info(zone_node("node-a", "zone1"), bound("p-a1", "node-a", foo="")),
        node_info(zone_node("node-b", "zone1"), bound("p-b1", "node-b", foo="")),
        node_info(zone_node("node-x", "zone2")),
        node_info(zone_node("node-y", "zone2")),
    ]


def test_a_pod_goes_only_where_the_skew_stays_within_max_skew():
    pod = labelled(make_pod("p", topologySpreadConstraints=[spread("zone")]), foo="")
    decision = schedule_pod(pod, zones_2_1_cluster(), rng=random.Random(0))
    assert failures(decision) == {
        "node-a": ("PodTopologySpread", UNSCHEDULABLE, SKEWED),
        "node-b": ("PodTopologySpread", UNSCHEDULABLE, SKEWED),
    }
    assert decision.node_name in {"node-x", "node-y"}


def test_a_pod_that_does_not_match_its_own_selector_adds_no_skew():
    pod = make_pod("p", topologySpreadConstraints=[spread("zone", max_skew=2)])
    decision = schedule_pod(pod, zones_2_1_cluster(), rng=random.Random(0))
    assert failures(decision) == {}  # 2 + 0 - 0 <= 2 everywhere


def test_a_node_without_the_topology_label_cannot_take_the_pod():
    infos = [node_info(zone_node("node-a", "zone1")), node_info(zone_node("node-b", None))]
    pod = labelled(make_pod("p", topologySpreadConstraints=[spread("zone")]), foo="")
    decision = schedule_pod(pod, infos, rng=random.Random(0))
    assert failures(decision) == {
        "node-b": ("PodTopologySpread", UNSCHEDULABLE_AND_UNRESOLVABLE, MISSING_LABEL)
    }
    assert decision.node_name == "node-a"


def test_min_domains_counts_the_global_minimum_as_zero_while_domains_are_missing():
    infos = [
        node_info(zone_node("node-a", "zone1"), bound("p-a1", "node-a", foo="")),
        node_info(zone_node("node-x", "zone2"), bound("p-x1", "node-x", foo="")),
    ]
    pod = labelled(make_pod("p", topologySpreadConstraints=[spread("zone", minDomains=3)]), foo="")
    decision = schedule_pod(pod, infos, rng=random.Random(0))
    assert decision.node_name is None
    assert decision.message.startswith(f"0/2 nodes are available: 2 {SKEWED}.")


def test_nodes_the_pod_cannot_go_to_do_not_count_their_pods():
    """nodeAffinityPolicy Honor: zone1's pods are on nodes the pod's nodeSelector excludes."""
    infos = [
        node_info(
            make_node("node-a", labels={"zone": "zone1"}),
            bound("p-a1", "node-a", foo=""),
            bound("p-a2", "node-a", foo=""),
        ),
        node_info(make_node("node-x", labels={"zone": "zone2", "ssd": "yes"})),
        node_info(make_node("node-y", labels={"zone": "zone3", "ssd": "yes"})),
    ]
    pod = labelled(
        make_pod("p", topologySpreadConstraints=[spread("zone")], nodeSelector={"ssd": "yes"}),
        foo="",
    )
    decision = schedule_pod(pod, infos, rng=random.Random(0))
    assert failures(decision)["node-a"][0] == "NodeAffinity"
    assert decision.node_name in {"node-x", "node-y"}


def test_scores_favour_the_node_with_fewest_matching_pods():
    infos = [
        node_info(
            zone_node("node-a", "zone1"),
            bound("p-a1", "node-a", foo=""),
            bound("p-a2", "node-a", foo=""),
        ),
        node_info(zone_node("node-b", "zone1"), bound("p-b1", "node-b", foo="")),
        node_info(zone_node("node-c", "zone1")),
    ]
    soft = spread("kubernetes.io/hostname", when="ScheduleAnyway")
    pod = labelled(make_pod("p", topologySpreadConstraints=[soft]), foo="")
    decision = schedule_pod(pod, infos, rng=random.Random(0))
    # Raw: count * log(3 + 2) + (maxSkew - 1): 3.2 -> 3, 1.6 -> 2, 0. Then
    # 100 * (max + min - raw) / max.
    raw = {d.node_name: s.raw_score for d in decision.nodes for s in d.scores if s.weight == 2}
    assert raw == {"node-a": 3, "node-b": 2, "node-c": 0}
    assert spread_scores(decision) == {"node-a": 0, "node-b": 33, "node-c": 100}
    assert decision.node_name == "node-c"


def replica_set(name: str = "web-7d4b9c", app: str = "web") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": "default", "uid": "rs-uid"},
        "spec": {"selector": {"matchLabels": {"app": app}}},
    }


def replica(name: str, node: str = "") -> dict:
    pod = labelled(make_pod(name, node_name=node), app="web")
    pod["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web-7d4b9c",
            "uid": "rs-uid",
            "controller": True,
        }
    ]
    return pod


def two_nodes_one_crowded():
    return [
        node_info(
            zone_node("node-1", None), replica("web-1", "node-1"), replica("web-2", "node-1")
        ),
        node_info(zone_node("node-2", None)),
    ]


def test_a_replica_set_s_pods_spread_by_the_system_default_constraints():
    api = FakeClusterApi()
    api.put("replicasets", replica_set())
    decision = schedule_pod(
        replica("web-3"), two_nodes_one_crowded(), rng=random.Random(0), listers=ApiListers(api)
    )
    # Hostname maxSkew 3: 2 * log(2 + 2) + 2 -> 5 and 0 + 2 = 2; the zone constraint is left
    # out at nodes without the zone label (the defaults do not require every label). Then
    # 100 * (max + min - raw) / max: 100 * 2 / 5 = 40 and 100.
    assert spread_scores(decision) == {"node-1": 40, "node-2": 100}
    assert decision.node_name == "node-2"


def test_without_the_owner_served_there_are_no_default_constraints():
    api = FakeClusterApi()
    api.unserved |= {"replicasets", "replicationcontrollers", "statefulsets", "services"}
    decision = schedule_pod(
        replica("web-3"), two_nodes_one_crowded(), rng=random.Random(0), listers=ApiListers(api)
    )
    assert spread_scores(decision) == {}  # PreScore said Skip: not in the scores
    assert ("list", "replicasets", "") in api.calls


def test_a_service_selecting_the_pod_gives_the_default_selector():
    api = FakeClusterApi()
    api.put(
        "services",
        {"metadata": {"name": "web", "namespace": "default"}, "spec": {"selector": {"app": "web"}}},
    )
    pod = labelled(make_pod("web-3"), app="web")
    decision = schedule_pod(
        pod, two_nodes_one_crowded(), rng=random.Random(0), listers=ApiListers(api)
    )
    assert spread_scores(decision) == {"node-1": 40, "node-2": 100}
