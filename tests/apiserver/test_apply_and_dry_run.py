"""Server-side apply and server dry runs through the API server's Python interface: what
the store keeps (cluster/apiserver/writes.py apply, registry.py dry_run_write)."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError
from cluster.apiserver.options import WriteOptions
from tests.apiserver.manifests import pod_manifest

pytestmark = pytest.mark.django_db

DRY_RUN = WriteOptions(dry_run=("All",))


def apply_as(api, manager: str, config: dict) -> dict:
    options = WriteOptions(field_manager=manager)
    return api.apply("pods", config["metadata"]["name"], config, options=options)[0]


def test_other_writes_keep_the_appliers_fields_and_an_empty_apply_gives_them_up(api):
    created = apply_as(api, "kubectl", pod_manifest("web"))
    patched = api.patch("pods", "web", {"metadata": {"labels": {"tier": "front"}}})
    assert patched["metadata"]["managedFields"] == created["metadata"]["managedFields"]
    bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}}
    emptied = apply_as(api, "kubectl", {**bare, "spec": pod_manifest("web")["spec"]})
    assert emptied["metadata"]["labels"] == {"tier": "front"}  # run=web was kubectl's
    (entry,) = emptied["metadata"]["managedFields"]
    assert set(entry["fieldsV1"]) == {"f:spec"}


def test_an_apply_that_sets_nothing_leaves_no_manager(api):
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    labelled = {**namespace, "metadata": {"name": "shop", "labels": {"team": "a"}}}
    options = WriteOptions(field_manager="kubectl")
    assert api.apply("namespaces", "shop", labelled, options=options)[1]  # created
    emptied, created = api.apply("namespaces", "shop", namespace, options=options)
    assert not created
    assert "team" not in emptied["metadata"].get("labels", {})
    assert "managedFields" not in emptied["metadata"]


def test_a_dry_run_update_answers_the_new_object_at_its_old_version_and_stores_nothing(api):
    created = api.create("pods", pod_manifest("web"), namespace="default")
    revision = api.store.revision()
    labelled = {"metadata": {"labels": {"tier": "front"}}}
    answer = api.patch("pods", "web", labelled, namespace="default", options=DRY_RUN)
    assert answer["metadata"]["labels"] == {"run": "web", "tier": "front"}
    assert answer["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert api.get("pods", "web", namespace="default") == created
    deleted = api.delete("pods", "web", namespace="default", options=DRY_RUN)
    assert deleted["metadata"]["name"] == "web"
    assert api.get("pods", "web", namespace="default") == created
    assert api.store.revision() == revision


def test_a_dry_run_create_is_refused_as_the_write_would_be(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    with pytest.raises(ApiError) as taken:
        api.create("pods", pod_manifest("web"), namespace="default", options=DRY_RUN)
    assert (taken.value.code, taken.value.message) == (409, 'pods "web" already exists')
    with pytest.raises(ApiError) as missing:
        api.create("pods", pod_manifest("db"), namespace="nowhere", options=DRY_RUN)
    assert (missing.value.code, missing.value.message) == (404, 'namespaces "nowhere" not found')
