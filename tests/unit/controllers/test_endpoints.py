"""The Endpoints controller on fixed inputs: which addresses, ready or not, on which ports."""

from __future__ import annotations

import datetime as dt

from cluster.components.controllers.endpoints import reconcile
from tests.unit.controllers.test_endpointslice import pod, service
from tests.unit.fakes import FakeClock, FakeClusterApi

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def run(api: FakeClusterApi, memory: dict | None = None) -> dict[str, dict]:
    """One pass; memory: the controller's, kept between passes when given."""
    reconcile(api, FakeClock(NOW), {} if memory is None else memory)
    return {name: obj for (_, name), obj in api.objects["endpoints"].items()}


def address(name: str, ip: str) -> dict:
    target = {"kind": "Pod", "namespace": "default", "name": name, "uid": f"uid-{name}"}
    return {"ip": ip, "targetRef": target, "nodeName": "node-1"}


def test_ready_pods_are_addresses_and_others_not_ready_addresses_on_the_target_port():
    api = FakeClusterApi(
        pods=[
            pod("web-2", "10.244.1.10"),
            pod("web-1", "10.244.1.9"),
            pod("web-3", "10.244.1.6", ready=False),
            pod("web-4", None),  # no IP yet
            pod("other", "10.244.1.7", labels={"app": "db"}),
            pod("old", "10.244.1.8", terminating=True),
            pod("done", "10.244.1.11", phase="Succeeded"),
        ]
    )
    api.put("services", service(target_port="web"))
    endpoints = run(api)["web"]
    assert endpoints["metadata"]["labels"] == {"team": "a"}  # the Service's labels
    assert endpoints["subsets"] == [
        {
            # In IP order, as numbers: .9 before .10.
            "addresses": [address("web-1", "10.244.1.9"), address("web-2", "10.244.1.10")],
            "notReadyAddresses": [address("web-3", "10.244.1.6")],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        }
    ]
    assert api.reasons[0] == (
        "endpoints default/web: 2 ready and 1 not-ready addresses match the selector,"
        " creating its Endpoints"
    )


def test_a_service_selecting_nothing_has_endpoints_with_no_subsets_written_once():
    api = FakeClusterApi(pods=[pod("db", "10.244.1.5", labels={"app": "db"})])
    api.put("services", service())
    assert run(api)["web"]["subsets"] == []
    writes = len(api.writes())
    run(api)
    assert len(api.writes()) == writes  # nothing changed: nothing written


def test_a_pod_without_a_named_port_is_in_a_subset_of_its_own():
    without_port = pod("web-2", "10.244.1.6")
    without_port["spec"]["containers"][0]["ports"] = []
    api = FakeClusterApi(pods=[pod("web-1", "10.244.1.5"), without_port])
    two_ports = service(target_port="web")
    two_ports["spec"]["ports"].append(
        {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090}
    )
    api.put("services", two_ports)
    subsets = run(api)["web"]["subsets"]
    assert [[a["ip"] for a in s["addresses"]] for s in subsets] == [
        ["10.244.1.5"],
        ["10.244.1.5", "10.244.1.6"],
    ]
    assert [[p["name"] for p in s["ports"]] for s in subsets] == [["http"], ["metrics"]]


def test_readiness_changes_update_the_endpoints():
    api = FakeClusterApi(pods=[pod("web-1", "10.244.1.5", ready=False)])
    api.put("services", service())
    assert "addresses" not in run(api)["web"]["subsets"][0]
    api.put("pods", pod("web-1", "10.244.1.5"))
    assert run(api)["web"]["subsets"][0]["addresses"][0]["ip"] == "10.244.1.5"
    assert ("update", "endpoints", "web") in api.writes()


def test_endpoints_go_with_their_service_and_a_selectorless_service_s_are_left_alone():
    api = FakeClusterApi(pods=[pod("web-1", "10.244.1.5")])
    api.put("services", service())
    manual = service("kubernetes")
    del manual["spec"]["selector"]
    api.put("services", manual)
    written_by_hand = {"metadata": {"name": "kubernetes", "namespace": "default"}, "subsets": []}
    api.put("endpoints", written_by_hand)
    assert sorted(run(api)) == ["kubernetes", "web"]
    del api.objects["services"][("default", "web")]
    assert sorted(run(api)) == ["kubernetes"]
    assert "endpoints default/web: its Service is gone, deleting it" in api.reasons


def test_a_service_without_labels_gives_endpoints_without_labels():
    api = FakeClusterApi(pods=[pod("web-1", "10.244.1.5")])
    unlabelled = service()
    del unlabelled["metadata"]["labels"]
    api.put("services", unlabelled)
    assert "labels" not in run(api)["web"]["metadata"]
    headless = service(clusterIP="None")
    api.put("services", headless)
    labels = run(api)["web"]["metadata"]["labels"]
    assert labels == {"team": "a", "service.kubernetes.io/headless": ""}


def test_a_write_says_when_the_change_it_shows_happened():
    api = FakeClusterApi(pods=[pod("web-1", "10.244.1.5", ready=False)])
    created = service()
    created["metadata"]["creationTimestamp"] = "2025-01-01T00:00:00Z"
    api.put("services", created)
    annotation, memory = "endpoints.kubernetes.io/last-change-trigger-time", {}
    first = run(api, memory)["web"]
    assert first["metadata"]["annotations"] == {annotation: "2025-01-01T00:00:00Z"}
    ready = pod("web-1", "10.244.1.5")
    ready["status"]["conditions"][0]["lastTransitionTime"] = "2025-01-01T00:00:07Z"
    api.put("pods", ready)
    after = run(api, memory)["web"]
    assert after["metadata"]["annotations"] == {annotation: "2025-01-01T00:00:07Z"}
