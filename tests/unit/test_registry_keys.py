"""Store keys are built and parsed in one place, with upstream's etcd layout."""

import pytest

from cluster.resources import RESOURCES
from cluster.resources.keys import (
    collection_key,
    ip_address_key,
    namespace_key,
    object_key,
    parse_key,
    resource_of_key,
    split_key,
)


@pytest.mark.parametrize(
    ("resource", "namespace", "name", "key"),
    [
        ("pods", "default", "web", "/registry/pods/default/web"),
        ("nodes", "", "node-1", "/registry/minions/node-1"),
        ("services", "default", "web", "/registry/services/specs/default/web"),
        ("endpoints", "default", "web", "/registry/services/endpoints/default/web"),
        ("replicationcontrollers", "default", "rc", "/registry/controllers/default/rc"),
        ("deployments", "default", "web", "/registry/deployments/default/web"),
    ],
)
def test_object_keys_are_upstreams_and_parse_back(resource, namespace, name, key):
    rt = RESOURCES[resource]
    assert object_key(rt, namespace, name) == key
    assert parse_key(key) == (rt, namespace, name)


def test_a_services_key_is_not_taken_for_an_endpoints_key():
    assert resource_of_key("/registry/services/endpoints/default/web").name == "endpoints"
    assert resource_of_key("/registry/services/specs/default/web").name == "services"


def test_collections_namespaces_and_allocator_keys():
    pods = RESOURCES["pods"]
    assert collection_key(pods) == "/registry/pods/"
    assert collection_key(pods, "default") == "/registry/pods/default/"
    assert collection_key(RESOURCES["nodes"], "default") == "/registry/minions/"
    assert namespace_key("kube-system") == "/registry/namespaces/kube-system"
    assert ip_address_key("10.96.0.1") == "/registry/ipaddresses/10.96.0.1"


@pytest.mark.parametrize(
    "key",
    ["/registry/ipaddresses/10.96.0.1", "/registry/pods/default", "/registry/pods/a/b/c", "/x"],
)
def test_keys_that_name_no_object_parse_to_none(key):
    assert parse_key(key) is None


def test_the_stores_columns_of_a_key():
    assert split_key("/registry/pods/default/web") == ("pods", "default", "web")
    assert split_key("/registry/services/specs/default/web") == ("services/specs", "default", "web")
    assert split_key("/registry/minions/node-1") == ("minions", "", "node-1")
    with pytest.raises(ValueError, match="not a registry key"):
        split_key("/elsewhere/pods/web")
