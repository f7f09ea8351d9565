"""ReplicaSets, Deployments and ReplicationControllers through the API server: the verbs,
their keys in the store, generation, and the status and scale subresources."""

from __future__ import annotations

import pytest

from cluster import loops
from cluster.apiserver import ApiError, ApiServer
from cluster.models import Trace
from tests.apiserver.manifests import pod_manifest, workload_manifest

pytestmark = pytest.mark.django_db

KINDS = [
    ("replicasets", "ReplicaSet"),
    ("deployments", "Deployment"),
    ("replicationcontrollers", "ReplicationController"),
]


@pytest.fixture
def controller(sandbox) -> ApiServer:
    """A controller writing status, as the replicaset controller will."""
    return ApiServer.as_component(sandbox, "controller-manager/replicaset")


def create(api, resource, kind, **spec):
    return api.create(resource, workload_manifest(kind, **spec), namespace="default")


@pytest.mark.parametrize(
    ("resource", "kind", "key"),
    [
        ("replicasets", "ReplicaSet", "/registry/replicasets/default/web"),
        ("deployments", "Deployment", "/registry/deployments/default/web"),
        ("replicationcontrollers", "ReplicationController", "/registry/controllers/default/web"),
    ],
)
def test_each_kind_is_kept_under_upstreams_key(api, resource, kind, key):
    created = create(api, resource, kind)
    browsed = api.etcd_browse(key.rsplit("/", 2)[0] + "/", key=key)
    assert [k["key"] for k in browsed["keys"]] == [key]
    assert browsed["value"]["metadata"]["uid"] == created["metadata"]["uid"]
    assert browsed["value"]["kind"] == kind


def test_a_created_deployment_is_defaulted_and_at_generation_one(api):
    deployment = create(api, "deployments", "Deployment")
    assert deployment["apiVersion"] == "apps/v1"
    assert deployment["metadata"]["generation"] == 1
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {
        "maxUnavailable": "25%",
        "maxSurge": "25%",
    }
    assert deployment["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert deployment["status"] == {}


def test_a_replication_controller_takes_its_selector_from_its_template(api):
    manifest = workload_manifest("ReplicationController")
    del manifest["spec"]["selector"]
    rc = api.create("replicationcontrollers", manifest, namespace="default")
    assert rc["spec"]["selector"] == {"app": "web"}
    assert rc["metadata"]["labels"] == {"app": "web"}
    assert rc["status"] == {"replicas": 0}


def test_an_invalid_deployment_is_refused_with_upstreams_message(api):
    manifest = workload_manifest("Deployment")
    del manifest["spec"]["selector"]
    with pytest.raises(ApiError) as failure:
        api.create("deployments", manifest, namespace="default")
    error = failure.value
    assert error.code == 422
    assert error.message == (
        'Deployment.apps "web" is invalid: [spec.selector: Required value,'
        ' spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}:'
        " `selector` does not match template `labels`]"
    )
    assert (error.details["kind"], error.details["group"]) == ("Deployment", "apps")
    assert [cause["field"] for cause in error.details["causes"]] == [
        "spec.selector",
        "spec.template.metadata.labels",
    ]


@pytest.mark.parametrize(("resource", "kind"), KINDS)
def test_get_list_and_delete(api, resource, kind):
    create(api, resource, kind)
    manifest = workload_manifest(kind, name="api")
    manifest["metadata"]["labels"] = {"tier": "back"}
    api.create(resource, manifest, namespace="default")
    assert api.get(resource, "web", namespace="default")["kind"] == kind
    listed = api.list(resource, namespace="default", label_selector="tier=back")
    assert listed["kind"] == f"{kind}List"
    assert [item["metadata"]["name"] for item in listed["items"]] == ["api"]
    listed = api.list(resource, namespace="default")
    assert [item["metadata"]["name"] for item in listed["items"]] == ["api", "web"]
    status = api.delete(resource, "web", namespace="default")
    assert (status["status"], status["details"]["kind"]) == ("Success", resource)
    with pytest.raises(ApiError) as failure:
        api.get(resource, "web", namespace="default")
    group = "apps" if kind != "ReplicationController" else ""
    assert failure.value.message == f'{resource}{"." + group if group else ""} "web" not found'


@pytest.mark.parametrize("resource", ["replicasets", "replicationcontrollers"])
def test_list_filters_on_status_replicas_as_upstream_allows(api, controller, resource):
    kind = dict(KINDS)[resource]
    create(api, resource, kind)
    running = create(api, resource, kind, name="api")
    running["status"] = {"replicas": 1}
    controller.update_status(resource, running, namespace="default")
    listed = api.list(resource, namespace="default", field_selector="status.replicas=0")
    assert [item["metadata"]["name"] for item in listed["items"]] == ["web"]
    with pytest.raises(ApiError):
        api.list("deployments", field_selector="status.replicas=0")


def test_a_spec_change_is_a_new_generation_and_a_label_change_is_not(api):
    created = create(api, "replicasets", "ReplicaSet")
    created["metadata"]["labels"] = {"team": "a"}
    relabelled = api.update("replicasets", created, namespace="default")
    assert relabelled["metadata"]["generation"] == 1
    relabelled["spec"]["replicas"] = 3
    scaled = api.update("replicasets", relabelled, namespace="default")
    assert scaled["metadata"]["generation"] == 2


def test_a_bare_manifest_sent_again_is_no_change(api):
    created = create(api, "deployments", "Deployment")
    again = api.update("deployments", workload_manifest("Deployment"), namespace="default")
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert again["metadata"]["generation"] == 1


def test_a_deployments_annotations_are_a_new_generation(api):
    create(api, "deployments", "Deployment")
    patched = api.patch(
        "deployments",
        "web",
        {"metadata": {"annotations": {"kubernetes.io/change-cause": "image 1.27"}}},
        namespace="default",
    )
    assert patched["metadata"]["generation"] == 2


def test_patching_the_template_is_a_new_generation(api):
    create(api, "deployments", "Deployment")
    patched = api.patch(
        "deployments",
        "web",
        [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:2"}],
        patch_type="json",
        namespace="default",
    )
    assert patched["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    assert patched["metadata"]["generation"] == 2


def test_an_apps_v1_selector_cannot_change(api):
    create(api, "deployments", "Deployment")
    with pytest.raises(ApiError) as failure:
        api.patch(
            "deployments",
            "web",
            {
                "spec": {
                    "selector": {"matchLabels": {"app": "web", "tier": "front"}},
                    "template": {"metadata": {"labels": {"tier": "front"}}},
                }
            },
            namespace="default",
        )
    assert failure.value.code == 422
    assert failure.value.message == (
        'Deployment.apps "web" is invalid: spec.selector: Invalid value:'
        ' v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"front"},'
        " MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    )


def test_the_main_resource_ignores_status_and_status_ignores_spec(api, controller):
    created = create(api, "replicasets", "ReplicaSet")
    created["status"] = {"replicas": 9}
    created["spec"]["replicas"] = 2
    updated = api.update("replicasets", created, namespace="default")
    assert (updated["spec"]["replicas"], updated["status"]) == (2, {"replicas": 0})

    updated["status"] = {"replicas": 2, "readyReplicas": 1, "observedGeneration": 2}
    updated["spec"]["replicas"] = 7
    reported = controller.update_status("replicasets", updated, namespace="default")
    assert reported["status"]["readyReplicas"] == 1
    assert reported["spec"]["replicas"] == 2
    assert reported["metadata"]["generation"] == 2  # a status write is no new generation


def test_a_deployments_status_write_carries_its_annotations_but_not_its_labels(api, controller):
    created = create(api, "deployments", "Deployment")
    created["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    created["metadata"]["labels"] = {"team": "a"}
    created["status"] = {"observedGeneration": 1, "replicas": 1}
    written = controller.update_status("deployments", created, namespace="default")
    assert written["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert "labels" not in written["metadata"]
    assert written["metadata"]["generation"] == 1  # as upstream: a status write never bumps it


def test_an_impossible_status_is_refused(api, controller):
    created = create(api, "replicasets", "ReplicaSet")
    created["status"] = {"replicas": 1, "readyReplicas": 2}
    with pytest.raises(ApiError) as failure:
        controller.update_status("replicasets", created, namespace="default")
    assert failure.value.message == (
        'ReplicaSet.apps "web" is invalid: status.readyReplicas: Invalid value: 2:'
        " cannot be greater than status.replicas"
    )


# --- the scale subresource ---------------------------------------------------------


def test_the_scale_of_a_deployment_is_an_autoscaling_v1_scale(api):
    created = create(api, "deployments", "Deployment", replicas=3)
    scale = api.get("deployments", "web", namespace="default", subresource="scale")
    meta = created["metadata"]
    assert scale == {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": 3},
        "status": {"replicas": 0, "selector": "app=web"},
    }


def test_a_scale_selector_is_printed_as_upstream_prints_selectors(api):
    manifest = workload_manifest("ReplicaSet")
    manifest["spec"]["selector"]["matchLabels"]["pod-template-hash"] = "7d4b9"
    manifest["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = "7d4b9"
    api.create("replicasets", manifest, namespace="default")
    scale = api.get("replicasets", "web", namespace="default", subresource="scale")
    assert scale["status"]["selector"] == "app=web,pod-template-hash=7d4b9"


def test_a_replication_controllers_scale_reads_its_map_selector(api):
    create(api, "replicationcontrollers", "ReplicationController", selector={"app": "web"})
    scale = api.get("replicationcontrollers", "web", namespace="default", subresource="scale")
    assert scale["status"]["selector"] == "app=web"


@pytest.mark.parametrize(("resource", "kind"), KINDS)
def test_updating_the_scale_sets_the_replicas_and_a_new_generation(api, resource, kind):
    create(api, resource, kind)
    scale = api.get(resource, "web", namespace="default", subresource="scale")
    scale["spec"]["replicas"] = 5
    answered = api.update(resource, scale, namespace="default", subresource="scale")
    assert answered["kind"] == "Scale"
    assert answered["spec"] == {"replicas": 5}
    stored = api.get(resource, "web", namespace="default")
    assert stored["spec"]["replicas"] == 5
    assert stored["metadata"]["generation"] == 2
    assert answered["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]


def test_kubectl_scale_patches_the_scale(api):
    create(api, "deployments", "Deployment")
    answered = api.patch(
        "deployments", "web", {"spec": {"replicas": 0}}, namespace="default", subresource="scale"
    )
    assert answered["spec"] == {}  # autoscaling/v1 omits zero replicas
    assert api.get("deployments", "web", namespace="default")["spec"]["replicas"] == 0


def test_a_negative_scale_is_invalid(api):
    create(api, "deployments", "Deployment")
    with pytest.raises(ApiError) as failure:
        api.patch(
            "deployments",
            "web",
            {"spec": {"replicas": -1}},
            namespace="default",
            subresource="scale",
        )
    assert failure.value.code == 422
    assert failure.value.message == (
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1:'
        " must be greater than or equal to 0"
    )
    assert api.get("deployments", "web", namespace="default")["spec"]["replicas"] == 1


def test_a_stale_scale_is_a_conflict(api):
    create(api, "replicasets", "ReplicaSet")
    stale = api.get("replicasets", "web", namespace="default", subresource="scale")
    api.patch("replicasets", "web", {"metadata": {"labels": {"team": "a"}}}, namespace="default")
    stale["spec"]["replicas"] = 4
    with pytest.raises(ApiError) as failure:
        api.update("replicasets", stale, namespace="default", subresource="scale")
    assert failure.value.code == 409
    assert failure.value.message.startswith(
        'Operation cannot be fulfilled on replicasets.apps "web": the object has been modified'
    )


def test_a_scale_for_another_object_with_the_same_name_is_a_conflict(api):
    create(api, "replicasets", "ReplicaSet")
    scale = api.get("replicasets", "web", namespace="default", subresource="scale")
    scale["metadata"].update(uid="someone-else", resourceVersion="")
    with pytest.raises(ApiError) as failure:
        api.update("replicasets", scale, namespace="default", subresource="scale")
    assert failure.value.code == 409
    assert "Precondition failed: UID in precondition: someone-else" in failure.value.message


def test_pods_have_no_scale(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    with pytest.raises(ApiError) as failure:
        api.get("pods", "web", namespace="default", subresource="scale")
    assert failure.value.code == 404


def test_a_scale_write_is_traced_as_a_scaling(api):
    create(api, "deployments", "Deployment")
    api.patch(
        "deployments", "web", {"spec": {"replicas": 4}}, namespace="default", subresource="scale"
    )
    trace = Trace.objects.filter(sandbox=api.sandbox).order_by("-id").first()
    assert "scaled deployment default/web to 4 replicas" in trace.narration


def test_deleting_a_namespace_deletes_its_workloads(api, sandbox):
    from cluster.components.controllers import namespace as namespace_controller

    api.create("namespaces", {"metadata": {"name": "team"}})
    for resource, kind in KINDS:
        api.create(resource, workload_manifest(kind), namespace="team")
    api.delete("namespaces", "team")
    controller = ApiServer.as_component(sandbox, "controller-manager/namespace")
    namespace_controller.reconcile(controller, sandbox, {})
    for resource, _ in KINDS:
        assert api.list(resource, namespace="team")["items"] == []


@pytest.mark.parametrize(
    ("resource", "kind", "controller_name"),
    [
        ("replicasets", "ReplicaSet", "replicaset"),
        ("replicationcontrollers", "ReplicationController", "replicationcontroller"),
    ],
)
def test_the_controller_fills_a_workload_and_reports_a_valid_status(
    api, sandbox, resource, kind, controller_name
):
    create(api, resource, kind, replicas=2)
    component = f"controller-manager/{controller_name}"
    for _ in range(3):  # slow start: create, then observe what was created
        loops.step(sandbox, component)
    pods = api.list("pods", namespace="default", label_selector="app=web")["items"]
    assert len(pods) == 2
    assert {pod["metadata"]["ownerReferences"][0]["kind"] for pod in pods} == {kind}
    # The template's pods are pods: they get the pod-only defaults on their own create.
    assert all(pod["spec"]["enableServiceLinks"] is True for pod in pods)
    stored = api.get(resource, "web", namespace="default")
    assert stored["status"]["replicas"] == 2
    assert stored["status"]["observedGeneration"] == 1


def test_the_deployment_controller_rolls_out_through_the_api_server(api, sandbox):
    create(api, "deployments", "Deployment", replicas=2)
    for _ in range(3):
        loops.step(sandbox, "controller-manager/deployment")
        loops.step(sandbox, "controller-manager/replicaset")
    (replica_set,) = api.list("replicasets", namespace="default")["items"]
    hash_label = replica_set["metadata"]["labels"]["pod-template-hash"]
    assert replica_set["spec"]["replicas"] == 2
    scale = api.get("replicasets", replica_set["metadata"]["name"], subresource="scale")
    assert scale["status"]["selector"] == f"app=web,pod-template-hash={hash_label}"
    assert len(api.list("pods", namespace="default", label_selector="app=web")["items"]) == 2
    deployment = api.get("deployments", "web", namespace="default")
    assert deployment["status"]["observedGeneration"] == 1
    assert deployment["status"]["replicas"] == 2
