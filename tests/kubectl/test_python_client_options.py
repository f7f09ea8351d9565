"""The official Python client's server-side apply, dry runs and deletecollection against a
sandbox (cluster/apiserver/server_side_apply.py, options.py, ApiServer.delete_collection)."""

from __future__ import annotations

import json

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from cluster.models import Trace
from kubeapi.kubeconfig import issue_kubeconfig

pytestmark = pytest.mark.django_db(transaction=True)
APPLY_PATCH = "application/apply-patch+yaml"


@pytest.fixture
def api_client(api_url, alice, sandbox, tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(issue_kubeconfig(sandbox, alice))
    with config.new_client_from_config(config_file=str(path)) as api:
        yield api


def deployment(replicas: int) -> dict:
    labels = {"app": "api"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "api", "image": "nginx"}]},
            },
        },
    }


def failure(call) -> tuple[int, dict]:
    with pytest.raises(ApiException) as refused:
        call()
    return refused.value.status, json.loads(refused.value.body)


def test_apply_through_the_client_needs_a_field_manager_and_records_it(api_client, sandbox):
    apps = client.AppsV1Api(api_client)
    created = apps.patch_namespaced_deployment(
        "api", "default", deployment(2), field_manager="me", _content_type=APPLY_PATCH
    )
    assert created.spec.replicas == 2
    (entry,) = created.metadata.managed_fields
    assert (entry.manager, entry.operation, entry.api_version) == ("me", "Apply", "apps/v1")
    scaled = apps.patch_namespaced_deployment(
        "api", "default", deployment(3), field_manager="me", _content_type=APPLY_PATCH
    )
    assert scaled.spec.replicas == 3
    code, status = failure(
        lambda: apps.patch_namespaced_deployment(
            "api", "default", deployment(4), _content_type=APPLY_PATCH
        )
    )
    assert code == 422
    assert status["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value:'
        " is required for apply patch"
    )
    code, status = failure(
        lambda: apps.patch_namespaced_deployment(
            "api", "default", deployment(5), field_manager="hpa", _content_type=APPLY_PATCH
        )
    )
    assert code == 409
    assert status["message"] == ('Apply failed with 1 conflict: conflict with "me": .spec.replicas')
    assert status["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "me"',
            "field": ".spec.replicas",
        }
    ]
    # Refused before etcd: the diagram lights the stage that said no.
    refusal = Trace.objects.filter(sandbox=sandbox, code=409).get()
    assert refusal.stages[-1]["stage"] == "admission" and not refusal.stages[-1]["ok"]


def test_a_dry_run_stores_nothing_and_an_unsupported_value_is_refused(api_client):
    core = client.CoreV1Api(api_client)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": "web-"},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    }
    dry = core.create_namespaced_pod("default", pod, dry_run="All")
    assert dry.metadata.name.startswith("web-") and dry.metadata.uid
    assert core.list_namespaced_pod("default").items == []
    code, status = failure(lambda: core.create_namespaced_pod("default", pod, dry_run="x"))
    assert code == 422
    assert status["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid:'
        ' dryRun: Unsupported value: []string{"x"}: supported values: "All"'
    )


def test_delete_collection_deletes_what_the_selector_matches_each_as_a_delete(api_client, sandbox):
    core = client.CoreV1Api(api_client)
    for name, app in (("web-1", "web"), ("web-2", "web"), ("db", "db")):
        core.create_namespaced_pod(
            "default",
            {
                "metadata": {"name": name, "labels": {"app": app}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        )
    # A pod a kubelet runs is deleted gracefully: it stays, Terminating.
    core.create_namespaced_pod_binding(
        "web-2",
        "default",
        {"metadata": {"name": "web-2"}, "target": {"kind": "Node", "name": "node-1"}},
    )
    response = core.delete_collection_namespaced_pod(
        "default", label_selector="app=web", _preload_content=False
    )
    answer = json.loads(response.data)
    assert answer["kind"] == "PodList"
    assert sorted(p["metadata"]["name"] for p in answer["items"]) == ["web-1", "web-2"]
    left = {p.metadata.name: p for p in core.list_namespaced_pod("default").items}
    assert sorted(left) == ["db", "web-2"]
    assert left["web-2"].metadata.deletion_timestamp is not None
    traces = Trace.objects.filter(sandbox=sandbox, verb__in=["deletecollection", "delete"])
    assert sorted((t.verb, t.name) for t in traces) == [
        ("delete", "web-1"),
        ("delete", "web-2"),
        ("deletecollection", ""),
    ]
