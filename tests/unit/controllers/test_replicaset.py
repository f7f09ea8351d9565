"""The ReplicaSet controller's pass against an in-memory API server."""

import datetime as dt

import pytest

from cluster.components.controllers import CONTROLLERS
from cluster.components.controllers.replicaset import CONTROLLER, reconcile
from cluster.objects import format_time
from tests.unit.fakes import FakeApiError, FakeClock, FakeClusterApi

from .replica_builders import (
    START,
    TEMPLATE_SPEC,
    make_pod,
    make_replica_set,
    owner_ref,
)

NOW = START + dt.timedelta(minutes=10)


@pytest.fixture
def clock():
    return FakeClock(NOW)


def cluster(clock, *objects):
    api = FakeClusterApi(clock=clock)
    for obj in objects:
        api.put("replicasets" if obj["kind"] == "ReplicaSet" else "pods", obj)
    return api


def run(api, clock, memory=None):
    memory = {} if memory is None else memory
    reconcile(api, clock, memory)
    return memory


def pods(api):
    return {name: pod for (_, name), pod in api.objects["pods"].items()}


def active_pods(api):
    return {
        name: pod for name, pod in pods(api).items() if "deletionTimestamp" not in pod["metadata"]
    }


def stored_rs(api, name="web-7d4b9"):
    return api.objects["replicasets"][("default", name)]


def test_it_is_registered_and_watches_its_informers():
    assert CONTROLLERS["replicaset"] is CONTROLLER
    assert CONTROLLER.watches == {"replicasets", "pods"}
    # Orphans to adopt are found at a resync: only pods it controls wake it.
    assert CONTROLLER.resync_seconds == 30
    owned = {"metadata": {"ownerReferences": [{"kind": "ReplicaSet", "controller": True}]}}
    assert CONTROLLER.wakes_on("pods", {"object": owned, "previous": None})
    assert not CONTROLLER.wakes_on("pods", {"object": {"metadata": {}}, "previous": None})
    assert CONTROLLER.wakes_on("replicasets", {"object": {"metadata": {}}})


def test_creates_the_missing_pods_from_the_template(clock):
    rs = make_replica_set(replicas=3, annotations={"team": "blue"})
    api = cluster(clock, rs)
    run(api, clock)
    created = pods(api)
    assert len(created) == 3
    for name, pod in created.items():
        assert name.startswith("web-7d4b9-") and len(name) == len("web-7d4b9-") + 5
        assert pod["metadata"]["generateName"] == "web-7d4b9-"
        assert pod["metadata"]["labels"] == {"app": "web"}
        assert pod["metadata"]["annotations"] == {"team": "blue"}
        assert pod["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "web-7d4b9",
                "uid": "uid-web-7d4b9",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert pod["spec"] == TEMPLATE_SPEC
    assert "replicaset default/web-7d4b9 wants 3, sees 0: creating 3" in api.reasons
    assert api.reason == ""


def test_each_creation_is_an_event_from_the_replicaset_controller(clock):
    api = cluster(clock, make_replica_set(replicas=2))
    run(api, clock)
    events = api.events("SuccessfulCreate")
    assert sorted(e["message"] for e in events) == sorted(f"Created pod: {n}" for n in pods(api))
    for event in events:
        assert event["type"] == "Normal"
        assert event["source"] == {"component": "replicaset-controller"}
        assert event["involvedObject"]["kind"] == "ReplicaSet"
        assert event["involvedObject"]["apiVersion"] == "apps/v1"
        assert event["involvedObject"]["name"] == "web-7d4b9"


def test_a_deleted_pod_is_replaced(clock):
    rs = make_replica_set(replicas=3)
    api = cluster(clock, rs, *(make_pod(f"web-7d4b9-{n}", owner=rs) for n in "abc"))
    del api.objects["pods"][("default", "web-7d4b9-b")]
    run(api, clock)
    assert len(pods(api)) == 3
    assert [call[0] for call in api.writes() if call[1] == "pods"] == ["create"]
    assert "replicaset default/web-7d4b9 wants 3, sees 2: creating 1" in api.reasons


def test_with_as_many_pods_as_wanted_it_only_reads(clock):
    rs = make_replica_set(replicas=2)
    api = cluster(clock, rs, *(make_pod(f"web-7d4b9-{n}", owner=rs) for n in "ab"))
    run(api, clock)
    api.calls.clear()
    run(api, clock)
    assert api.writes() == []


def test_terminating_and_finished_pods_are_not_counted(clock):
    rs = make_replica_set(replicas=3)
    api = cluster(
        clock,
        rs,
        make_pod("web-7d4b9-a", owner=rs),
        make_pod("web-7d4b9-b", owner=rs, deleting=True),
        make_pod("web-7d4b9-c", owner=rs, phase="Failed", ready=False),
    )
    run(api, clock)
    assert "replicaset default/web-7d4b9 wants 3, sees 1: creating 2" in api.reasons
    assert len(pods(api)) == 5
    assert stored_rs(api)["status"]["replicas"] == 1  # what this pass saw, as upstream
    run(api, clock)
    assert stored_rs(api)["status"]["replicas"] == 3


class FailingCreates(FakeClusterApi):
    """Refuses pod creations after `allowed` of them, as a quota would."""

    def __init__(self, allowed, **kwargs):
        super().__init__(**kwargs)
        self.allowed = allowed
        self.attempts = 0

    def create(self, resource, obj, *, namespace=""):
        if resource == "pods":
            self.attempts += 1
            if self.attempts > self.allowed:
                raise FakeApiError(
                    403, "Forbidden", 'pods "web-7d4b9-" is forbidden: exceeded quota: pods'
                )
        return super().create(resource, obj, namespace=namespace)


def test_creations_start_slow_and_stop_at_the_first_failing_batch(clock):
    api = FailingCreates(4, clock=clock)
    api.put("replicasets", make_replica_set(replicas=10))
    memory = run(api, clock)
    # Batches of 1, 2 and 4: the fourth creation fails, the rest of its batch is still
    # tried, and no batch follows.
    assert api.attempts == 7
    assert len(pods(api)) == 4
    failed = api.events("FailedCreate")
    assert [(e["type"], e["message"]) for e in failed] == [
        ("Warning", 'Error creating: pods "web-7d4b9-" is forbidden: exceeded quota: pods')
    ]
    assert failed[0]["count"] == 3
    assert memory["wake_at"] is not None  # retried without waiting for a change


def test_a_create_failing_for_all_is_tried_once(clock):
    api = FailingCreates(0, clock=clock)
    api.put("replicasets", make_replica_set(replicas=50))
    run(api, clock)
    assert api.attempts == 1


def test_a_failed_create_sets_replica_failure_until_a_pass_succeeds(clock):
    api = FailingCreates(0, clock=clock)
    api.put("replicasets", make_replica_set(replicas=2))
    memory = run(api, clock)
    assert stored_rs(api)["status"]["conditions"] == [
        {
            "type": "ReplicaFailure",
            "status": "True",
            "lastTransitionTime": format_time(NOW),
            "reason": "FailedCreate",
            "message": 'pods "web-7d4b9-" is forbidden: exceeded quota: pods',
        }
    ]
    api.allowed = 100
    run(api, clock, memory)
    assert len(pods(api)) == 2
    assert "conditions" not in stored_rs(api)["status"]
    assert memory["wake_at"] is None and memory["backoff"] == {}


def test_retries_back_off_exponentially(clock):
    api = FailingCreates(0, clock=clock)
    api.put("replicasets", make_replica_set(replicas=1))
    memory = {}
    waits = []
    for _ in range(12):
        run(api, clock, memory)
        waits.append(memory["wake_at"])
    # 5 ms doubling: under a second for the first eight, then 2 s, 3 s (rounded up), 6 s.
    assert waits[0] == format_time(NOW + dt.timedelta(seconds=1))
    assert waits[9] == format_time(NOW + dt.timedelta(seconds=3))
    assert waits[11] == format_time(NOW + dt.timedelta(seconds=11))


def test_creations_per_pass_are_capped_by_burst_replicas(clock):
    api = cluster(clock, make_replica_set(replicas=501))
    memory = run(api, clock)
    assert len(pods(api)) == 500
    assert "replicaset default/web-7d4b9 wants 501, sees 0: creating 500" in api.reasons
    assert memory["wake_at"] == format_time(NOW)  # its own writes wake nobody
    run(api, clock, memory)
    assert len(pods(api)) == 501


def test_scale_down_deletes_unscheduled_then_pending_then_not_ready_first(clock):
    rs = make_replica_set(replicas=2)
    api = cluster(
        clock,
        rs,
        make_pod("web-7d4b9-ready-old", owner=rs),
        make_pod("web-7d4b9-unscheduled", owner=rs, node="", phase="Pending", ready=False),
        make_pod("web-7d4b9-ready-new", owner=rs, ready_since=NOW, created=NOW),
        make_pod("web-7d4b9-pending", owner=rs, phase="Pending", ready=False),
        make_pod("web-7d4b9-not-ready", owner=rs, ready=False),
    )
    run(api, clock)
    assert "replicaset default/web-7d4b9 wants 2, sees 5: deleting 3" in api.reasons
    deleted = [call[2] for call in api.calls if call[0] == "delete"]
    assert sorted(deleted) == ["web-7d4b9-not-ready", "web-7d4b9-pending", "web-7d4b9-unscheduled"]
    assert sorted(active_pods(api)) == ["web-7d4b9-ready-new", "web-7d4b9-ready-old"]
    assert sorted(e["message"] for e in api.events("SuccessfulDelete")) == [
        f"Deleted pod: {name}" for name in sorted(deleted)
    ]


def test_scale_down_keeps_the_pod_ready_longest(clock):
    rs = make_replica_set(replicas=1)
    api = cluster(
        clock,
        rs,
        make_pod("web-7d4b9-old", owner=rs, ready_since=START - dt.timedelta(days=30)),
        make_pod("web-7d4b9-new", owner=rs, ready_since=NOW - dt.timedelta(seconds=30)),
    )
    run(api, clock)
    assert sorted(active_pods(api)) == ["web-7d4b9-old"]


def test_scale_down_frees_the_node_crowded_with_its_deployments_pods(clock):
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "uid": "uid-deploy"},
    }
    old_rs = make_replica_set("web-5f6c8", replicas=1, owner=owner_ref(deployment))
    new_rs = make_replica_set(
        "web-7d4b9",
        replicas=1,
        labels={"app": "web", "pod-template-hash": "7d4b9"},
        owner=owner_ref(deployment),
    )
    old_labels = {"app": "web", "pod-template-hash": "5f6c8"}
    old_rs["spec"]["selector"] = {"matchLabels": old_labels}
    api = cluster(
        clock,
        old_rs,
        new_rs,
        make_pod("web-5f6c8-a", owner=old_rs, labels=old_labels, node="node-1"),
        make_pod(
            "web-7d4b9-crowded",
            owner=new_rs,
            labels=new_rs["spec"]["template"]["metadata"]["labels"],
            node="node-1",
            ready_since=START - dt.timedelta(days=30),
        ),
        make_pod(
            "web-7d4b9-alone",
            owner=new_rs,
            labels=new_rs["spec"]["template"]["metadata"]["labels"],
            node="node-2",
        ),
    )
    run(api, clock)
    # The older pod goes: it shares node-1 with a pod of the Deployment's other ReplicaSet.
    assert sorted(active_pods(api)) == ["web-5f6c8-a", "web-7d4b9-alone"]


def test_matching_orphans_are_adopted_and_counted(clock):
    rs = make_replica_set(replicas=2)
    keeper = {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "uid-cm"}
    orphan = make_pod("loose", labels={"app": "web"})
    orphan["metadata"]["ownerReferences"] = [keeper]
    stranger = make_pod("other-app", labels={"app": "db"})
    api = cluster(clock, rs, orphan, stranger, make_pod("web-7d4b9-a", owner=rs))
    run(api, clock)
    assert pods(api)["loose"]["metadata"]["ownerReferences"] == [keeper, owner_ref(rs)]
    assert "ownerReferences" not in pods(api)["other-app"]["metadata"]
    assert len(pods(api)) == 3  # the orphan counts: nothing created
    assert (
        "replicaset default/web-7d4b9 selects pod loose, which has no controller: adopting it"
        in api.reasons
    )


def test_pods_of_another_controller_are_never_touched(clock):
    rs = make_replica_set(replicas=1)
    other = make_replica_set("web-other", replicas=1, uid="uid-other")
    theirs = make_pod("web-other-a", owner=other)
    api = cluster(clock, rs, other, theirs)
    run(api, clock)
    assert pods(api)["web-other-a"]["metadata"]["ownerReferences"] == [owner_ref(other)]
    assert not [call for call in api.calls if call[:3] in {("patch", "pods", "web-other-a")}]
    assert not [call for call in api.calls if call[:3] == ("delete", "pods", "web-other-a")]
    assert "replicaset default/web-7d4b9 wants 1, sees 0: creating 1" in api.reasons


def test_an_orphan_two_replicasets_select_is_adopted_once(clock):
    first = make_replica_set("web-a", replicas=1)
    second = make_replica_set("web-b", replicas=1)
    api = cluster(clock, first, second, make_pod("loose"))
    run(api, clock)
    assert pods(api)["loose"]["metadata"]["ownerReferences"] == [owner_ref(first)]
    assert len(pods(api)) == 2  # web-b made its own


def test_a_pod_whose_labels_stop_matching_is_released_and_replaced(clock):
    rs = make_replica_set(replicas=1)
    api = cluster(clock, rs, make_pod("web-7d4b9-a", owner=rs, labels={"app": "debug"}))
    run(api, clock)
    assert "ownerReferences" not in pods(api)["web-7d4b9-a"]["metadata"]
    assert (
        "replicaset default/web-7d4b9 controls pod web-7d4b9-a, whose labels it no longer"
        " selects: releasing it"
    ) in api.reasons
    assert len(pods(api)) == 2


def test_a_terminating_orphan_is_not_adopted(clock):
    rs = make_replica_set(replicas=1)
    api = cluster(clock, rs, make_pod("loose", deleting=True))
    run(api, clock)
    assert "ownerReferences" not in pods(api)["loose"]["metadata"]


def test_a_replicaset_being_deleted_neither_creates_nor_adopts(clock):
    rs = make_replica_set(replicas=3)
    rs["metadata"]["deletionTimestamp"] = format_time(NOW)
    api = cluster(clock, rs, make_pod("loose"))
    run(api, clock)
    assert [call for call in api.writes() if call[1] == "pods"] == []
    assert "ownerReferences" not in pods(api)["loose"]["metadata"]
    assert stored_rs(api)["status"] == {"replicas": 0, "observedGeneration": 1}


def test_status_counts_replicas_labels_readiness_and_generation(clock):
    rs = make_replica_set(replicas=3, generation=4, labels={"app": "web", "tier": "front"})
    rs["spec"]["selector"] = {"matchLabels": {"app": "web"}}
    api = cluster(
        clock,
        rs,
        make_pod("web-7d4b9-a", owner=rs, labels={"app": "web", "tier": "front"}),
        make_pod("web-7d4b9-b", owner=rs, labels={"app": "web", "tier": "front"}, ready=False),
        make_pod("web-7d4b9-c", owner=rs, labels={"app": "web"}),
    )
    run(api, clock)
    assert stored_rs(api)["status"] == {
        "replicas": 3,
        "fullyLabeledReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "observedGeneration": 4,
    }
    assert [call for call in api.writes() if call[0] == "update_status"] == [
        ("update_status", "replicasets", "web-7d4b9")
    ]
    assert (
        "replicaset default/web-7d4b9 wants 3, sees 3 (2 ready, 2 available): updating its status"
        in api.reasons
    )


def test_status_is_written_only_when_it_changes(clock):
    rs = make_replica_set(replicas=1)
    api = cluster(clock, rs, make_pod("web-7d4b9-a", owner=rs))
    run(api, clock)
    api.calls.clear()
    run(api, clock)
    assert [call for call in api.calls if call[0] == "update_status"] == []


def test_a_status_conflict_is_retried_once_on_a_fresh_read(clock):
    rs = make_replica_set(replicas=1)
    api = cluster(clock, rs, make_pod("web-7d4b9-a", owner=rs))
    original_list = api.list

    def list_then_scale(resource, **kwargs):
        answer = original_list(resource, **kwargs)
        if resource == "replicasets":  # a user writes right after the controller read
            scaled = dict(stored_rs(api), spec={**stored_rs(api)["spec"], "replicas": 1})
            api.put("replicasets", scaled)
        return answer

    api.list = list_then_scale
    run(api, clock)
    assert stored_rs(api)["status"]["replicas"] == 1
    assert [call[0] for call in api.calls if call[1] == "replicasets"] == [
        "list",
        "update_status",
        "get",
        "update_status",
    ]


def test_available_replicas_wait_for_min_ready_seconds_on_the_clock(clock):
    rs = make_replica_set(replicas=2, min_ready_seconds=30)
    ready_at = NOW - dt.timedelta(seconds=10)
    api = cluster(
        clock,
        rs,
        make_pod("web-7d4b9-a", owner=rs, ready_since=START),
        make_pod("web-7d4b9-b", owner=rs, ready_since=ready_at),
    )
    memory = run(api, clock)
    assert stored_rs(api)["status"]["readyReplicas"] == 2
    assert stored_rs(api)["status"]["availableReplicas"] == 1
    # Available once ready for more than 30 s: woken at the first second that is so.
    assert memory["wake_at"] == format_time(ready_at + dt.timedelta(seconds=31))
    clock.current = ready_at + dt.timedelta(seconds=31)
    memory = run(api, clock, memory)
    assert stored_rs(api)["status"]["availableReplicas"] == 2
    assert memory["wake_at"] is None


def test_rs_in_another_namespace_sees_only_its_namespace(clock):
    rs = make_replica_set(replicas=1)
    elsewhere = make_pod("web-x", owner=rs)
    elsewhere["metadata"]["namespace"] = "staging"
    api = cluster(clock, rs)
    api.put("pods", elsewhere)
    run(api, clock)
    assert len([key for key in api.objects["pods"] if key[0] == "default"]) == 1
