"""Delete propagation, finalizers and namespace termination, as upstream's generic store
and namespace registry do them."""

import pytest

from cluster.apiserver import ApiError, ApiServer
from tests.apiserver.manifests import pod_manifest, workload_manifest

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduler(sandbox) -> ApiServer:
    return ApiServer.as_component(sandbox, "scheduler")


def gone(api: ApiServer, resource: str, name: str, namespace: str = "") -> bool:
    try:
        api.get(resource, name, namespace=namespace)
    except ApiError as error:
        return error.code == 404
    return False


def test_foreground_delete_keeps_the_object_until_the_gc_removes_its_finalizer(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    deleted = api.delete("pods", "web", namespace="default", propagation_policy="Foreground")
    meta = deleted["metadata"]
    assert meta["finalizers"] == ["foregroundDeletion"]
    assert meta["deletionTimestamp"] and meta["deletionGracePeriodSeconds"] == 0
    assert api.get("pods", "web", namespace="default")["metadata"]["deletionTimestamp"]
    api.patch("pods", "web", {"metadata": {"finalizers": None}}, namespace="default")
    assert gone(api, "pods", "web", "default")


def test_orphan_delete_adds_the_orphan_finalizer_and_moves_the_generation(api):
    api.create("deployments", workload_manifest("Deployment"), namespace="default")
    api.delete("deployments", "web", namespace="default", propagation_policy="Orphan")
    meta = api.get("deployments", "web", namespace="default")["metadata"]
    assert meta["finalizers"] == ["orphan"]
    assert meta["generation"] == 2
    assert meta["deletionTimestamp"]
    # A kind that keeps no generation (a Node, in 1.32) gets none.
    api.delete("nodes", "node-2", propagation_policy="Orphan")
    node = api.get("nodes", "node-2")["metadata"]
    assert node["finalizers"] == ["orphan"] and "generation" not in node


def test_a_background_delete_drops_the_collectors_finalizers_and_deletes_at_once(api):
    api.delete("nodes", "node-2", propagation_policy="Foreground")
    status = api.delete("nodes", "node-2", propagation_policy="Background")
    assert status["status"] == "Success"
    assert gone(api, "nodes", "node-2")


def test_a_delete_without_a_policy_keeps_the_finalizers_chosen_before(api):
    api.delete("nodes", "node-2", propagation_policy="Orphan")
    again = api.delete("nodes", "node-2")
    assert again["metadata"]["finalizers"] == ["orphan"]


def test_an_objects_own_finalizer_holds_its_deletion_and_none_may_be_added(api):
    manifest = pod_manifest("web")
    manifest["metadata"]["finalizers"] = ["example.com/keep"]
    api.create("pods", manifest, namespace="default")
    api.delete("pods", "web", namespace="default")
    pod = api.get("pods", "web", namespace="default")
    assert pod["metadata"]["deletionTimestamp"]
    with pytest.raises(ApiError) as failure:
        api.patch(
            "pods",
            "web",
            {"metadata": {"finalizers": ["example.com/keep", "example.com/more"]}},
            namespace="default",
        )
    assert failure.value.code == 422
    assert (
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being"
        ' deleted, found new finalizers []string{"example.com/more"}' in failure.value.message
    )
    api.patch("pods", "web", {"metadata": {"finalizers": []}}, namespace="default")
    assert gone(api, "pods", "web", "default")


def test_a_running_pod_with_a_finalizer_waits_for_its_kubelet_and_its_finalizer(
    api, scheduler, sandbox
):
    manifest = pod_manifest("web")
    manifest["metadata"]["finalizers"] = ["example.com/keep"]
    api.create("pods", manifest, namespace="default")
    scheduler.bind("web", "node-1")
    assert (
        api.delete("pods", "web", namespace="default")["metadata"]["deletionGracePeriodSeconds"]
        == 30
    )
    kubelet = ApiServer.as_component(sandbox, "kubelet/node-1")
    kubelet.delete("pods", "web", namespace="default", grace_period_seconds=0)
    pod = api.get("pods", "web", namespace="default")
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 0
    api.patch("pods", "web", {"metadata": {"finalizers": None}}, namespace="default")
    assert gone(api, "pods", "web", "default")


def test_an_unsupported_propagation_policy_is_invalid(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    with pytest.raises(ApiError) as failure:
        api.delete("pods", "web", namespace="default", propagation_policy="Sideways")
    assert failure.value.code == 422
    assert failure.value.message == (
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value:'
        ' "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"'
    )
    assert api.get("pods", "web", namespace="default")


def test_events_ignore_a_propagation_policy(api):
    event = {
        "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "Scheduled",
        "message": "placed",
        "type": "Normal",
    }
    api.create("events", event, namespace="default")
    api.delete("events", "web.1", namespace="default", propagation_policy="Foreground")
    assert gone(api, "events", "web.1", "default")


# --- namespaces -------------------------------------------------------------------


def test_deleting_a_namespace_marks_it_terminating_and_keeps_its_content(api):
    api.create("namespaces", {"metadata": {"name": "team"}})
    api.create("pods", pod_manifest("web"), namespace="team")
    deleted = api.delete("namespaces", "team")
    assert deleted["status"]["phase"] == "Terminating"
    assert deleted["metadata"]["deletionTimestamp"]
    assert deleted["spec"]["finalizers"] == ["kubernetes"]
    assert [p["metadata"]["name"] for p in api.list("pods", namespace="team")["items"]] == ["web"]


def test_nothing_new_goes_into_a_terminating_namespace(api):
    api.create("namespaces", {"metadata": {"name": "team"}})
    api.delete("namespaces", "team")
    with pytest.raises(ApiError) as failure:
        api.create("pods", pod_manifest("web"), namespace="team")
    status = failure.value.status()
    assert (status["code"], status["reason"]) == (403, "Forbidden")
    assert status["message"] == (
        'pods "web" is forbidden: unable to create new content in namespace team because it'
        " is being terminated"
    )
    assert status["details"]["causes"] == [
        {
            "reason": "NamespaceTerminating",
            "message": "namespace team is being terminated",
            "field": "metadata.namespace",
        }
    ]


def test_a_finalized_terminating_namespace_goes(api):
    api.create("namespaces", {"metadata": {"name": "team"}})
    namespace = api.delete("namespaces", "team")
    namespace["spec"]["finalizers"] = []
    api.update("namespaces", namespace, subresource="finalize")
    assert gone(api, "namespaces", "team")


def test_only_the_finalize_subresource_changes_a_namespaces_finalizers(api):
    namespace = api.create("namespaces", {"metadata": {"name": "team"}})
    namespace["spec"]["finalizers"] = []
    kept = api.update("namespaces", namespace)
    assert kept["spec"]["finalizers"] == ["kubernetes"]


# --- the controllers against the real API server --------------------------------------


def test_the_garbage_collector_deletes_a_pod_whose_owner_node_is_gone(api, sandbox):
    from cluster.components.controllers import garbagecollector

    node = api.get("nodes", "node-2")
    manifest = pod_manifest("mirror")
    manifest["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "Node", "name": "node-2", "uid": node["metadata"]["uid"]}
    ]
    api.create("pods", manifest, namespace="default")
    collector = ApiServer.as_component(sandbox, "controller-manager/garbagecollector")
    garbagecollector.reconcile(collector, sandbox, {})
    assert api.get("pods", "mirror", namespace="default")  # its owner is there
    api.delete("nodes", "node-2")
    memory: dict = {}
    garbagecollector.reconcile(collector, sandbox, memory)
    assert gone(api, "pods", "mirror", "default")
    assert memory["wake_at"]


def test_the_namespace_controller_empties_and_removes_a_terminating_namespace(api, sandbox):
    from cluster.components.controllers import namespace as namespace_controller

    api.create("namespaces", {"metadata": {"name": "team"}})
    api.create("pods", pod_manifest("web"), namespace="team")
    api.delete("namespaces", "team")
    controller = ApiServer.as_component(sandbox, "controller-manager/namespace")
    namespace_controller.reconcile(controller, sandbox, {})
    assert gone(api, "pods", "web", "team")
    assert gone(api, "namespaces", "team")
