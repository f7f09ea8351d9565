"""The official Python client (the `kubernetes` package) against a sandbox, with the
kubeconfig the page gives: typed reads and writes, watch streams, dynamic discovery."""

from __future__ import annotations

import pytest
from kubernetes import client, config, dynamic, watch
from kubernetes.client.rest import ApiException

from cluster.apiserver import ApiServer
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


def test_a_pod_binding_answers_what_the_client_reads_as_a_binding(api_client):
    """Upstream answers a Status, which the client cannot read as the V1Binding it expects
    (kubernetes-client/python #825); Podlab's Status carries the target too."""
    core = client.CoreV1Api(api_client)
    core.create_namespaced_pod("default", pod("web"))  # no scheduler runs: it waits
    binding = client.V1Binding(
        metadata=client.V1ObjectMeta(name="web"),
        target=client.V1ObjectReference(api_version="v1", kind="Node", name="node-1"),
    )
    answer = core.create_namespaced_pod_binding("web", "default", binding)
    assert answer.target.kind == "Node" and answer.target.name == "node-1"
    bound = core.read_namespaced_pod("web", "default")
    assert bound.spec.node_name == "node-1"
    scheduled = {c.type: c.status for c in bound.status.conditions}["PodScheduled"]
    assert scheduled == "True"
    with pytest.raises(ApiException) as again:
        core.create_namespaced_pod_binding("web", "default", binding)
    assert again.value.status == 409
    # The older path, namespaces/<ns>/bindings, names the pod in the binding's metadata.
    core.create_namespaced_pod("default", pod("db"))
    binding.metadata.name = "db"
    assert core.create_namespaced_binding("default", binding).target.name == "node-1"
    assert core.read_namespaced_pod("db", "default").spec.node_name == "node-1"


def test_dict_patches_are_strategic_merges_and_list_patches_json_patches(api_client):
    apps = client.AppsV1Api(api_client)
    template = client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(labels={"app": "api"}),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(name="api", image="nginx"),
                client.V1Container(name="log", image="busybox"),
            ]
        ),
    )
    spec = client.V1DeploymentSpec(
        replicas=1, selector=client.V1LabelSelector(match_labels={"app": "api"}), template=template
    )
    apps.create_namespaced_deployment(
        "default", client.V1Deployment(metadata=client.V1ObjectMeta(name="api"), spec=spec)
    )
    # A dict: a strategic merge patch, the container matched by its name, the other kept.
    image = {
        "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "nginx:1.27"}]}}}
    }
    patched = apps.patch_namespaced_deployment("api", "default", image)
    containers = patched.spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("api", "nginx:1.27"), ("log", "busybox")]
    # A list: a JSON patch.
    replicas = [{"op": "replace", "path": "/spec/replicas", "value": 2}]
    assert apps.patch_namespaced_deployment("api", "default", replicas).spec.replicas == 2


def test_a_watch_from_a_compacted_version_is_410_gone_and_a_relist_resumes(
    api_client, sandbox, alice, settings
):
    """The store keeps PODLAB_STORE_HISTORY revisions; a watch from an older one gets one
    ERROR event, 410 Expired, which the client raises as an ApiException to relist on."""
    core = client.CoreV1Api(api_client)
    core.create_namespaced_pod("default", pod("web"))
    too_old = core.list_namespaced_pod("default").metadata.resource_version
    # Writes in this process, where the history is short: the store compacts past too_old.
    settings.PODLAB_STORE_HISTORY = 5
    api = ApiServer.as_user(sandbox, alice)
    for round_ in range(20):
        api.patch(
            "pods", "web", {"metadata": {"labels": {"round": str(round_)}}}, namespace="default"
        )
    stream = watch.Watch().stream(
        core.list_namespaced_pod, "default", resource_version=too_old, timeout_seconds=5
    )
    with pytest.raises(ApiException) as gone:
        next(iter(stream))
    assert gone.value.status == 410
    assert gone.value.reason.startswith(f"Expired: too old resource version: {too_old} (")
    relisted = core.list_namespaced_pod("default")
    assert relisted.items[0].metadata.labels["round"] == "19"
    core.create_namespaced_pod("default", pod("db"))
    resumed = watch.Watch().stream(
        core.list_namespaced_pod,
        "default",
        resource_version=relisted.metadata.resource_version,
        timeout_seconds=5,
    )
    first = next(iter(resumed))
    assert first["type"] == "ADDED" and first["object"].metadata.name == "db"
