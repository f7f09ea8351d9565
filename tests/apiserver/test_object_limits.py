"""Per sandbox: the size of one object (etcd's 1.5 MiB), as a real cluster answers it."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError
from cluster.models import Trace
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
