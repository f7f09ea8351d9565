"""The ReplicationController controller: the ReplicaSet logic under its own kind."""

import datetime as dt

import pytest

from cluster.components.controllers import CONTROLLERS
from cluster.components.controllers.replicationcontroller import CONTROLLER, reconcile
from tests.unit.fakes import FakeClock, FakeClusterApi

from .replica_builders import (
    START,
    make_pod,
    make_replica_set,
    make_replication_controller,
    owner_ref,
)

NOW = START + dt.timedelta(minutes=10)


@pytest.fixture
def clock():
    return FakeClock(NOW)


def cluster(clock, rc, *pods):
    api = FakeClusterApi(clock=clock)
    api.put("replicationcontrollers", rc)
    for pod in pods:
        api.put("pods", pod)
    return api


def pods(api):
    return {name: pod for (_, name), pod in api.objects["pods"].items()}


def stored_rc(api, name="web"):
    return api.objects["replicationcontrollers"][("default", name)]


def test_it_is_registered_and_watches_its_informers():
    assert CONTROLLERS["replicationcontroller"] is CONTROLLER
    assert CONTROLLER.watches == {"replicationcontrollers", "pods"}


def test_creates_pods_it_controls_as_a_v1_replication_controller(clock):
    rc = make_replication_controller(replicas=2)
    api = cluster(clock, rc)
    reconcile(api, clock, {})
    assert len(pods(api)) == 2
    for name, pod in pods(api).items():
        assert name.startswith("web-") and len(name) == len("web-") + 5
        assert pod["metadata"]["ownerReferences"] == [owner_ref(rc)]
        assert owner_ref(rc)["apiVersion"] == "v1"
    assert "replicationcontroller default/web wants 2, sees 0: creating 2" in api.reasons
    events = api.events("SuccessfulCreate")
    assert sorted(e["message"] for e in events) == sorted(f"Created pod: {n}" for n in pods(api))
    assert {e["source"]["component"] for e in events} == {"replication-controller"}
    assert {e["involvedObject"]["kind"] for e in events} == {"ReplicationController"}


def test_a_deleted_pod_is_replaced(clock):
    rc = make_replication_controller(replicas=2)
    api = cluster(clock, rc, make_pod("web-a", owner=rc))
    reconcile(api, clock, {})
    assert len(pods(api)) == 2
    assert "replicationcontroller default/web wants 2, sees 1: creating 1" in api.reasons


def test_its_map_selector_adopts_orphans_and_releases_strays(clock):
    rc = make_replication_controller(replicas=2, labels={"app": "web", "tier": "front"})
    api = cluster(
        clock,
        rc,
        make_pod("orphan", labels={"app": "web", "tier": "front", "extra": "1"}),
        make_pod("half-match", labels={"app": "web"}),
        make_pod("stray", owner=rc, labels={"app": "web", "tier": "debug"}),
    )
    reconcile(api, clock, {})
    assert pods(api)["orphan"]["metadata"]["ownerReferences"] == [owner_ref(rc)]
    assert "ownerReferences" not in pods(api)["half-match"]["metadata"]
    assert "ownerReferences" not in pods(api)["stray"]["metadata"]
    assert "replicationcontroller default/web wants 2, sees 1: creating 1" in api.reasons


def test_pods_of_a_replicaset_are_not_its_own(clock):
    rc = make_replication_controller(replicas=1)
    rs = make_replica_set("web-7d4b9")
    api = cluster(clock, rc, make_pod("web-7d4b9-a", owner=rs))
    reconcile(api, clock, {})
    assert pods(api)["web-7d4b9-a"]["metadata"]["ownerReferences"] == [owner_ref(rs)]
    assert len(pods(api)) == 2


def test_scale_down_deletes_the_not_ready_pod_first(clock):
    rc = make_replication_controller(replicas=1)
    api = cluster(
        clock,
        rc,
        make_pod("web-ready", owner=rc, created=NOW),
        make_pod("web-not-ready", owner=rc, ready=False, created=START),
    )
    reconcile(api, clock, {})
    assert "replicationcontroller default/web wants 1, sees 2: deleting 1" in api.reasons
    assert [e["message"] for e in api.events("SuccessfulDelete")] == ["Deleted pod: web-not-ready"]
    assert "deletionTimestamp" in pods(api)["web-not-ready"]["metadata"]
    assert "deletionTimestamp" not in pods(api)["web-ready"]["metadata"]


def test_status_is_a_replica_sets_under_its_own_kind(clock):
    rc = make_replication_controller(replicas=2, generation=3)
    api = cluster(clock, rc, make_pod("web-a", owner=rc), make_pod("web-b", owner=rc, ready=False))
    reconcile(api, clock, {})
    assert stored_rc(api)["status"] == {
        "replicas": 2,
        "fullyLabeledReplicas": 2,
        "readyReplicas": 1,
        "availableReplicas": 1,
        "observedGeneration": 3,
    }
