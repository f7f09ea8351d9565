"""Defaulting on create and validation that reports every bad field."""

from __future__ import annotations

import re

import pytest

from cluster.apiserver import ApiError
from cluster.models import Trace
from tests.apiserver.manifests import pod_manifest

pytestmark = pytest.mark.django_db


def test_a_created_pod_gets_the_upstream_defaults(api, sandbox):
    pod = api.create("pods", pod_manifest("web"), namespace="default")
    spec, meta = pod["spec"], pod["metadata"]
    assert spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    } in spec["tolerations"]
    assert {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    } in spec["tolerations"]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", meta["uid"]
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])
    assert "generation" not in meta  # a pod has none in 1.32: 1.33 gave it one
    assert meta["namespace"] == "default"
    assert pod["status"]["phase"] == "Pending"
    assert int(meta["resourceVersion"]) > 0


def test_default_toleration_seconds_is_an_admission_step_the_trace_names(api):
    manifest = pod_manifest("web")
    manifest["spec"]["tolerations"] = [
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}
    ]
    pod = api.create("pods", manifest, namespace="default")
    unreachable = [t for t in pod["spec"]["tolerations"] if "unreachable" in t["key"]]
    assert unreachable == manifest["spec"]["tolerations"]  # tolerated for ever: kept as sent
    [admission] = [s for s in Trace.objects.latest("id").stages if s["stage"] == "admission"]
    assert admission["detail"] == (
        f"defaulted the pod and gave it uid {pod['metadata']['uid']}; DefaultTolerationSeconds:"
        " tolerates node.kubernetes.io/not-ready:NoExecute for 300s"
    )


def test_what_the_client_set_is_kept(api):
    manifest = pod_manifest("web", restartPolicy="Never", terminationGracePeriodSeconds=5)
    pod = api.create("pods", manifest, namespace="default")
    assert (pod["spec"]["restartPolicy"], pod["spec"]["terminationGracePeriodSeconds"]) == (
        "Never",
        5,
    )


def test_generate_name_gets_a_random_suffix(api):
    manifest = pod_manifest("ignored")
    del manifest["metadata"]["name"]
    manifest["metadata"]["generateName"] = "web-"
    first = api.create("pods", manifest, namespace="default")["metadata"]["name"]
    second = api.create("pods", manifest, namespace="default")["metadata"]["name"]
    assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{5}", first)
    assert first != second


def test_a_client_cannot_choose_uid_or_resource_version_on_create(api):
    manifest = pod_manifest("web")
    manifest["metadata"] |= {"uid": "mine", "resourceVersion": "999"}
    pod = api.create("pods", manifest, namespace="default")
    assert pod["metadata"]["uid"] != "mine"
    assert pod["metadata"]["resourceVersion"] != "999"


def test_a_pod_with_several_bad_fields_gets_every_cause(api):
    manifest = {
        "metadata": {"name": "Bad_Name"},
        "spec": {
            "restartPolicy": "Sometimes",
            "containers": [
                {"name": "app", "image": "nginx", "resources": {"requests": {"cpu": "lots"}}},
                {"name": "app"},
            ],
        },
    }
    with pytest.raises(ApiError) as failure:
        api.create("pods", manifest, namespace="default")
    status = failure.value.status()
    fields = [cause["field"] for cause in status["details"]["causes"]]
    assert "metadata.name" in fields
    assert "spec.restartPolicy" in fields
    assert "spec.containers[0].resources.requests[cpu]" in fields
    assert "spec.containers[1].name" in fields
    assert "spec.containers[1].image" in fields
    assert status["message"].startswith('Pod "Bad_Name" is invalid: [')
    for cause in status["details"]["causes"]:
        assert f"{cause['field']}: {cause['message']}" in status["message"]


def test_nothing_is_stored_for_an_invalid_pod(api, sandbox):
    from cluster.store import Store

    before = Store(sandbox.pk).revision()
    with pytest.raises(ApiError):
        api.create("pods", {"metadata": {"name": "x"}, "spec": {}}, namespace="default")
    assert Store(sandbox.pk).revision() == before
