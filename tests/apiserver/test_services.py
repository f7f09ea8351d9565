"""Services through the API server: cluster IPs from the service CIDR, kept with the Service."""

from __future__ import annotations

import ipaddress

import pytest

from cluster.apiserver import ApiError
from cluster.resources.keys import IP_ADDRESS_PREFIX, NODE_PORT_RANGE_KEY

pytestmark = pytest.mark.django_db

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def service(name: str = "web", **spec) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec},
    }


def invalid_message(api, manifest: dict) -> str:
    with pytest.raises(ApiError) as failure:
        api.create("services", manifest, namespace="default")
    assert failure.value.code == 422
    return failure.value.message


def test_the_sandbox_has_the_kubernetes_service_at_the_first_address(api):
    kubernetes = api.get("services", "kubernetes", namespace="default")
    assert kubernetes["spec"]["clusterIP"] == "10.96.0.1"
    assert kubernetes["spec"]["ports"][0]["targetPort"] == 6443
    slice_ = api.get("endpointslices", "kubernetes", namespace="default")
    assert slice_["endpoints"][0]["addresses"] == ["10.0.0.2"]


def test_a_new_service_gets_a_cluster_ip_from_the_dynamic_band_and_upstream_defaults(api):
    created = api.create("services", service(), namespace="default")
    spec = created["spec"]
    ip = ipaddress.ip_address(spec["clusterIP"])
    assert ip in SERVICE_CIDR
    # The first 256 addresses are kept for requested IPs (upstream's range offset).
    assert int(ip) - int(SERVICE_CIDR.network_address) > 256
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["ipFamilies"] == ["IPv4"]
    assert spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert created["status"] == {"loadBalancer": {}}


def test_the_service_and_its_ip_are_kept_under_upstreams_keys(api):
    created = api.create("services", service(), namespace="default")
    keys = {entry["key"] for entry in api.etcd_browse("/registry/")["keys"]}
    assert "/registry/services/specs/default/web" in keys
    ip_key = f"{IP_ADDRESS_PREFIX}{created['spec']['clusterIP']}"
    assert ip_key in keys
    owner = api.etcd_browse(ip_key, key=ip_key)["value"]["spec"]["parentRef"]
    assert owner == {"group": "", "resource": "services", "namespace": "default", "name": "web"}


def test_two_services_never_share_an_ip(api):
    ips = {
        api.create("services", service(f"web-{n}"), namespace="default")["spec"]["clusterIP"]
        for n in range(5)
    }
    assert len(ips) == 5


def test_a_requested_ip_outside_the_range_is_refused(api):
    message = invalid_message(api, service(clusterIP="10.0.0.1"))
    assert message == (
        'Service "web" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.1"]: failed to'
        " allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range"
        " of valid IPs is 10.96.0.0/12"
    )


def test_a_requested_ip_already_taken_is_refused(api):
    api.create("services", service("first", clusterIP="10.96.0.10"), namespace="default")
    message = invalid_message(api, service("second", clusterIP="10.96.0.10"))
    assert message == (
        'Service "second" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to'
        " allocate IP 10.96.0.10: provided IP is already allocated"
    )


def test_a_deleted_service_gives_its_ip_back(api):
    api.create("services", service("first", clusterIP="10.96.0.10"), namespace="default")
    api.delete("services", "first", namespace="default")
    again = api.create("services", service("again", clusterIP="10.96.0.10"), namespace="default")
    assert again["spec"]["clusterIP"] == "10.96.0.10"


def test_the_cluster_ip_may_not_change_but_may_be_left_out(api):
    created = api.create("services", service(clusterIP="10.96.0.20"), namespace="default")
    changed = {
        **created,
        "spec": {**created["spec"], "clusterIP": "10.96.0.21", "clusterIPs": ["10.96.0.21"]},
    }
    with pytest.raises(ApiError) as failure:
        api.update("services", changed, namespace="default")
    assert failure.value.message == (
        'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.0.21"]:'
        " may not change once set"
    )
    applied = api.update("services", service(), namespace="default")
    assert applied["spec"]["clusterIP"] == "10.96.0.20"


def test_a_headless_service_gets_no_ip(api):
    created = api.create("services", service(clusterIP="None"), namespace="default")
    assert created["spec"]["clusterIPs"] == ["None"]
    keys = [entry["key"] for entry in api.etcd_browse(IP_ADDRESS_PREFIX)["keys"]]
    assert keys == [f"{IP_ADDRESS_PREFIX}10.96.0.1"]


def test_port_names_are_required_when_there_are_several(api):
    message = invalid_message(api, service(ports=[{"name": "http", "port": 80}, {"port": 443}]))
    assert message == 'Service "web" is invalid: spec.ports[1].name: Required value'


def test_a_node_port_service_gets_a_port_in_the_range_and_gives_it_back(api):
    created = api.create("services", service(type="NodePort"), namespace="default")
    node_port = created["spec"]["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767
    assert created["spec"]["externalTrafficPolicy"] == "Cluster"
    taken = service("other", type="NodePort", ports=[{"port": 80, "nodePort": node_port}])
    assert invalid_message(api, taken).endswith(
        f"spec.ports[0].nodePort: Invalid value: {node_port}: provided port is already allocated"
    )
    api.delete("services", "web", namespace="default")
    reused = api.create("services", taken, namespace="default")
    assert reused["spec"]["ports"][0]["nodePort"] == node_port
    node_ports = api.etcd_browse(NODE_PORT_RANGE_KEY, key=NODE_PORT_RANGE_KEY)
    assert node_ports["value"]["range"] == "30000-32767"


def test_endpoints_and_endpointslices_are_served(api):
    api.create(
        "endpoints",
        {
            "metadata": {"name": "web"},
            "subsets": [{"addresses": [{"ip": "10.244.1.5"}], "ports": [{"port": 80}]}],
        },
        namespace="default",
    )
    assert api.get("endpoints", "web", namespace="default")["subsets"][0]["ports"][0] == {
        "port": 80,
        "protocol": "TCP",
    }
    with pytest.raises(ApiError) as failure:
        api.create(
            "endpointslices",
            {
                "metadata": {"name": "web-x"},
                "addressType": "IPv4",
                "endpoints": [{"addresses": ["not-an-ip"]}],
            },
            namespace="default",
        )
    assert failure.value.message == (
        'EndpointSlice.discovery.k8s.io "web-x" is invalid: endpoints[0].addresses[0]:'
        ' Invalid value: "not-an-ip": must be a valid IPv4 address'
    )
