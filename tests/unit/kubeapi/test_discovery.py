"""Discovery as kubectl and the Python client read it (kubeapi/discovery.py), and how a
request's path names its resource (kubeapi/objects.py parse_target)."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError
from kubeapi import discovery
from kubeapi.objects import parse_target


def test_aggregated_core_names_pods_with_their_subresources_and_short_names():
    [core] = discovery.aggregated(core=True)["items"]
    assert core["metadata"] == {"name": ""}
    [v1] = core["versions"]
    pods = next(r for r in v1["resources"] if r["resource"] == "pods")
    assert pods["scope"] == "Namespaced" and pods["shortNames"] == ["po"]
    assert pods["responseKind"] == {"group": "", "version": "v1", "kind": "Pod"}
    eviction = next(s for s in pods["subresources"] if s["subresource"] == "eviction")
    assert eviction["responseKind"]["group"] == "policy" and eviction["verbs"] == ["create"]
    assert "watch" in pods["verbs"] and "deletecollection" in pods["verbs"]


def test_aggregated_groups_hold_only_the_named_groups():
    names = [item["metadata"]["name"] for item in discovery.aggregated(core=False)["items"]]
    assert "apps" in names and "" not in names


def test_legacy_lists_name_subresources_as_upstream_does():
    listed = discovery.api_resource_list("", "v1")
    assert listed["groupVersion"] == "v1"
    names = [r["name"] for r in listed["resources"]]
    assert {"pods", "pods/status", "pods/binding", "pods/log", "nodes"} <= set(names)
    assert listed["resources"][0] == {
        "name": "bindings",
        "singularName": "binding",
        "namespaced": True,
        "kind": "Binding",
        "verbs": ["create"],
    }
    eviction = next(r for r in listed["resources"] if r["name"] == "pods/eviction")
    assert (eviction["group"], eviction["version"], eviction["kind"]) == (
        "policy",
        "v1",
        "Eviction",
    )
    scale = next(
        r
        for r in discovery.api_resource_list("apps", "v1")["resources"]
        if r["name"] == "deployments/scale"
    )
    assert scale["kind"] == "Scale" and scale["group"] == "autoscaling"
    assert discovery.api_resource_list("apps", "v2") is None
    groups = discovery.api_group_list()["groups"]
    apps = next(g for g in groups if g["name"] == "apps")
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}


@pytest.mark.parametrize(
    ("group", "path", "expected"),
    [
        ("", "pods", ("pods", "", "", "")),
        ("", "namespaces/default/pods", ("pods", "default", "", "")),
        ("", "namespaces/default/pods/web/status", ("pods", "default", "web", "status")),
        ("", "namespaces/default", ("namespaces", "", "default", "")),
        ("", "namespaces/team-a/status", ("namespaces", "", "team-a", "status")),
        # A binding that names its pod in its body, not in the path.
        ("", "namespaces/default/bindings", ("pods", "default", "", "binding")),
        ("", "nodes/node-1", ("nodes", "", "node-1", "")),
        (
            "apps",
            "namespaces/default/deployments/web/scale",
            ("deployments", "default", "web", "scale"),
        ),
    ],
)
def test_a_path_names_its_resource_namespace_object_and_subresource(group, path, expected):
    target = parse_target(group, "v1", path)
    assert (target.rt.name, target.namespace, target.name, target.subresource) == expected


@pytest.mark.parametrize(
    ("group", "path"),
    [
        ("", "pots"),
        ("", "bindings"),  # a binding is in a namespace
        ("apps", "pods"),  # pods are core
        ("", "deployments"),  # deployments are apps
        ("", "namespaces/default/nodes"),  # nodes have no namespace
        ("", "namespaces/default/pods/web/proxy"),  # not served: no pod serves traffic
        ("", "namespaces/default/services/web/exec"),  # only a pod connects to a process
        ("", "namespaces/default/pods/web/status/more"),
    ],
)
def test_a_path_naming_nothing_served_is_404(group, path):
    with pytest.raises(ApiError) as refused:
        parse_target(group, "v1", path)
    assert refused.value.code == 404
    assert refused.value.message == "the server could not find the requested resource"


def test_openapi_names_each_kind_and_the_write_parameters_kubectl_looks_for():
    from kubeapi import openapi

    paths = openapi.index()["paths"]
    assert paths["api/v1"]["serverRelativeURL"].startswith("/openapi/v3/api/v1?hash=")
    apps = openapi.document("apps", "v1")
    post = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["post"]
    assert post["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert {p["name"] for p in post["parameters"]} >= {"fieldValidation", "dryRun"}
    schema = apps["components"]["schemas"]["io.podlab.V1Deployment.Deployment"]
    assert schema["x-kubernetes-group-version-kind"][0]["kind"] == "Deployment"
    assert openapi.document("apps", "v9") is None


def test_unknown_fields_are_named_by_their_path():
    from cluster.resources import RESOURCES
    from kubeapi.openapi import unknown_fields

    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "labels": {"any": "thing"}},
        "spec": {"containers": [{"name": "web", "imagee": "nginx"}], "nodeSelektor": {}},
    }
    assert unknown_fields(RESOURCES["pods"], pod) == [
        "spec.containers[0].imagee",
        "spec.nodeSelektor",
    ]
