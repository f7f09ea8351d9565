"""The history endpoint behind the page's replay: the store's changes to pods and
nodes with the object before and after, and the traces, a page at a time."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def pod(name: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}}


def history(client, sandbox, **params) -> dict:
    response = client.get(f"/sandboxes/{sandbox.pk}/history/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_history_holds_every_change_since_the_sandbox_began(alice_client, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    created = api.create("pods", pod("web"), namespace="default")
    api.patch("pods", "web", {"metadata": {"labels": {"tier": "front"}}}, namespace="default")
    api.delete("pods", "web", namespace="default")

    page = history(alice_client, sandbox, revisions=5000)
    assert page["oldest"] == 1
    assert page["more"] is False
    nodes = [e["key"] for e in page["events"] if e["type"] == "ADDED" and "minions" in e["key"]]
    assert nodes == [
        "/registry/minions/control-plane",
        "/registry/minions/node-1",
        "/registry/minions/node-2",
    ]
    web = [e for e in page["events"] if e["key"] == "/registry/pods/default/web"]
    assert [e["type"] for e in web] == ["ADDED", "MODIFIED", "DELETED"]
    added, labelled, deleted = web
    assert added["previous"] is None
    assert added["revision"] == int(created["metadata"]["resourceVersion"])
    assert labelled["previous"] == added["object"]
    assert labelled["object"]["metadata"]["labels"] == {"tier": "front"}
    assert deleted["previous"] == labelled["object"]
    create_traces = [t for t in page["traces"] if t["verb"] == "create" and t["name"] == "web"]
    assert [t["revision"] for t in create_traces] == [added["revision"]]


def test_history_pages_back_from_a_revision(alice_client, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    revisions = [
        int(api.create("pods", pod(f"web-{i}"), namespace="default")["metadata"]["resourceVersion"])
        for i in range(4)
    ]
    newest = history(alice_client, sandbox, to=revisions[-1], revisions=2)
    assert (newest["from"], newest["to"], newest["more"]) == (revisions[1], revisions[3], True)
    assert {e["object"]["metadata"]["name"] for e in newest["events"]} == {"web-2", "web-3"}
    assert all(newest["from"] < t["revision"] <= newest["to"] for t in newest["traces"])

    older = history(alice_client, sandbox, to=newest["from"], revisions=2)
    assert older["to"] == revisions[1]
    assert "web-1" in {e["object"]["metadata"]["name"] for e in older["events"]}
    assert "web-2" not in {e["object"]["metadata"]["name"] for e in older["events"]}


def test_the_instructor_may_read_the_history(client, sandbox, teacher):
    client.force_login(teacher)
    assert history(client, sandbox)["events"]


def test_another_student_gets_404(client, sandbox, bob):
    client.force_login(bob)
    refused = client.get(f"/sandboxes/{sandbox.pk}/history/")
    assert refused.status_code == 404
    assert refused.json()["reason"] == "NotFound"


def test_history_needs_a_login(client, sandbox):
    assert client.get(f"/sandboxes/{sandbox.pk}/history/").status_code == 401


def test_a_bad_revision_is_a_400(alice_client, sandbox):
    assert alice_client.get(f"/sandboxes/{sandbox.pk}/history/", {"to": "x"}).status_code == 400


def test_after_compaction_history_starts_where_the_whole_cluster_is_known(
    alice_client, sandbox, alice, settings
):
    settings.PODLAB_STORE_HISTORY = 4
    api = ApiServer.as_user(sandbox, alice)
    for i in range(8):
        api.create("pods", pod(f"web-{i}"), namespace="default")
    # node-1 was created long ago; its first retained change is this patch.
    patched = api.patch("nodes", "node-1", {"metadata": {"labels": {"lab": "yes"}}})
    api.create("pods", pod("last"), namespace="default")

    page = history(alice_client, sandbox, revisions=5000)
    assert page["oldest"] == int(patched["metadata"]["resourceVersion"])
    assert [e["object"]["metadata"]["name"] for e in page["events"]] == ["last"]
    assert page["more"] is False
