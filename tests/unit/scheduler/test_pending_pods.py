"""Which pods wait for the scheduler, in which order, and how long a failed one backs off."""

import datetime as dt

import pytest

from cluster.components.scheduler.cluster_events import snapshot
from cluster.components.scheduler.queue import SchedulerState, backoff_duration, pending_pods

from .builders import START, make_node, make_pod


def names(pods):
    return [p["metadata"]["name"] for p in pods]


def test_higher_priority_first_then_older_then_by_name():
    pods = [
        make_pod("young", created=START + dt.timedelta(seconds=5)),
        make_pod("old-b", created=START),
        make_pod("old-a", created=START),
        make_pod("urgent", priority=1000, created=START + dt.timedelta(minutes=1)),
    ]
    assert names(pending_pods(pods)) == ["urgent", "old-a", "old-b", "young"]


def test_bound_deleting_finished_and_foreign_pods_are_not_pending():
    deleting = make_pod("deleting")
    deleting["metadata"]["deletionTimestamp"] = "2026-11-26T21:41:00Z"
    finished = make_pod("finished")
    finished["status"]["phase"] = "Succeeded"
    pods = [
        make_pod("waiting"),
        make_pod("bound", node_name="node-1"),
        make_pod("other", schedulerName="my-scheduler"),
        deleting,
        finished,
    ]
    assert names(pending_pods(pods)) == ["waiting"]


def test_backoff_doubles_from_one_second_up_to_ten():
    assert [backoff_duration(n).total_seconds() for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


@pytest.mark.parametrize("attempts", [47, 48, 1_000, 100_000])
def test_backoff_stays_at_ten_seconds_however_often_a_pod_failed(attempts):
    # 2 ** 46 seconds is more than a timedelta holds: the doubling must be capped first.
    assert backoff_duration(attempts) == dt.timedelta(seconds=10)


def test_a_pod_pending_for_a_day_keeps_its_backoff_bounded():
    state = SchedulerState({})
    now = START
    for _ in range(day_of_attempts := 8_640):
        state.record_failure("uid-1", now)
        now = state.retry_after("uid-1")
    assert state.attempts("uid-1") == day_of_attempts
    assert now - START < dt.timedelta(days=1, minutes=1)


def test_state_tracks_failures_and_forgets():
    data: dict = {}
    state = SchedulerState(data)
    state.record_failure("uid-1", START)
    state.record_failure("uid-1", START)
    assert state.attempts("uid-1") == 2
    assert state.backing_off("uid-1", START + dt.timedelta(seconds=1.9))
    assert not state.backing_off("uid-1", START + dt.timedelta(seconds=2))
    state.forget_all_but(["uid-2"])
    assert data["backoff"] == {}


def test_a_changed_node_moves_a_pooled_pod_but_a_heartbeat_does_not():
    state = SchedulerState({})
    node = make_node("node-1")
    pod = make_pod("huge", cpu="4")
    state.observe(snapshot([node], []), [pod], START)
    state.record_unschedulable("uid-1", START, ["NodeResourcesFit"], pod)
    later = START + dt.timedelta(seconds=30)
    node["status"]["conditions"][0]["lastHeartbeatTime"] = "2026-11-26T21:40:10Z"
    node["metadata"]["resourceVersion"] = "99"
    assert state.observe(snapshot([node], []), [pod], later) == set()
    assert state.unschedulable("uid-1") and state.backing_off("uid-1", later)
    assert state.observe(snapshot([node, make_node("node-2")], []), [pod], later) == {"NodeAdd"}
    assert not state.unschedulable("uid-1") and not state.backing_off("uid-1", later)
    assert state.attempts("uid-1") == 1
