"""kube-proxy's rules follow the EndpointSlices: ready endpoints, then serving-terminating."""

from __future__ import annotations

import datetime as dt

from cluster.components.kube_proxy import build_rules, kube_proxy_tick, rules_of
from tests.unit.fakes import FakeClock, FakeClusterApi

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def service(**spec) -> dict:
    return {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "clusterIP": "10.96.10.10",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            **spec,
        },
    }


def endpoint(ip: str, *, ready: bool = True, terminating: bool = False, node: str = "node-1"):
    return {
        "addresses": [ip],
        "nodeName": node,
        "conditions": {"ready": ready, "serving": ready or terminating, "terminating": terminating},
    }


def slice_(*endpoints: dict) -> dict:
    return {
        "metadata": {
            "name": "web-abcde",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "web"},
        },
        "addressType": "IPv4",
        "endpoints": list(endpoints),
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    }


def targets(services, slices, node="node-1", kind="ClusterIP") -> tuple:
    [rule] = [r for r in build_rules(services, slices, node) if r.kind == kind]
    return rule.endpoints, rule.source


def test_a_cluster_ip_rule_lists_only_ready_endpoints():
    slices = [slice_(endpoint("10.244.1.5"), endpoint("10.244.2.6", ready=False))]
    [rule] = build_rules([service()], slices, "node-1")
    assert rule.address == "10.96.10.10:80/TCP"
    assert (rule.endpoints, rule.source) == (("10.244.1.5:8080",), "ready")


def test_with_none_ready_serving_terminating_endpoints_are_used():
    slices = [
        slice_(
            endpoint("10.244.1.5", ready=False, terminating=True),
            endpoint("10.244.2.6", ready=False),
        )
    ]
    assert targets([service()], slices) == (("10.244.1.5:8080",), "serving-terminating")


def test_no_usable_endpoint_leaves_the_rule_empty():
    assert targets([service()], [slice_(endpoint("10.244.1.5", ready=False))]) == ((), "none")


def test_internal_traffic_policy_local_keeps_this_nodes_endpoints():
    slices = [slice_(endpoint("10.244.1.5"), endpoint("10.244.2.6", node="node-2"))]
    local = service(internalTrafficPolicy="Local")
    assert targets([local], slices, node="node-2") == (("10.244.2.6:8080",), "ready")


def test_a_node_port_adds_a_rule_on_the_nodes_port():
    node_port = service(type="NodePort")
    node_port["spec"]["ports"][0]["nodePort"] = 30080
    rules = build_rules([node_port], [slice_(endpoint("10.244.1.5"))], "node-1")
    assert [(r.kind, r.address) for r in rules] == [
        ("ClusterIP", "10.96.10.10:80/TCP"),
        ("NodePort", ":30080/TCP"),
    ]


def test_headless_and_external_name_services_get_no_rules():
    headless = service(clusterIP="None")
    external = service(type="ExternalName", externalName="example.com")
    del external["spec"]["clusterIP"]
    assert build_rules([headless, external], [slice_(endpoint("10.244.1.5"))], "node-1") == []


def test_the_tick_follows_readiness_and_syncs_at_most_once_a_second():
    clock = FakeClock(NOW)
    api = FakeClusterApi()
    api.put("services", service())
    api.put("endpointslices", slice_(endpoint("10.244.1.5", ready=False)))
    memory: dict = {}
    kube_proxy_tick(api, clock, "node-1", memory)
    assert rules_of(memory)[0]["endpoints"] == []
    api.put("endpointslices", slice_(endpoint("10.244.1.5")))
    clock.advance(0.5)
    kube_proxy_tick(api, clock, "node-1", memory)  # within minSyncPeriod: put off
    assert rules_of(memory)[0]["endpoints"] == []
    assert memory["wake_at"] == "2025-01-01T00:00:01Z"
    clock.advance(0.5)
    kube_proxy_tick(api, clock, "node-1", memory)
    assert rules_of(memory)[0]["endpoints"] == ["10.244.1.5:8080"]
    assert not [call for call in api.calls if call[0] not in {"get", "list"}]
