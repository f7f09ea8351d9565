"""Per sandbox: the size of one object (etcd's 1.5 MiB) and the number of objects (a quota),
answered as a real cluster answers them."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError, ApiServer
from cluster.models import Trace
from cluster.models.store import StoreKey, StoreRevision
from cluster.store import MAX_VALUE_BYTES
from tests.apiserver.manifests import pod_manifest, workload_manifest

pytestmark = pytest.mark.django_db


def blob_pod(name: str, size: int) -> dict:
    """A pod carrying `size` bytes in an environment variable (which has no limit of its
    own, unlike annotations' 256 KiB)."""
    manifest = pod_manifest(name)
    manifest["spec"]["containers"][0]["env"] = [{"name": "BLOB", "value": "x" * size}]
    return manifest


def test_an_object_just_under_etcds_limit_is_stored(api):
    created = api.create("pods", blob_pod("fits", MAX_VALUE_BYTES - 64 * 1024), namespace="default")
    assert created["metadata"]["name"] == "fits"


def test_an_update_that_grows_an_object_over_etcds_limit_changes_nothing(api):
    created = api.create("deployments", workload_manifest("Deployment"), namespace="default")
    containers = created["spec"]["template"]["spec"]["containers"]
    containers[0]["env"] = [{"name": "BLOB", "value": "x" * MAX_VALUE_BYTES}]
    grow = {"spec": {"template": {"spec": {"containers": containers}}}}
    with pytest.raises(ApiError) as refused:
        api.patch("deployments", "web", grow, namespace="default")
    assert (refused.value.code, refused.value.message) == (500, "etcdserver: request is too large")
    kept = api.get("deployments", "web", namespace="default")
    assert kept["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_the_refusal_is_traced_at_etcd_and_told_plainly(api, sandbox):
    with pytest.raises(ApiError):
        api.create("pods", blob_pod("big", MAX_VALUE_BYTES), namespace="default")
    trace = Trace.objects.filter(sandbox=sandbox, name="big").get()
    assert (trace.code, trace.reason) == (500, "")
    assert trace.stages[-1] == {
        "stage": "etcd",
        "ok": False,
        "detail": "etcdserver: request is too large",
    }
    assert trace.narration.endswith(": 500 (etcdserver: request is too large)")


# -- the quota of objects per sandbox -------------------------------------------------


def stored_objects(sandbox) -> int:
    """What the quota counts, counted the slow way: every key but Events'."""
    keys = StoreKey.objects.filter(sandbox=sandbox).exclude(key__startswith="/registry/events/")
    return keys.count()


def counted_objects(sandbox) -> int:
    return StoreRevision.objects.get(sandbox=sandbox).object_count


@pytest.fixture
def two_places_left(sandbox, settings) -> int:
    """The quota set to what the sandbox holds, plus two (before the `api` fixture builds
    its API server, which reads it)."""
    settings.PODLAB_MAX_OBJECTS_PER_SANDBOX = stored_objects(sandbox) + 2
    return settings.PODLAB_MAX_OBJECTS_PER_SANDBOX


def test_a_create_past_the_quota_is_forbidden_as_a_resource_quota_answers(
    two_places_left, api, sandbox
):
    for name in ("one", "two"):
        api.create("pods", pod_manifest(name), namespace="default")
    revision = api.list("pods")["metadata"]["resourceVersion"]
    with pytest.raises(ApiError) as refused:
        api.create("pods", pod_manifest("three"), namespace="default")
    limit = two_places_left
    assert refused.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": (
            'pods "three" is forbidden: exceeded quota: sandbox-objects, requested:'
            f" count/objects=1, used: count/objects={limit}, limited: count/objects={limit}"
        ),
        "reason": "Forbidden",
        "details": {"name": "three", "kind": "pods"},
        "code": 403,
    }
    assert api.list("pods")["metadata"]["resourceVersion"] == revision, "nothing was written"


def test_the_refusal_is_admissions_and_shows_on_the_sandboxs_timeline(
    two_places_left, api, sandbox
):
    """Unlike a refusal at authorization, the caller belongs here: the student sees why."""
    for name in ("one", "two"):
        api.create("pods", pod_manifest(name), namespace="default")
    with pytest.raises(ApiError):
        api.create("pods", pod_manifest("three"), namespace="default")
    trace = Trace.objects.get(sandbox=sandbox, name="three")
    assert trace.code == 403
    assert trace.stages[-1]["stage"] == "admission" and not trace.stages[-1]["ok"]


def test_a_deleted_object_frees_its_place(two_places_left, api, sandbox):
    for name in ("one", "two"):
        api.create("pods", pod_manifest(name), namespace="default")
    api.delete("pods", "one", namespace="default", grace_period_seconds=0)
    api.create("pods", pod_manifest("three"), namespace="default")
    assert counted_objects(sandbox) == stored_objects(sandbox) == two_places_left


def test_components_meet_the_quota_too_and_events_do_not_count(sandbox, two_places_left):
    """A Deployment's controller may not create past it either, so replicas: 100000 cannot
    fill the server; Events, which upstream expires, are not counted."""
    controller = ApiServer.as_component(sandbox, "controller-manager/replicaset")
    for name in ("one", "two"):
        controller.create("pods", pod_manifest(name), namespace="default")
    with pytest.raises(ApiError) as refused:
        controller.create("pods", pod_manifest("three"), namespace="default")
    assert refused.value.code == 403
    event = {
        "metadata": {"name": "one.1"},
        "involvedObject": {"kind": "Pod", "name": "one", "namespace": "default"},
        "reason": "Created",
        "message": "Created container",
        "type": "Normal",
    }
    controller.create("events", event, namespace="default")


def test_the_count_stays_exact_through_every_kind_of_write(api, sandbox):
    """Creates, updates, deletes, a Service with the allocations written beside it, and a
    namespace's contents deleted: the counter kept by the writes matches a count."""
    api.create("pods", pod_manifest("web"), namespace="default")
    api.patch("pods", "web", {"metadata": {"labels": {"tier": "front"}}}, namespace="default")
    api.create(
        "services",
        {"metadata": {"name": "web"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}},
        namespace="default",
    )
    api.create("namespaces", {"metadata": {"name": "scratch"}})
    api.create("pods", pod_manifest("tmp"), namespace="scratch")
    assert counted_objects(sandbox) == stored_objects(sandbox)
    api.delete("services", "web", namespace="default")
    api.delete("pods", "tmp", namespace="scratch", grace_period_seconds=0)
    api.delete("pods", "web", namespace="default", grace_period_seconds=0)
    assert counted_objects(sandbox) == stored_objects(sandbox)
