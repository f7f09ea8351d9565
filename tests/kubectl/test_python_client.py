"""The official Python client (the `kubernetes` package) against a sandbox, with the
kubeconfig the page gives: typed reads and writes, watch streams, dynamic discovery."""

from __future__ import annotations

import pytest
from kubernetes import client, config, dynamic, watch
from kubernetes.client.rest import ApiException

from cluster.models import Trace
from kubeapi.kubeconfig import issue_kubeconfig

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api_client(api_url, alice, sandbox, tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(issue_kubeconfig(sandbox, alice))
    with config.new_client_from_config(config_file=str(path)) as api:
        yield api


def pod(name: str, **labels: str) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels or None),
        spec=client.V1PodSpec(containers=[client.V1Container(name="app", image="nginx")]),
    )


def test_core_v1_reads_and_writes_pods_typed(api_client, sandbox):
    core = client.CoreV1Api(api_client)
    nodes = core.list_node()
    assert sorted(node.metadata.name for node in nodes.items) == [
        "control-plane",
        "node-1",
        "node-2",
    ]
    created = core.create_namespaced_pod("default", pod("web", app="web"))
    assert created.metadata.uid and created.spec.restart_policy == "Always"
    read = core.read_namespaced_pod("web", "default")
    assert read.metadata.resource_version == created.metadata.resource_version
    listed = core.list_namespaced_pod("default", label_selector="app=web")
    assert [p.metadata.name for p in listed.items] == ["web"]
    assert core.list_namespaced_pod("default", label_selector="app=db").items == []
    patch = [{"op": "add", "path": "/metadata/labels/tier", "value": "front"}]
    patched = core.patch_namespaced_pod("web", "default", patch)  # a list: JSON patch
    assert patched.metadata.labels == {"app": "web", "tier": "front"}
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("db", "default")
    assert missing.value.status == 404
    deleted = core.delete_namespaced_pod("web", "default")
    # A pod no node has taken goes at once, as upstream's does; the client wants a Pod.
    assert isinstance(deleted, client.V1Pod) and deleted.metadata.name == "web"
    assert core.list_namespaced_pod("default").items == []
    agent = Trace.objects.get(sandbox=sandbox, verb="create", name="web").user_agent
    assert agent.startswith("OpenAPI-Generator/")


def test_apps_v1_deployments_create_replace_and_delete(api_client):
    apps = client.AppsV1Api(api_client)
    template = client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(labels={"app": "api"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="api", image="nginx")]),
    )
    spec = client.V1DeploymentSpec(
        replicas=2, selector=client.V1LabelSelector(match_labels={"app": "api"}), template=template
    )
    body = client.V1Deployment(metadata=client.V1ObjectMeta(name="api"), spec=spec)
    created = apps.create_namespaced_deployment("default", body)
    assert created.spec.strategy.type == "RollingUpdate"  # defaulted by the API server
    created.spec.replicas = 4
    replaced = apps.replace_namespaced_deployment("api", "default", created)
    assert replaced.spec.replicas == 4
    scale = apps.read_namespaced_deployment_scale("api", "default")
    assert scale.spec.replicas == 4 and scale.status.selector == "app=api"
    apps.delete_namespaced_deployment("api", "default")
    assert apps.list_namespaced_deployment("default").items == []


def test_a_watch_stream_sees_a_pod_come_and_resumes_from_its_version(api_client):
    core = client.CoreV1Api(api_client)
    listed = core.list_namespaced_pod("default")
    core.create_namespaced_pod("default", pod("web"))
    stream = watch.Watch().stream(
        core.list_namespaced_pod,
        "default",
        resource_version=listed.metadata.resource_version,
        timeout_seconds=5,
    )
    first = next(iter(stream))
    assert first["type"] == "ADDED" and first["object"].metadata.name == "web"
    resumed = watch.Watch().stream(
        core.list_namespaced_pod,
        "default",
        resource_version=first["object"].metadata.resource_version,
        timeout_seconds=2,
    )
    assert [event["type"] for event in resumed] == []  # nothing since: the stream just ends


def test_dynamic_client_discovers_the_resources(api_client):
    discovered = dynamic.DynamicClient(api_client)
    pods = discovered.resources.get(api_version="v1", kind="Pod")
    assert pods.namespaced and pods.name == "pods"
    deployments = discovered.resources.get(api_version="apps/v1", kind="Deployment")
    assert [d.metadata.name for d in deployments.get(namespace="default").items] == []
