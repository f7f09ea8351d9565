"""The Kubernetes verbs through the Python interface: list, update, patch, delete, bind, watch."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError, ApiServer
from tests.apiserver.manifests import pod_manifest

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduler(sandbox) -> ApiServer:
    return ApiServer.as_component(sandbox, "scheduler")


@pytest.fixture
def kubelet(sandbox) -> ApiServer:
    return ApiServer.as_component(sandbox, "kubelet/node-1")


def names(pod_list: dict) -> list[str]:
    return [item["metadata"]["name"] for item in pod_list["items"]]


def test_list_filters_by_label_selector(api):
    for name, tier in [("a", "web"), ("b", "db"), ("c", "web")]:
        manifest = pod_manifest(name)
        manifest["metadata"]["labels"]["tier"] = tier
        api.create("pods", manifest, namespace="default")
    assert names(api.list("pods", namespace="default", label_selector="tier=web")) == ["a", "c"]
    assert names(api.list("pods", label_selector="tier!=web")) == ["b"]
    assert names(api.list("pods", label_selector="tier in (db, cache),run")) == ["b"]
    assert names(api.list("pods", label_selector="!tier")) == []


def test_list_filters_by_field_selector(api, scheduler):
    for name in ["a", "b", "c"]:
        api.create("pods", pod_manifest(name), namespace="default")
    scheduler.bind("b", "node-2")
    assert names(api.list("pods", field_selector="spec.nodeName=node-2")) == ["b"]
    assert names(api.list("pods", field_selector="spec.nodeName=")) == ["a", "c"]
    assert names(api.list("pods", field_selector="spec.nodeName!=,status.phase=Pending")) == ["b"]
    assert names(api.list("pods", field_selector="metadata.name==c")) == ["c"]
    assert (
        names(api.list("pods", field_selector="metadata.namespace=default,status.phase!=Pending"))
        == []
    )


def test_an_unsupported_field_selector_is_a_bad_request(api):
    with pytest.raises(ApiError) as failure:
        api.list("pods", field_selector="spec.image=nginx")
    assert (failure.value.code, failure.value.message) == (
        400,
        "field label not supported: spec.image",
    )


def test_list_pages_with_limit_and_continue(api):
    for i in range(7):
        api.create("pods", pod_manifest(f"p{i}"), namespace="default")
    seen, token, pages = [], "", 0
    while True:
        page = api.list("pods", namespace="default", limit=3, continue_token=token)
        seen += names(page)
        pages += 1
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert seen == [f"p{i}" for i in range(7)]
    assert pages == 3


def test_list_has_kind_and_resource_version(api):
    created = api.create("pods", pod_manifest("web"), namespace="default")
    pod_list = api.list("pods", namespace="default")
    assert (pod_list["kind"], pod_list["apiVersion"]) == ("PodList", "v1")
    assert pod_list["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_update_ignores_status_and_status_update_ignores_spec(api, kubelet):
    pod = api.create("pods", pod_manifest("web"), namespace="default")
    pod["status"] = {"phase": "Running"}
    pod["metadata"]["labels"]["changed"] = "yes"
    updated = api.update("pods", pod, namespace="default")
    assert updated["status"]["phase"] == "Pending"
    assert updated["metadata"]["labels"]["changed"] == "yes"

    updated["status"]["phase"] = "Running"
    updated["metadata"]["labels"]["sneaky"] = "yes"
    reported = kubelet.update_status("pods", updated, namespace="default")
    assert reported["status"]["phase"] == "Running"
    assert "sneaky" not in reported["metadata"]["labels"]


def test_an_unchanged_update_writes_nothing(api, sandbox):
    pod = api.create("pods", pod_manifest("web"), namespace="default")
    again = api.update("pods", pod, namespace="default")
    assert again["metadata"]["resourceVersion"] == pod["metadata"]["resourceVersion"]


def test_merge_patch_sets_and_removes_fields(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    patched = api.patch(
        "pods", "web", {"metadata": {"labels": {"tier": "front", "run": None}}}, namespace="default"
    )
    assert patched["metadata"]["labels"] == {"tier": "front"}


def test_json_patch_applies_operations_in_order(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    patched = api.patch(
        "pods",
        "web",
        [
            {"op": "add", "path": "/metadata/labels/tier", "value": "front"},
            {"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:1.27"},
        ],
        patch_type="json",
        namespace="default",
    )
    assert patched["metadata"]["labels"]["tier"] == "front"
    assert patched["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_a_failing_json_patch_changes_nothing(api):
    created = api.create("pods", pod_manifest("web"), namespace="default")
    with pytest.raises(ApiError) as failure:
        api.patch(
            "pods",
            "web",
            [{"op": "test", "path": "/metadata/name", "value": "x"}],
            patch_type="json",
            namespace="default",
        )
    assert failure.value.code == 422
    assert api.get("pods", "web", namespace="default") == created


def test_a_patch_that_breaks_validation_is_invalid(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    with pytest.raises(ApiError) as failure:
        api.patch("pods", "web", {"spec": {"restartPolicy": "Never"}}, namespace="default")
    assert failure.value.code == 422


def test_cordon_by_patch_marks_the_node_unschedulable(api):
    node = api.patch("nodes", "node-1", {"spec": {"unschedulable": True}})
    assert node["spec"]["unschedulable"] is True
    node = api.patch("nodes", "node-1", {"spec": {"unschedulable": None}})
    assert "unschedulable" not in node["spec"]


def test_binding_sets_the_node_and_the_pod_scheduled_condition(api, scheduler):
    api.create("pods", pod_manifest("web"), namespace="default")
    status = scheduler.bind("web", "node-2")
    assert status["status"] == "Success" and status["code"] == 201
    pod = api.get("pods", "web", namespace="default")
    assert pod["spec"]["nodeName"] == "node-2"
    assert {"type": "PodScheduled", "status": "True"}.items() <= pod["status"]["conditions"][
        0
    ].items()


def test_binding_an_assigned_pod_again_is_a_conflict(api, scheduler):
    api.create("pods", pod_manifest("web"), namespace="default")
    scheduler.bind("web", "node-2")
    with pytest.raises(ApiError) as failure:
        scheduler.bind("web", "node-1")
    assert failure.value.code == 409
    assert failure.value.message == (
        'Operation cannot be fulfilled on pods "web": pod web is already assigned to node "node-2"'
    )
    assert api.get("pods", "web", namespace="default")["spec"]["nodeName"] == "node-2"


def test_deleting_an_unscheduled_pod_removes_it_at_once(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    deleted = api.delete("pods", "web", namespace="default")
    assert deleted["metadata"]["name"] == "web"
    with pytest.raises(ApiError):
        api.get("pods", "web", namespace="default")


def test_deleting_a_running_pod_is_graceful(api, scheduler, sandbox):
    api.create("pods", pod_manifest("web"), namespace="default")
    scheduler.bind("web", "node-1")
    deleted = api.delete("pods", "web", namespace="default")
    meta = deleted["metadata"]
    assert meta["deletionGracePeriodSeconds"] == 30
    assert meta["deletionTimestamp"]
    assert api.get("pods", "web", namespace="default")["metadata"]["deletionTimestamp"]
    # The kubelet, once the containers are stopped, finishes the deletion.
    ApiServer.as_component(sandbox, "kubelet/node-1").delete(
        "pods", "web", namespace="default", grace_period_seconds=0
    )
    with pytest.raises(ApiError):
        api.get("pods", "web", namespace="default")


def test_delete_with_a_wrong_uid_precondition_is_a_conflict(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    with pytest.raises(ApiError) as failure:
        api.delete("pods", "web", namespace="default", preconditions={"uid": "other"})
    assert failure.value.code == 409
    assert api.get("pods", "web", namespace="default")


def test_deleting_a_node_answers_with_a_success_status(api):
    status = api.delete("nodes", "node-2")
    assert status["status"] == "Success"
    assert status["details"]["name"] == "node-2"


def test_system_namespaces_may_not_be_deleted(api):
    with pytest.raises(ApiError) as failure:
        api.delete("namespaces", "default")
    assert failure.value.code == 403


def test_watch_returns_changes_after_a_resource_version(api, scheduler):
    start = api.list("pods")["metadata"]["resourceVersion"]
    api.create("pods", pod_manifest("web"), namespace="default")
    scheduler.bind("web", "node-1")
    api.delete("pods", "web", namespace="default", grace_period_seconds=0)
    batch = api.watch("pods", resource_version=start)
    assert [e["type"] for e in batch.events] == ["ADDED", "MODIFIED", "DELETED"]
    assert batch.events[1]["object"]["spec"]["nodeName"] == "node-1"
    revisions = [int(e["object"]["metadata"]["resourceVersion"]) for e in batch.events]
    assert revisions == sorted(revisions) and revisions[-1] == batch.resource_version
    assert api.watch("pods", resource_version=batch.resource_version).events == []


def test_watch_from_zero_starts_with_every_current_object(api):
    api.create("pods", pod_manifest("a"), namespace="default")
    api.create("pods", pod_manifest("b"), namespace="default")
    batch = api.watch("pods", resource_version=0)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in batch.events] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
    ]


def test_watch_through_a_field_selector_sees_objects_enter_and_leave(api, scheduler):
    start = api.list("pods")["metadata"]["resourceVersion"]
    api.create("pods", pod_manifest("web"), namespace="default")
    scheduler.bind("web", "node-1")
    unscheduled = api.watch("pods", resource_version=start, field_selector="spec.nodeName=")
    on_node = api.watch("pods", resource_version=start, field_selector="spec.nodeName=node-1")
    assert [e["type"] for e in unscheduled.events] == ["ADDED", "DELETED"]
    assert [e["type"] for e in on_node.events] == ["ADDED"]


def test_events_and_leases_are_served(sandbox):
    kubelet = ApiServer.as_component(sandbox, "kubelet/node-1")
    lease = kubelet.create(
        "leases",
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "node-1"},
            "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40},
        },
        namespace="kube-node-lease",
    )
    assert lease["apiVersion"] == "coordination.k8s.io/v1"
    event = kubelet.create(
        "events",
        {
            "metadata": {"name": "web.1"},
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web"},
            "reason": "Pulling",
            "message": 'Pulling image "nginx"',
            "type": "Normal",
        },
        namespace="default",
    )
    assert event["reason"] == "Pulling"
    found = kubelet.list("events", namespace="default", field_selector="involvedObject.name=web")
    assert [e["reason"] for e in found["items"]] == ["Pulling"]
