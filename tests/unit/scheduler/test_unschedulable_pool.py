"""The scheduling queue across ticks: the unschedulable pool, the events that move a pod out
of it, its 5-minute flush, and scheduling gates."""

import datetime as dt
import random

import pytest

from cluster.components.scheduler import scheduler_tick
from cluster.components.scheduler.framework import OUTCOME_BOUND, OUTCOME_UNSCHEDULABLE
from tests.unit.fakes import FakeClock, FakeClusterApi

from .builders import START, lesson_nodes, make_node, make_pod

HUGE = "uid-default-huge"


@pytest.fixture
def clock():
    return FakeClock(START + dt.timedelta(minutes=1))


def tick(api, clock, state):
    return scheduler_tick(api, clock, state, rng=random.Random(0))


def full_cluster(clock):
    """node-1 and node-2 each hold a 1500m pod: a 1-cpu pod fits nowhere."""
    pods = [
        make_pod("big-1", cpu="1500m", node_name="node-1"),
        make_pod("big-2", cpu="1500m", node_name="node-2"),
        make_pod("huge", cpu="1"),
    ]
    return FakeClusterApi(nodes=lesson_nodes(), pods=pods, clock=clock)


def test_a_pod_that_fits_nowhere_waits_in_the_pool_until_the_5_minute_flush(clock):
    api, state = full_cluster(clock), {}
    [first] = tick(api, clock, state)
    assert first.outcome == OUTCOME_UNSCHEDULABLE
    assert state["backoff"][HUGE]["unschedulable"] is True
    assert state["backoff"][HUGE]["rejectedBy"] == ["NodeResourcesFit", "TaintToleration"]
    # The caller wakes the scheduler at the flush, not at the backoff.
    assert state["backoff"][HUGE]["retryAfter"] == "2026-11-26T21:46:00.000000Z"
    clock.advance(299)
    assert tick(api, clock, state) == []
    clock.advance(1)
    [flushed] = tick(api, clock, state)
    assert flushed.outcome == OUTCOME_UNSCHEDULABLE
    assert state["backoff"][HUGE]["attempts"] == 2
    [event] = api.events("FailedScheduling")
    assert event["count"] == 2  # one attempt per flush, not one per 10 s


def test_a_deleted_pod_moves_a_pod_rejected_for_room(clock):
    api, state = full_cluster(clock), {}
    tick(api, clock, state)
    clock.advance(30)
    api.delete("pods", "big-1", namespace="default", grace_period_seconds=0)
    [retry] = tick(api, clock, state)
    assert (retry.node_name, retry.outcome) == ("node-1", OUTCOME_BOUND)


def test_a_bound_pod_that_finished_moves_it_too(clock):
    api, state = full_cluster(clock), {}
    tick(api, clock, state)
    clock.advance(30)
    finished = api.pod("big-2")
    finished["status"]["phase"] = "Succeeded"
    api.put("pods", finished)
    [retry] = tick(api, clock, state)
    assert (retry.node_name, retry.outcome) == ("node-2", OUTCOME_BOUND)


def test_a_moved_pod_waits_for_its_backoff(clock):
    api, state = full_cluster(clock), {}
    tick(api, clock, state)
    api.delete("pods", "big-1", namespace="default", grace_period_seconds=0)
    clock.advance(0.5)
    assert tick(api, clock, state) == []  # 1 s backoff after the first failure
    assert state["backoff"][HUGE]["unschedulable"] is False
    clock.advance(0.5)
    [retry] = tick(api, clock, state)
    assert retry.outcome == OUTCOME_BOUND


def test_an_event_none_of_its_rejecting_plugins_registered_does_not_move_it(clock):
    """Rejected by NodeAffinity (and the control plane's taint): freeing room cannot help,
    a matching label can."""
    pods = [
        make_pod("other", node_name="node-1"),
        make_pod("picky", nodeSelector={"disk": "ssd"}),
    ]
    api, state = FakeClusterApi(nodes=lesson_nodes(), pods=pods, clock=clock), {}
    tick(api, clock, state)
    assert state["backoff"]["uid-default-picky"]["rejectedBy"] == [
        "NodeAffinity",
        "TaintToleration",
    ]
    clock.advance(30)
    api.delete("pods", "other", namespace="default", grace_period_seconds=0)
    assert tick(api, clock, state) == []
    node = api.node("node-2")
    node["metadata"]["labels"]["disk"] = "ssd"
    api.put("nodes", node)
    [retry] = tick(api, clock, state)
    assert (retry.node_name, retry.outcome) == ("node-2", OUTCOME_BOUND)


def test_a_heartbeat_is_no_event(clock):
    api, state = full_cluster(clock), {}
    tick(api, clock, state)
    clock.advance(30)
    node = api.node("node-1")
    node["status"]["conditions"][0]["lastHeartbeatTime"] = "2026-11-26T21:41:30Z"
    api.put("nodes", node)
    assert tick(api, clock, state) == []


def test_an_update_of_the_pod_itself_moves_it(clock):
    api, state = full_cluster(clock), {}
    tick(api, clock, state)
    clock.advance(30)
    pod = api.pod("huge")
    pod["spec"]["tolerations"] = [{"key": "node-role.kubernetes.io/control-plane"}]
    api.put("pods", pod)
    [retry] = tick(api, clock, state)
    # Tried again at once (its backoff is over): the control plane takes it now.
    assert (retry.node_name, retry.outcome) == ("control-plane", OUTCOME_BOUND)


def test_a_binding_in_the_tick_moves_a_pod_waiting_for_pod_affinity(clock):
    """The first pod needs a "web" pod next to it; the web pod is bound later in the same
    tick: its AssignedPodAdd event moves the first one, tried after its backoff."""
    affinity = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}
            ]
        }
    }
    cache = make_pod("cache", affinity=affinity, created=START)
    web = make_pod("web", created=START + dt.timedelta(seconds=1))
    web["metadata"]["labels"] = {"app": "web"}
    nodes = [make_node(f"node-{i}", labels={"zone": "a"}) for i in (1, 2)]
    api, state = FakeClusterApi(nodes=nodes, pods=[cache, web], clock=clock), {}
    first, second = tick(api, clock, state)
    assert (first.pod_name, first.outcome) == ("cache", OUTCOME_UNSCHEDULABLE)
    assert first.message.startswith("0/2 nodes are available: 2 node(s) didn't match pod affinity")
    assert (second.pod_name, second.outcome) == ("web", OUTCOME_BOUND)
    assert state["backoff"]["uid-default-cache"]["unschedulable"] is False
    clock.advance(1)
    [retry] = tick(api, clock, state)
    assert (retry.pod_name, retry.outcome) == ("cache", OUTCOME_BOUND)


def test_a_gated_pod_is_not_tried_until_its_gates_are_removed(clock):
    gated = make_pod("gated", schedulingGates=[{"name": "example.com/quota"}])
    api, state = FakeClusterApi(nodes=lesson_nodes(), pods=[gated], clock=clock), {}
    assert tick(api, clock, state) == []
    assert api.calls == [("list", "pods", "spec.nodeName=")]  # nothing else to read
    assert api.events() == []  # no attempt, so no FailedScheduling
    pod = api.pod("gated")
    pod["spec"]["schedulingGates"] = []
    api.put("pods", pod)
    [decision] = tick(api, clock, state)
    assert decision.outcome == OUTCOME_BOUND
