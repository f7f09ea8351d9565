"""Each failure is a Kubernetes Status with the upstream code, reason, message and details."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError, ApiServer
from cluster.store import MAX_VALUE_BYTES
from tests.apiserver.manifests import pod_manifest

pytestmark = pytest.mark.django_db


def status_of(call) -> dict:
    with pytest.raises(ApiError) as failure:
        call()
    return failure.value.status()


def test_get_of_a_missing_pod_is_not_found(api):
    assert status_of(lambda: api.get("pods", "ghost", namespace="default")) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "ghost" not found',
        "reason": "NotFound",
        "details": {"name": "ghost", "kind": "pods"},
        "code": 404,
    }


def test_creating_a_pod_twice_is_already_exists(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    status = status_of(lambda: api.create("pods", pod_manifest("web"), namespace="default"))
    assert (status["code"], status["reason"], status["message"]) == (
        409,
        "AlreadyExists",
        'pods "web" already exists',
    )


def test_update_with_a_stale_resource_version_is_conflict(api):
    created = api.create("pods", pod_manifest("web"), namespace="default")
    api.patch("pods", "web", {"metadata": {"labels": {"tier": "front"}}}, namespace="default")
    stale = {**created, "metadata": {**created["metadata"], "labels": {"tier": "back"}}}
    status = status_of(lambda: api.update("pods", stale, namespace="default"))
    assert status["code"] == 409 and status["reason"] == "Conflict"
    assert status["message"] == (
        'Operation cannot be fulfilled on pods "web": the object has been modified;'
        " please apply your changes to the latest version and try again"
    )
    assert api.get("pods", "web", namespace="default")["metadata"]["labels"]["tier"] == "front"


def test_a_pod_without_containers_is_invalid(api):
    manifest = pod_manifest("web")
    manifest["spec"]["containers"] = []
    status = status_of(lambda: api.create("pods", manifest, namespace="default"))
    assert (status["code"], status["reason"]) == (422, "Invalid")
    assert status["message"] == 'Pod "web" is invalid: spec.containers: Required value'
    assert status["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers"}
    ]
    assert status["details"]["kind"] == "Pod"


def test_another_students_sandbox_is_forbidden(sandbox, bob):
    status = status_of(
        lambda: ApiServer.as_user(sandbox, bob).get("pods", "web", namespace="default")
    )
    assert status["code"] == 403 and status["reason"] == "Forbidden"
    assert status["message"] == (
        'pods "web" is forbidden: User "bob" cannot get resource "pods" in API group ""'
        ' in the namespace "default"'
    )


def test_an_anonymous_caller_is_unauthorized(sandbox):
    from django.contrib.auth.models import AnonymousUser

    status = status_of(lambda: ApiServer.as_user(sandbox, AnonymousUser()).list("pods"))
    assert (status["code"], status["reason"], status["message"]) == (
        401,
        "Unauthorized",
        "Unauthorized",
    )


def test_an_unknown_token_is_unauthorized(sandbox):
    status = status_of(lambda: ApiServer.as_token(sandbox, "podlab-nope").list("pods"))
    assert status["code"] == 401


def test_watch_from_a_compacted_revision_is_expired(api, settings):
    settings.PODLAB_STORE_HISTORY = 5
    first = api.create("pods", pod_manifest("web"), namespace="default")
    for i in range(12):
        api.patch("pods", "web", {"metadata": {"labels": {"n": str(i)}}}, namespace="default")
    old = first["metadata"]["resourceVersion"]
    status = status_of(lambda: api.watch("pods", resource_version=old, namespace="default"))
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"].startswith(f"too old resource version: {old} (")


def test_an_object_over_etcds_limit_is_etcds_refusal_passed_on_as_upstream_does(api):
    """Under kube-apiserver's 3 MiB body limit but over etcd's 1.5 MiB: etcd answers
    "request is too large", and kube-apiserver passes it on as a 500 with no reason
    (tests/web/test_request_limits.py has the 413 for a body over 3 MiB)."""
    manifest = pod_manifest("big")
    manifest["spec"]["containers"][0]["env"] = [{"name": "BLOB", "value": "x" * MAX_VALUE_BYTES}]
    status = status_of(lambda: api.create("pods", manifest, namespace="default"))
    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "etcdserver: request is too large",
        "code": 500,
    }
    assert status_of(lambda: api.get("pods", "big", namespace="default"))["code"] == 404


def test_a_pod_in_a_missing_namespace_is_not_found(api):
    revision = api.list("pods")["metadata"]["resourceVersion"]
    status = status_of(lambda: api.create("pods", pod_manifest("web"), namespace="nowhere"))
    assert (status["code"], status["message"]) == (404, 'namespaces "nowhere" not found')
    assert api.list("pods")["metadata"]["resourceVersion"] == revision, "nothing was written"


def test_a_missing_namespace_is_reported_before_invalid_fields(api):
    """Upstream's order: NamespaceLifecycle admission answers before validation."""
    manifest = pod_manifest("web")
    manifest["spec"]["restartPolicy"] = "Sometimes"
    status = status_of(lambda: api.create("pods", manifest, namespace="nowhere"))
    assert (status["code"], status["reason"]) == (404, "NotFound")


def test_an_unknown_resource_is_not_found(api):
    assert status_of(lambda: api.list("widgets"))["message"] == (
        "the server could not find the requested resource"
    )


def test_a_body_of_the_wrong_kind_is_a_bad_request(api):
    manifest = pod_manifest("web") | {"kind": "Node"}
    status = status_of(lambda: api.create("pods", manifest, namespace="default"))
    assert (status["code"], status["reason"]) == (400, "BadRequest")
