"""InterPodAffinity: required and preferred (anti-)affinity, the existing pods' side too."""

import random

from cluster.components.scheduler.framework import UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE
from cluster.components.scheduler.scheduler import schedule_pod

from .builders import lesson_nodes, make_node, make_pod, node_info

AFFINITY = "node(s) didn't match pod affinity rules"
ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
HOSTNAME = "kubernetes.io/hostname"


def term(key: str = "zone", namespaces: list[str] | None = None, **labels: str) -> dict:
    term = {"labelSelector": {"matchLabels": labels}, "topologyKey": key}
    if namespaces is not None:
        term["namespaces"] = namespaces
    return term


def required(kind: str, *terms: dict) -> dict:
    return {kind: {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}}


def preferred(kind: str, weight: int, term: dict) -> dict:
    return {
        kind: {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": weight, "podAffinityTerm": term}
            ]
        }
    }


def pod(name: str, node: str = "", namespace: str = "default", affinity=None, **labels) -> dict:
    spec = {"affinity": affinity} if affinity else {}
    made = make_pod(name, node_name=node, namespace=namespace, **spec)
    made["metadata"]["labels"] = labels
    return made


def zone_node(name: str, zone: str | None = None) -> dict:
    labels = {"zone": zone} if zone else {}
    return make_node(name, labels=labels)


def failures(decision) -> dict:
    return {
        d.node_name: (d.failure.code, d.failure.reason)
        for d in decision.nodes
        if d.failure is not None and d.failure.plugin == "InterPodAffinity"
    }


def affinity_scores(decision) -> dict:
    return {
        d.node_name: s.score
        for d in decision.nodes
        for s in d.scores
        if s.plugin == "InterPodAffinity"
    }


def decide(incoming: dict, infos):
    return schedule_pod(incoming, infos, rng=random.Random(0))


def test_required_affinity_needs_a_matching_pod_in_the_node_s_domain():
    infos = [
        node_info(zone_node("n1", "a"), pod("db", "n1", app="db")),
        node_info(zone_node("n2", "b")),
        node_info(zone_node("n3", "a")),
        node_info(zone_node("n4")),  # no zone label at all
    ]
    web = pod("web", affinity=required("podAffinity", term(app="db")))
    decision = decide(web, infos)
    assert failures(decision) == {
        "n2": (UNSCHEDULABLE_AND_UNRESOLVABLE, AFFINITY),
        "n4": (UNSCHEDULABLE_AND_UNRESOLVABLE, AFFINITY),
    }


def test_a_matching_pod_in_another_namespace_does_not_count():
    infos = [node_info(zone_node("n1", "a"), pod("db", "n1", namespace="other", app="db"))]
    web = pod("web", affinity=required("podAffinity", term(app="db")))
    assert failures(decide(web, infos)) == {"n1": (UNSCHEDULABLE_AND_UNRESOLVABLE, AFFINITY)}
    named = pod("web", affinity=required("podAffinity", term(namespaces=["other"], app="db")))
    assert failures(decide(named, infos)) == {}


def test_the_first_of_pods_with_affinity_to_each_other_may_go_anywhere_with_the_label():
    infos = [node_info(zone_node("n1", "a")), node_info(zone_node("n2"))]
    first = pod("cache-1", affinity=required("podAffinity", term(app="cache")), app="cache")
    assert failures(decide(first, infos)) == {"n2": (UNSCHEDULABLE_AND_UNRESOLVABLE, AFFINITY)}


def test_required_anti_affinity_keeps_a_pod_off_nodes_with_a_matching_pod():
    infos = [
        node_info(zone_node("n1", "a"), pod("web-1", "n1", app="web")),
        node_info(zone_node("n2", "a")),
    ]
    web = pod("web-2", affinity=required("podAntiAffinity", term(HOSTNAME, app="web")), app="web")
    infos = [node_info(make_node(i.name, labels={HOSTNAME: i.name}), *i.pods) for i in infos]
    decision = decide(web, infos)
    assert failures(decision) == {"n1": (UNSCHEDULABLE, ANTI_AFFINITY)}
    assert decision.node_name == "n2"


def test_an_existing_pod_s_anti_affinity_keeps_the_incoming_pod_away():
    loner = pod("loner", "n1", affinity=required("podAntiAffinity", term(app="web")))
    infos = [
        node_info(zone_node("n1", "a"), loner),
        node_info(zone_node("n2", "a")),
        node_info(zone_node("n3", "b")),
    ]
    decision = decide(pod("web", app="web"), infos)
    assert failures(decision) == {
        "n1": (UNSCHEDULABLE, EXISTING_ANTI_AFFINITY),
        "n2": (UNSCHEDULABLE, EXISTING_ANTI_AFFINITY),
    }
    assert decision.node_name == "n3"


def test_the_third_replica_with_hostname_anti_affinity_is_pending_as_upstream_words_it():
    anti = required("podAntiAffinity", term(HOSTNAME, app="web"))
    nodes = lesson_nodes()
    infos = [
        node_info(nodes[0]),
        node_info(nodes[1], pod("web-1", "node-1", affinity=anti, app="web")),
        node_info(nodes[2], pod("web-2", "node-2", affinity=anti, app="web")),
    ]
    decision = decide(pod("web-3", affinity=anti, app="web"), infos)
    assert decision.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match pod anti-affinity "
        "rules. preemption: 0/3 nodes are available: 1 Preemption is not helpful for "
        "scheduling, 2 No preemption victims found for incoming pod."
    )


def test_preferred_affinity_and_anti_affinity_scale_between_lowest_and_highest():
    infos = [
        node_info(zone_node("n1", "a"), pod("db", "n1", app="db")),
        node_info(zone_node("n2", "b"), pod("cache", "n2", app="cache")),
        node_info(zone_node("n3", "a")),
        node_info(zone_node("n4", "c")),
    ]
    affinity = {
        **preferred("podAffinity", 5, term(app="db")),
        **preferred("podAntiAffinity", 3, term(app="cache")),
    }
    decision = decide(pod("web", affinity=affinity), infos)
    # Raw: zone a +5, zone b -3, zone c 0; then (raw - min) * 100 / (max - min).
    assert affinity_scores(decision) == {"n1": 100, "n2": 0, "n3": 100, "n4": 37}


def test_an_existing_pod_s_required_affinity_draws_the_pods_it_wants():
    wants_web = pod("sidecar", "n1", affinity=required("podAffinity", term(app="web")))
    infos = [node_info(zone_node("n1", "a"), wants_web), node_info(zone_node("n2", "b"))]
    decision = decide(pod("web", app="web"), infos)
    # hardPodAffinityWeight 1 for zone a, nothing for b.
    assert affinity_scores(decision) == {"n1": 100, "n2": 0}
    assert decision.node_name == "n1"


def test_a_pod_with_no_affinity_in_a_cluster_without_any_skips_the_plugin():
    decision = decide(pod("web"), [node_info(zone_node("n1", "a")), node_info(zone_node("n2"))])
    assert affinity_scores(decision) == {}
    assert all(f.passed for d in decision.nodes for f in d.filters)
