"""The EndpointSlice controller on fixed inputs: which pods, which conditions, which ports."""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.controllers.endpointslice import (
    MAX_ENDPOINTS_PER_SLICE,
    reconcile,
)
from tests.unit.fakes import FakeClock, FakeClusterApi

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def service(name: str = "web", target_port: object = 8080, **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "labels": {"team": "a"},
        },
        "spec": {
            "selector": {"app": "web"},
            "clusterIP": "10.96.10.10",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": target_port}],
            **spec,
        },
    }


def pod(
    name: str,
    ip: str | None,
    *,
    ready: bool = True,
    labels: dict | None = None,
    terminating: bool = False,
    phase: str = "Running",
) -> dict:
    meta = {
        "name": name,
        "namespace": "default",
        "uid": f"uid-{name}",
        "labels": labels if labels is not None else {"app": "web"},
    }
    if terminating:
        meta["deletionTimestamp"] = "2025-01-01T00:00:30Z"
    status: dict = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    if ip:
        status["podIP"] = ip
    return {
        "metadata": meta,
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {
                    "name": "app",
                    "ports": [{"name": "web", "containerPort": 8080, "protocol": "TCP"}],
                }
            ],
        },
        "status": status,
    }


def run(api: FakeClusterApi) -> list[dict]:
    reconcile(api, FakeClock(NOW), {})
    return list(api.objects["endpointslices"].values())


def test_a_slice_lists_matching_pods_with_an_ip_and_their_conditions():
    api = FakeClusterApi(
        pods=[
            pod("web-1", "10.244.1.5"),
            pod("web-2", "10.244.1.6", ready=False),
            pod("web-3", None),  # no IP yet: not an endpoint
            pod("other", "10.244.1.7", labels={"app": "db"}),
            pod("old", "10.244.1.8", terminating=True),
            pod("done", "10.244.1.9", phase="Succeeded"),
        ]
    )
    api.put("services", service())
    [slice_] = run(api)
    assert slice_["metadata"]["name"].startswith("web-")
    assert slice_["metadata"]["labels"] == {
        "team": "a",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    assert slice_["metadata"]["ownerReferences"][0]["uid"] == "uid-web"
    assert slice_["metadata"]["ownerReferences"][0]["controller"] is True
    assert slice_["addressType"] == "IPv4"
    assert slice_["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    conditions = {e["targetRef"]["name"]: e["conditions"] for e in slice_["endpoints"]}
    assert conditions == {
        "web-1": {"ready": True, "serving": True, "terminating": False},
        "web-2": {"ready": False, "serving": False, "terminating": False},
        "old": {"ready": False, "serving": True, "terminating": True},
    }
    assert slice_["endpoints"][0]["nodeName"] == "node-1"
    assert api.reasons[0].startswith("endpointslice default/web: 3 pods with an IP match")


def test_a_named_target_port_is_looked_up_in_the_pods_containers():
    api = FakeClusterApi(pods=[pod("web-1", "10.244.1.5")])
    api.put("services", service(target_port="web"))
    [slice_] = run(api)
    assert slice_["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_readiness_changes_update_the_same_slice_in_place():
    api = FakeClusterApi(pods=[pod("web-1", "10.244.1.5", ready=False)])
    api.put("services", service())
    [before] = run(api)
    api.put("pods", pod("web-1", "10.244.1.5", ready=True))
    [after] = run(api)
    assert after["metadata"]["name"] == before["metadata"]["name"]
    assert after["endpoints"][0]["conditions"]["ready"] is True
    calls = len(api.writes())
    run(api)
    assert len(api.writes()) == calls  # nothing changed: nothing written


def test_no_matching_pods_leave_one_empty_placeholder_slice():
    api = FakeClusterApi(pods=[pod("web-1", "10.244.1.5")])
    api.put("services", service())
    run(api)
    del api.objects["pods"][("default", "web-1")]
    [placeholder] = run(api)
    assert placeholder["endpoints"] == [] and placeholder["ports"] == []
    run(api)
    assert len(api.objects["endpointslices"]) == 1


def test_more_than_a_hundred_endpoints_take_a_second_slice():
    pods = [pod(f"web-{n:03}", f"10.244.{n // 200}.{n % 200 + 1}") for n in range(150)]
    api = FakeClusterApi(pods=pods)
    api.put("services", service())
    slices = run(api)
    assert sorted(len(s["endpoints"]) for s in slices) == [50, MAX_ENDPOINTS_PER_SLICE]


def test_services_without_a_selector_are_left_alone():
    api = FakeClusterApi(pods=[pod("web-1", "10.244.1.5")])
    manual = service()
    del manual["spec"]["selector"]
    api.put("services", manual)
    assert run(api) == []


def test_only_pod_changes_that_move_an_endpoint_wake_it():
    from cluster.components.controllers.endpointslice import changes_endpoints

    running = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"nodeName": "node-1"},
        "status": {
            "phase": "Running",
            "podIP": "10.244.0.5",
            "conditions": [{"type": "Ready", "status": "False"}],
        },
    }
    restarted = copy.deepcopy(running)
    restarted["status"]["containerStatuses"] = [{"restartCount": 1}]
    ready = copy.deepcopy(running)
    ready["status"]["conditions"][0]["status"] = "True"
    assert not changes_endpoints(
        "pods", {"type": "MODIFIED", "object": restarted, "previous": running}
    )
    assert changes_endpoints("pods", {"type": "MODIFIED", "object": ready, "previous": running})
    assert changes_endpoints("pods", {"type": "DELETED", "object": running, "previous": running})
    assert changes_endpoints("services", {"type": "MODIFIED", "object": {}, "previous": {}})
    created = {"metadata": {}, "status": {"phase": "Pending"}}
    assert not changes_endpoints("pods", {"type": "ADDED", "object": created, "previous": None})
    assert not changes_endpoints(
        "pods", {"type": "DELETED", "object": created, "previous": created}
    )


class NoService:
    def node_may_have_no_execute_taint(self, node: str) -> bool:
        return True

    def a_service_may_select(self, namespace, labels) -> bool:
        return (labels or {}).get("app") == "selected"


def test_a_pod_no_service_selects_does_not_wake_it():
    from cluster.components.controllers.endpointslice import changes_endpoints

    def running(app: str, ip: str | None) -> dict:
        status = {"phase": "Running", "podIP": ip} if ip else {"phase": "Pending"}
        return {"metadata": {"namespace": "default", "labels": {"app": app}}, "status": status}

    started = {
        "type": "MODIFIED",
        "object": running("web", "10.244.0.5"),
        "previous": running("web", None),
    }
    assert not changes_endpoints("pods", started, NoService())
    assert changes_endpoints("pods", started)  # facts unknown: a Service may select it
    selected = {
        "type": "MODIFIED",
        "object": running("selected", "10.244.0.5"),
        "previous": running("selected", None),
    }
    assert changes_endpoints("pods", selected, NoService())
    # Relabelled out of a Service's selector: the Service loses an endpoint.
    relabelled = {
        "type": "MODIFIED",
        "object": running("web", "10.244.0.5"),
        "previous": running("selected", "10.244.0.5"),
    }
    assert changes_endpoints("pods", relabelled, NoService())
    service = {"type": "ADDED", "object": {}, "previous": None}
    assert changes_endpoints("services", service, NoService())
