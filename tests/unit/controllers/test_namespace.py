"""The namespace controller's pass: empty a Terminating namespace, then finalize it."""

from __future__ import annotations

import datetime as dt

from cluster.components.controllers.namespace import reconcile
from cluster.objects import format_time
from tests.unit.fakes import FakeClock, FakeClusterApi

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def namespace(name: str, *, terminating: bool = True) -> dict:
    meta: dict = {"name": name, "uid": f"uid-{name}"}
    if terminating:
        meta["deletionTimestamp"] = format_time(START)
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta,
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Terminating" if terminating else "Active"},
    }


def pod(name: str, ns: str = "team", *, node: str = "", **meta) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", **meta},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]},
        "status": {"phase": "Running" if node else "Pending"},
    }


def setup(*objects: tuple[str, dict]) -> tuple[FakeClusterApi, FakeClock]:
    clock = FakeClock(START)
    api = FakeClusterApi(clock=clock)
    for resource, obj in objects:
        api.put(resource, obj)
    return api, clock


def run(api: FakeClusterApi, clock: FakeClock) -> dict:
    memory: dict = {}
    reconcile(api, clock, memory)
    return memory


def conditions(api: FakeClusterApi, name: str = "team") -> dict[str, tuple[str, str, str]]:
    status = api.objects["namespaces"][("", name)]["status"]
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in status["conditions"]}


def test_an_empty_terminating_namespace_is_finalized_and_goes():
    api, clock = setup(("namespaces", namespace("team")))
    memory = run(api, clock)
    assert ("", "team") not in api.objects["namespaces"]
    assert "namespace team is Terminating and empty: removing its kubernetes finalizer" in (
        api.reasons
    )
    assert memory["wake_at"] is None


def test_an_active_namespace_and_its_content_are_left_alone():
    api, clock = setup(("namespaces", namespace("team", terminating=False)), ("pods", pod("web")))
    run(api, clock)
    assert api.writes() == []


def test_content_is_deleted_in_the_background_and_the_namespace_then_goes():
    api, clock = setup(
        ("namespaces", namespace("team")),
        ("pods", pod("web")),
        ("pods", pod("other", "default")),
    )
    run(api, clock)
    delete = next(call for call in api.calls if call[0] == "delete")
    assert delete[:3] == ("delete", "pods", "web") and delete[-1] == "Background"
    assert api.reasons[0] == "namespace team is Terminating: deleting pod team/web in it"
    assert list(api.objects["pods"]) == [("default", "other")]
    assert ("", "team") not in api.objects["namespaces"]


def test_a_running_pod_keeps_the_namespace_terminating_with_upstreams_conditions():
    api, clock = setup(("namespaces", namespace("team")), ("pods", pod("web", node="node-1")))
    memory = run(api, clock)
    assert api.pod("web", "team")["metadata"]["deletionTimestamp"]  # the kubelet's turn
    assert conditions(api) == {
        "NamespaceDeletionDiscoveryFailure": (
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        "NamespaceDeletionGroupVersionParsingFailure": (
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        "NamespaceDeletionContentFailure": (
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
        "NamespaceContentRemaining": (
            "True",
            "SomeResourcesRemain",
            "Some resources are remaining: pods. has 1 resource instances",
        ),
        "NamespaceFinalizersRemaining": (
            "False",
            "ContentHasNoFinalizers",
            "All content-preserving finalizers finished",
        ),
    }
    # Upstream looks again after half the pods' grace period, plus one second.
    assert memory["wake_at"] == format_time(START + dt.timedelta(seconds=16))
    api.delete("pods", "web", namespace="team", grace_period_seconds=0)  # the kubelet
    run(api, clock)
    assert ("", "team") not in api.objects["namespaces"]


def test_content_held_by_a_finalizer_is_counted_and_waited_for():
    held = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "team", "finalizers": ["example.com/keep"]},
        "spec": {"ports": [{"port": 80}]},
    }
    api, clock = setup(("namespaces", namespace("team")), ("services", held))
    memory = run(api, clock)
    assert conditions(api)["NamespaceFinalizersRemaining"] == (
        "True",
        "SomeFinalizersRemain",
        "Some content in the namespace has finalizers remaining: example.com/keep in 1"
        " resource instances",
    )
    assert conditions(api)["NamespaceContentRemaining"][2] == (
        "Some resources are remaining: services. has 1 resource instances"
    )
    # Upstream's 15 s estimate for finalizers: it looks again after 8 s.
    assert memory["wake_at"] == format_time(START + dt.timedelta(seconds=8))
    assert ("", "team") in api.objects["namespaces"]
