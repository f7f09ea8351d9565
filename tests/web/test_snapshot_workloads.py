"""The live page's snapshot lists the workload kinds the diagram groups pods under,
read through the API server like nodes and pods, and empty for a kind the API server
does not serve (yet)."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError, ApiServer
from cluster.resources import RESOURCES
from sandbox.selectors import SNAPSHOT_WORKLOADS, items_if_served, sandbox_snapshot

pytestmark = pytest.mark.django_db


def test_a_kind_the_api_server_does_not_serve_lists_as_empty(sandbox, alice):
    apiserver = ApiServer.as_user(sandbox, alice)
    assert items_if_served(apiserver, "widgets") == []
    nodes = [node["metadata"]["name"] for node in items_if_served(apiserver, "nodes")]
    assert nodes == ["control-plane", "node-1", "node-2"]


def test_a_refusal_other_than_not_served_is_not_hidden(sandbox, bob):
    with pytest.raises(ApiError) as refused:
        items_if_served(ApiServer.as_user(sandbox, bob), "nodes")
    assert refused.value.code == 403


def test_the_snapshot_has_every_workload_list_even_before_its_kind_is_served(
    sandbox, alice, monkeypatch
):
    for resource in SNAPSHOT_WORKLOADS:
        monkeypatch.delitem(RESOURCES, resource, raising=False)
    snapshot = sandbox_snapshot(sandbox, alice)
    assert {resource: snapshot[resource] for resource in SNAPSHOT_WORKLOADS} == {
        "deployments": [],
        "replicasets": [],
        "replicationcontrollers": [],
        "services": [],
        "endpointslices": [],
    }
    revision = ApiServer.as_user(sandbox, alice).list("pods")["metadata"]["resourceVersion"]
    assert snapshot["revision"] == int(revision)
    assert [node["metadata"]["name"] for node in snapshot["nodes"]] == [
        "control-plane",
        "node-1",
        "node-2",
    ]
