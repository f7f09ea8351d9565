"""The garbage collector's pass on fixed objects: background, foreground and orphan."""

from __future__ import annotations

import datetime as dt

from cluster.components.controllers.garbagecollector import concerns_the_collector, reconcile
from cluster.objects import format_time
from tests.unit.fakes import FakeApiError, FakeClock, FakeClusterApi

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def replicaset(name: str = "web", uid: str = "rs-1", **meta) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": "default", "uid": uid, **meta},
        "spec": {"replicas": 2},
    }


def owned_pod(name: str, *owners: dict, node: str = "", block: bool = True) -> dict:
    refs = [
        {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": block,
        }
        for owner in owners
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "ownerReferences": refs,
        },
        "spec": {"nodeName": node, "containers": [{"name": "web", "image": "nginx"}]},
    }


def deleting(owner: dict, finalizer: str) -> dict:
    owner["metadata"].update(
        deletionTimestamp=format_time(START),
        deletionGracePeriodSeconds=0,
        finalizers=[finalizer],
    )
    return owner


def cluster(*objects: tuple[str, dict]) -> tuple[FakeClusterApi, FakeClock]:
    clock = FakeClock(START)
    api = FakeClusterApi(clock=clock)
    for resource, obj in objects:
        api.put(resource, obj)
    return api, clock


def run(api: FakeClusterApi, clock: FakeClock) -> dict:
    memory: dict = {}
    reconcile(api, clock, memory)
    return memory


def pod_names(api: FakeClusterApi) -> list[str]:
    return sorted(name for _, name in api.objects["pods"])


def test_a_dependent_whose_owner_is_gone_is_deleted_in_the_background():
    gone_owner = replicaset()
    api, clock = cluster(("pods", owned_pod("web-x2x7q", gone_owner)))
    memory = run(api, clock)
    assert pod_names(api) == []
    assert api.reasons == [
        "replicaset default/web is gone: deleting its dependent pod default/web-x2x7q"
    ]
    delete = next(call for call in api.calls if call[0] == "delete")
    assert delete[4]["uid"] == "uid-web-x2x7q" and delete[5] == "Background"
    # It looks again at once: its own deletes do not wake it.
    assert memory["wake_at"] == format_time(START)


def test_dependents_of_an_existing_owner_stay_and_nothing_is_written():
    owner = replicaset()
    api, clock = cluster(("replicasets", owner), ("pods", owned_pod("web-a", owner)))
    memory = run(api, clock)
    assert pod_names(api) == ["web-a"]
    assert api.writes() == []
    assert memory["wake_at"] is None


def test_an_owner_of_the_same_name_but_another_uid_does_not_own_the_dependent():
    old = replicaset(uid="rs-old")
    api, clock = cluster(
        ("replicasets", replicaset(uid="rs-new")), ("pods", owned_pod("web-a", old))
    )
    run(api, clock)
    assert pod_names(api) == []


def test_a_dependent_that_keeps_a_living_owner_only_loses_its_reference_to_the_gone_one():
    living, gone_owner = replicaset("keep", "rs-keep"), replicaset("old", "rs-old")
    api, clock = cluster(("replicasets", living), ("pods", owned_pod("web-a", living, gone_owner)))
    run(api, clock)
    refs = api.pod("web-a")["metadata"]["ownerReferences"]
    assert [ref["uid"] for ref in refs] == ["rs-keep"]


def test_foreground_deletion_deletes_blocking_dependents_first_then_frees_the_owner():
    owner = deleting(replicaset(), "foregroundDeletion")
    api, clock = cluster(
        ("replicasets", owner),
        ("pods", owned_pod("web-a", owner, block=False)),
        ("pods", owned_pod("web-b", owner, block=True)),
    )
    run(api, clock)
    deleted = [call[2] for call in api.calls if call[0] == "delete"]
    assert deleted == ["web-b", "web-a"]
    assert api.reasons[0] == (
        "replicaset default/web is being deleted in the foreground: deleting its dependent"
        " pod default/web-b"
    )
    # The owner keeps its finalizer until a pass sees no blocking dependent left.
    assert api.objects["replicasets"][("default", "web")]["metadata"]["finalizers"] == [
        "foregroundDeletion"
    ]
    run(api, clock)
    assert api.reasons[-1] == (
        "replicaset default/web has no blocking dependents left: removing its"
        " foregroundDeletion finalizer"
    )
    assert ("default", "web") not in api.objects["replicasets"]


def test_a_terminating_blocking_dependent_holds_its_foreground_owner_until_it_is_gone():
    owner = deleting(replicaset(), "foregroundDeletion")
    api, clock = cluster(("replicasets", owner), ("pods", owned_pod("web-a", owner, node="n1")))
    run(api, clock)
    assert api.pod("web-a")["metadata"]["deletionTimestamp"]  # graceful: the kubelet's turn
    memory = run(api, clock)
    assert ("default", "web") in api.objects["replicasets"]
    assert memory["wake_at"] is None
    api.delete("pods", "web-a", namespace="default", grace_period_seconds=0)  # the kubelet
    run(api, clock)
    assert ("default", "web") not in api.objects["replicasets"]


def test_orphan_deletion_strips_the_owner_from_its_dependents_then_frees_it():
    owner = deleting(replicaset(), "orphan")
    api, clock = cluster(
        ("replicasets", owner),
        ("pods", owned_pod("web-a", owner)),
        ("pods", owned_pod("web-b", owner)),
    )
    run(api, clock)
    assert pod_names(api) == ["web-a", "web-b"]
    assert all("ownerReferences" not in api.pod(name)["metadata"] for name in ("web-a", "web-b"))
    assert ("default", "web") not in api.objects["replicasets"]
    assert api.reasons[0] == (
        "replicaset default/web is deleted with propagationPolicy Orphan: removing its"
        " ownerReference from pod default/web-a"
    )


class NoReplicaSetsYet(FakeClusterApi):
    """An API server that does not serve replicasets (another engineer adds them)."""

    def list(self, resource: str, **kwargs) -> dict:
        if resource == "replicasets":
            raise FakeApiError(404, "NotFound", "the server could not find the requested resource")
        return super().list(resource, **kwargs)


def test_a_dependent_of_a_kind_the_server_does_not_serve_is_kept():
    clock = FakeClock(START)
    api = NoReplicaSetsYet(clock=clock, pods=[owned_pod("web-a", replicaset())])
    memory = run(api, clock)
    assert pod_names(api) == ["web-a"]
    assert memory["wake_at"] is None


def test_a_refused_delete_is_retried_later():
    api, clock = cluster(("pods", owned_pod("web-a", replicaset())))
    api.objects["pods"][("default", "web-a")]["metadata"]["resourceVersion"] = "stale"
    original_list = api.list

    def stale_list(resource: str, **kwargs) -> dict:
        listing = original_list(resource, **kwargs)
        for item in listing["items"]:
            item["metadata"]["resourceVersion"] = "0"  # older than the stored object
        return listing

    api.list = stale_list
    memory = run(api, clock)
    assert pod_names(api) == ["web-a"]
    assert memory["wake_at"] == format_time(START + dt.timedelta(seconds=5))


def test_it_wakes_for_deletions_and_ownership_changes_not_for_status_updates():
    owned = owned_pod("web-a", replicaset())
    reported = {**owned, "status": {"phase": "Running"}}
    assert concerns_the_collector("pods", {"type": "ADDED", "object": owned, "previous": None})
    assert not concerns_the_collector(
        "pods", {"type": "MODIFIED", "object": reported, "previous": owned}
    )
    assert concerns_the_collector("pods", {"type": "DELETED", "object": owned, "previous": owned})
    bare = {"metadata": {"name": "bare"}}
    assert not concerns_the_collector("pods", {"type": "DELETED", "object": bare, "previous": bare})
    owner = replicaset()
    marked = deleting(replicaset(), "orphan")
    assert concerns_the_collector(
        "replicasets", {"type": "MODIFIED", "object": marked, "previous": owner}
    )
