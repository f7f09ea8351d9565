"""Service, Endpoints and EndpointSlice defaults and validation, worded as upstream's."""

from __future__ import annotations

import copy

from cluster.resources import endpointslices, services


def service(**spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec},
    }


def messages(obj: dict, old: dict | None = None, module=services) -> list[str]:
    module.default(obj)
    return [error.message for error in module.validate(obj, old)]


def test_defaults_follow_set_defaults_service():
    obj = service(sessionAffinity="ClientIP", type="NodePort")
    services.default(obj)
    spec = obj["spec"]
    assert spec["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    assert spec["ports"][0] == {"port": 80, "protocol": "TCP", "targetPort": 80}
    assert (spec["externalTrafficPolicy"], spec["internalTrafficPolicy"]) == ("Cluster", "Cluster")


def test_a_headless_service_without_selector_defaults_to_dual_stack():
    obj = service(clusterIP="None")
    del obj["spec"]["selector"]
    services.default(obj)
    assert obj["spec"]["ipFamilyPolicy"] == "RequireDualStack"
    assert obj["spec"]["ipFamilies"] == ["IPv4", "IPv6"]
    assert services.validate(obj, None) == []


def test_port_rules():
    # targetPort defaults to the port, so upstream reports both.
    assert messages(service(ports=[{"port": 0}])) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
    ]
    assert messages(service(ports=[{"name": "a", "port": 80}, {"name": "a", "port": 81}])) == [
        'spec.ports[1].name: Duplicate value: "a"'
    ]
    assert messages(service(ports=[{"port": 80, "protocol": "HTTP"}])) == [
        'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'
    ]
    assert messages(service(ports=[])) == ["spec.ports: Required value"]
    assert messages(service(ports=[{"port": 80, "nodePort": 30080}])) == [
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ]


def test_a_service_name_must_be_a_dns_1035_label():
    obj = service()
    obj["metadata"]["name"] = "1web"
    assert messages(obj)[0].startswith(
        'metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case'
    )


def test_cluster_ip_rules():
    assert messages(service(clusterIP="banana")) == [
        'spec.clusterIPs[0]: Invalid value: "banana": must be a valid IP address, (e.g.'
        " 10.9.8.7 or 2001:db8::ffff)"
    ]
    assert messages(service(clusterIP="None", type="NodePort")) == [
        "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer"
        " or NodePort services"
    ]


def test_the_cluster_ip_may_not_change_on_update():
    old = service(clusterIP="10.96.0.20")
    services.default(old)
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"], new["spec"]["clusterIPs"] = "10.96.0.21", ["10.96.0.21"]
    assert [e.message for e in services.validate(new, old)] == [
        'spec.clusterIPs[0]: Invalid value: ["10.96.0.21"]: may not change once set'
    ]


def test_endpointslice_rules():
    slice_ = {
        "metadata": {"name": "web-abcde", "namespace": "default"},
        "addressType": "IPv4",
        "endpoints": [{"addresses": []}],
        "ports": [{"port": 80}],
    }
    assert messages(slice_, module=endpointslices) == [
        "endpoints[0].addresses: Required value: must contain at least 1 address"
    ]
    assert slice_["ports"] == [{"port": 80, "name": "", "protocol": "TCP"}]
    changed = copy.deepcopy(slice_)
    changed["addressType"], changed["endpoints"] = "IPv6", []
    assert messages(changed, slice_, module=endpointslices) == [
        'addressType: Invalid value: "IPv6": field is immutable'
    ]
    too_many = {**slice_, "endpoints": [{"addresses": ["10.0.0.1"]}] * 1001}
    assert messages(too_many, module=endpointslices) == [
        "endpoints: Too many: 1001: must have at most 1000 items"
    ]
