"""scheduler_tick against an in-memory API server: what it reads, binds, writes and files."""

import datetime as dt
import json
import random

import pytest

from cluster.components.scheduler import scheduler_tick
from cluster.components.scheduler.framework import (
    OUTCOME_BIND_CONFLICT,
    OUTCOME_BOUND,
    OUTCOME_ERROR,
    OUTCOME_POD_GONE,
    OUTCOME_UNSCHEDULABLE,
)
from tests.unit.fakes import FakeClock, FakeClusterApi

from .builders import START, lesson_nodes, make_node, make_pod

TOO_BIG_MESSAGE = (
    "0/3 nodes are available: 1 node(s) had untolerated taint "
    "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. "
    "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
    "2 No preemption victims found for incoming pod."
)


@pytest.fixture
def clock():
    return FakeClock(START + dt.timedelta(minutes=1))


@pytest.fixture
def state():
    return {}


def tick(api, clock, state, seed=0):
    return scheduler_tick(api, clock, state, rng=random.Random(seed))


def test_with_nothing_to_schedule_it_only_asks():
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("bound", node_name="node-1")])
    assert tick(api, FakeClock(START), {}) == []
    assert api.calls == [("list", "pods", "spec.nodeName=")]


def test_it_asks_for_unscheduled_pods_first_then_reads_the_cluster(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("web")])
    tick(api, clock, state)
    assert api.calls[:3] == [
        ("list", "pods", "spec.nodeName="),
        ("list", "nodes", ""),
        ("list", "pods", "spec.nodeName!="),
    ]


def test_pending_pods_are_bound_in_priority_then_age_order(clock, state):
    pods = [
        make_pod("young", created=START + dt.timedelta(seconds=30)),
        make_pod("old", created=START),
        make_pod("urgent", priority=100, created=START + dt.timedelta(seconds=45)),
    ]
    api = FakeClusterApi(nodes=lesson_nodes(), pods=pods)
    decisions = tick(api, clock, state)
    assert [d.pod_name for d in decisions] == ["urgent", "old", "young"]
    assert [call[1] for call in api.calls if call[0] == "bind"] == ["urgent", "old", "young"]
    assert all(d.outcome == OUTCOME_BOUND for d in decisions)
    assert all(api.pod(d.pod_name)["spec"]["nodeName"] == d.node_name for d in decisions)
    assert {d.node_name for d in decisions} <= {"node-1", "node-2"}


def test_a_scheduled_event_is_filed_for_each_binding(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("web")])
    [decision] = tick(api, clock, state)
    [event] = api.events("Scheduled")
    assert event["type"] == "Normal"
    assert event["message"] == f"Successfully assigned default/web to {decision.node_name}"
    assert event["metadata"]["name"].startswith("web.")
    assert event["metadata"]["namespace"] == "default"
    assert event["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": "web",
        "namespace": "default",
        "uid": "uid-default-web",
        "resourceVersion": "4",  # the pod as listed: nodes took revisions 1-3
    }
    assert event["source"] == {"component": "default-scheduler"}
    assert event["reason"] == "Scheduled"
    assert event["reportingComponent"] == "default-scheduler"
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2026-11-26T21:41:00Z"
    assert event["eventTime"] is None
    assert event["count"] == 1


def test_a_pod_bound_in_this_tick_takes_room_from_the_next(clock, state):
    pods = [make_pod("first", cpu="1500m"), make_pod("second", cpu="1500m")]
    api = FakeClusterApi(nodes=lesson_nodes(), pods=pods)
    first, second = tick(api, clock, state)
    assert {first.node_name, second.node_name} == {"node-1", "node-2"}


def test_a_pod_that_fits_nowhere_gets_its_condition_and_a_warning(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("huge", cpu="4")])
    [decision] = tick(api, clock, state)
    assert decision.outcome == OUTCOME_UNSCHEDULABLE
    assert decision.message == TOO_BIG_MESSAGE
    [condition] = api.pod("huge")["status"]["conditions"]
    assert condition == {
        "type": "PodScheduled",
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": "2026-11-26T21:41:00Z",
        "reason": "Unschedulable",
        "message": TOO_BIG_MESSAGE,
    }
    [event] = api.events("FailedScheduling")
    assert event["type"] == "Warning"
    assert event["message"] == TOO_BIG_MESSAGE
    assert "bind" not in [call[0] for call in api.calls]


def test_a_pod_that_fits_nowhere_is_not_retried_at_each_backoff(clock, state):
    """It waits in the unschedulable pool: nothing changed that could make it fit."""
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("huge", cpu="4")])
    tick(api, clock, state)
    for _ in range(29):  # 290 s: every backoff (10 s at most) is long over
        clock.advance(10)
        assert tick(api, clock, state) == []
    assert state["backoff"]["uid-default-huge"]["attempts"] == 1
    assert len(api.events("FailedScheduling")) == 1


def test_a_repeated_failure_files_an_event_but_does_not_rewrite_the_same_condition(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("huge", cpu="4")])
    tick(api, clock, state)
    clock.advance(300)  # the unschedulable pool's flush
    tick(api, clock, state)
    assert [call[0] for call in api.calls].count("update_status") == 1
    # The repeat is counted on the same Event, as `kubectl describe` shows "(x2 over 5m)".
    [event] = api.events("FailedScheduling")
    assert event["count"] == 2
    assert event["firstTimestamp"] == "2026-11-26T21:41:00Z"
    assert event["lastTimestamp"] == "2026-11-26T21:46:00Z"


def test_a_different_failure_message_is_a_new_event(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("huge", cpu="4")])
    tick(api, clock, state)
    api.put("nodes", make_node("node-3", cpu="1"))  # a change that still does not help
    clock.advance(1)  # the new node moved the pod; its backoff is over
    tick(api, clock, state)
    messages = sorted(e["message"][:25] for e in api.events("FailedScheduling"))
    assert messages == ["0/3 nodes are available: ", "0/4 nodes are available: "]


def test_a_new_node_moves_the_pod_which_still_honours_its_backoff(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("huge", cpu="4")])
    tick(api, clock, state)
    api.put("nodes", make_node("node-3", cpu="8", memory="32Gi"))
    clock.advance(0.1)
    assert tick(api, clock, state) == []  # moved to the backoff queue: 1 s after the failure
    assert state["backoff"]["uid-default-huge"]["retryAfter"] == "2026-11-26T21:41:01.000000Z"
    clock.advance(0.9)
    [decision] = tick(api, clock, state)
    assert decision.node_name == "node-3"
    assert decision.outcome == OUTCOME_BOUND
    assert state["backoff"] == {}
    assert "seen" not in state  # no pod waits in the pool: the snapshot is not kept


def test_a_bind_conflict_is_skipped_and_the_tick_goes_on(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("a"), make_pod("b")])
    api.bind_errors["a"] = 409
    first, second = tick(api, clock, state)
    assert first.outcome == OUTCOME_BIND_CONFLICT
    assert second.outcome == OUTCOME_BOUND
    assert [e["involvedObject"]["name"] for e in api.events("Scheduled")] == ["b"]


def test_a_pod_deleted_before_binding_is_skipped(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("gone")])
    api.bind_errors["gone"] = 404
    [decision] = tick(api, clock, state)
    assert decision.outcome == OUTCOME_POD_GONE
    assert api.events() == []


def test_at_most_max_pods_are_decided_per_tick(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod(f"p{i}") for i in range(5)])
    decisions = scheduler_tick(api, clock, state, rng=random.Random(0), max_pods=2)
    assert [d.pod_name for d in decisions] == ["p0", "p1"]
    assert state["more"] is True  # the rest are due at the next tick, at once
    scheduler_tick(api, clock, state, rng=random.Random(0), max_pods=2)
    scheduler_tick(api, clock, state, rng=random.Random(0), max_pods=2)
    assert state["more"] is False


def test_the_state_stays_json(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("huge", cpu="4"), make_pod("web")])
    decisions = tick(api, clock, state)
    assert json.loads(json.dumps(state)) == state
    assert json.loads(json.dumps([d.as_dict() for d in decisions]))


def test_a_pod_that_left_the_queue_is_forgotten(clock, state):
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[make_pod("huge", cpu="4")])
    tick(api, clock, state)
    api.delete("pods", "huge", namespace="default")
    tick(api, clock, state)
    assert state["backoff"] == {}


def test_each_pods_search_starts_where_the_last_one_stopped(clock, state):
    nodes = [make_node(f"node-{i:03d}") for i in range(150)]  # 100 feasible nodes are enough
    api = FakeClusterApi(nodes=nodes, pods=[make_pod("a"), make_pod("b")])
    first, second = tick(api, clock, state)
    assert [d.node_name for d in first.nodes] == [f"node-{i:03d}" for i in range(100)]
    assert {d.node_name for d in second.nodes} == {
        f"node-{i:03d}" for i in [*range(100, 150), *range(50)]
    }
    assert state["nextStartNodeIndex"] == 50


@pytest.mark.parametrize("field", ["tolerations", "affinity", "nodeSelector", "containers"])
def test_a_pod_whose_cycle_raises_backs_off_and_the_others_are_still_scheduled(clock, state, field):
    broken = make_pod("broken")
    broken["spec"][field] = 5  # what no validation lets in, but a bug could
    web = make_pod("web", created=START + dt.timedelta(seconds=5))
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[broken, web])

    failed, bound = tick(api, clock, state)

    assert (failed.pod_name, failed.outcome) == ("broken", OUTCOME_ERROR)
    assert failed.message.startswith("running the scheduling cycle failed: ")
    assert (bound.pod_name, bound.outcome) == ("web", OUTCOME_BOUND)
    assert state["backoff"]["uid-default-broken"]["attempts"] == 1
    [event] = api.events("FailedScheduling")
    assert event["involvedObject"]["name"] == "broken"
    assert event["message"] == failed.message
    assert json.loads(json.dumps(failed.as_dict())) == failed.as_dict()


def test_each_decision_is_heard_before_the_call_that_acts_on_it(clock, state):
    """on_decision comes after the reads and before the binding, or before the
    PodScheduled=False status of a pod that fits nowhere: a page can show the
    filter marks before the binding travels."""
    too_big = make_pod("too-big", cpu="8", created=START)
    web = make_pod("web", created=START + dt.timedelta(seconds=1))
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[too_big, web])
    heard: list[tuple[str, str | None, int]] = []

    def on_decision(decision) -> None:
        heard.append((decision.pod_name, decision.node_name, len(api.calls)))

    scheduler_tick(api, clock, state, rng=random.Random(0), on_decision=on_decision)

    [(_, nowhere, calls_before_first), (_, chosen, calls_before_second)] = heard
    assert nowhere is None and chosen in {"node-1", "node-2"}
    assert api.calls[calls_before_first] == ("update_status", "pods", "too-big")
    assert api.calls[calls_before_second] == ("bind", "web", chosen)
    assert [call[0] for call in api.calls[:calls_before_first]] == ["list", "list", "list"]


def test_a_bound_pod_that_cannot_be_counted_does_not_stop_scheduling(clock, state):
    broken = make_pod("broken", node_name="node-1")
    broken["spec"]["containers"] = 5  # what no validation lets in, but a bug could
    api = FakeClusterApi(nodes=lesson_nodes(), pods=[broken, make_pod("web")])
    [decision] = tick(api, clock, state)
    assert (decision.pod_name, decision.outcome) == ("web", OUTCOME_BOUND)
