"""When a sandbox nobody watches may stop its clock: heartbeats are not work, timers are."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from cluster.components.controllers import nodelifecycle
from cluster.idle import (
    NODE_LIFECYCLE,
    QUIET_WALL_SECONDS,
    WORK_HORIZON_SECONDS,
    Component,
    goes_idle,
    is_heartbeat,
    is_work,
    quiet_wall_seconds,
    work_due_at,
)
from cluster.objects import format_micro_time
from tests.unit.controllers.nodes_and_pods import START, cluster, condition
from tests.unit.controllers.test_nodelifecycle import run_for
from tests.unit.kubelet.harness import Node, at, make_pod

NOW = dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC)


def later(seconds: float) -> str:
    return format_micro_time(NOW + dt.timedelta(seconds=seconds))


def node_object(heartbeat: str, ready: str = "True") -> dict:
    return {
        "metadata": {"name": "node-1", "resourceVersion": "7"},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": ready,
                    "lastHeartbeatTime": heartbeat,
                    "lastTransitionTime": "2026-12-06T19:00:00Z",
                }
            ]
        },
    }


def node_update(before: dict, after: dict) -> dict:
    after = copy.deepcopy(after)
    after["metadata"]["resourceVersion"] = "8"
    return {"type": "MODIFIED", "object": after, "previous": before}


# -- heartbeats are not work ------------------------------------------------------------------


def test_a_lease_renewal_is_a_heartbeat():
    lease = {"metadata": {"name": "node-1", "namespace": "kube-node-lease"}}
    assert is_heartbeat("leases", {"type": "MODIFIED", "object": lease, "previous": lease})


def test_node_status_posted_again_unchanged_but_for_its_heartbeat_time_is_a_heartbeat():
    before = node_object("2026-12-06T19:55:00Z")
    assert is_heartbeat("nodes", node_update(before, node_object("2026-12-06T20:00:00Z")))


def test_a_node_condition_that_changed_is_work():
    before = node_object("2026-12-06T19:55:00Z")
    after = node_object("2026-12-06T19:55:00Z", ready="Unknown")  # the node lifecycle's
    assert not is_heartbeat("nodes", node_update(before, after))


def test_a_node_write_whose_previous_object_is_unknown_counts_as_work():
    assert not is_heartbeat("nodes", {"type": "MODIFIED", "object": node_object("x")})


def test_pods_and_other_leases_are_work():
    pod = {"metadata": {"name": "web", "namespace": "default"}}
    assert is_work([("pods", {"type": "ADDED", "object": pod})])
    elsewhere = {"metadata": {"name": "lock", "namespace": "default"}}
    assert not is_heartbeat("leases", {"type": "ADDED", "object": elsewhere})
    lease = {"metadata": {"name": "node-1", "namespace": "kube-node-lease"}}
    assert not is_work([("leases", {"type": "MODIFIED", "object": lease})])


# -- work due: the components' own timers -----------------------------------------------------


def test_a_kubelet_s_heartbeat_timer_is_not_work_but_its_pods_timers_are():
    resting = Component("kubelet/node-1", True, {"wake_at": later(10), "work_at": None})
    assert work_due_at([resting], NOW) is None
    pulling = Component("kubelet/node-1", True, {"wake_at": later(3), "work_at": later(3)})
    assert work_due_at([resting, pulling], NOW) == NOW + dt.timedelta(seconds=3)


def test_a_controller_s_wake_at_is_work_and_the_earliest_timer_counts():
    components = [
        Component("scheduler", True, {"wake_at": later(300)}),  # the unschedulable flush
        Component("controller-manager/tainteviction", True, {"wake_at": later(120)}),
        Component("controller-manager/replicaset", True, {}),
    ]
    assert work_due_at(components, NOW) == NOW + dt.timedelta(seconds=120)


def test_a_component_that_has_not_ticked_yet_has_work_due_at_once():
    new_kubelet = Component("kubelet/node-3", True, {"podCIDR": "10.244.3.0/24"}, ticked=False)
    assert work_due_at([new_kubelet], NOW) == NOW


def test_a_stopped_component_s_timers_wait_for_it():
    stopped = Component("controller-manager/tainteviction", False, {"wake_at": later(1)})
    assert work_due_at([stopped], NOW) is None


def test_a_kubelet_s_work_at_follows_its_pods():
    node = Node(make_pod())
    node.tick(0)  # pulling nginx: done at 4 s
    assert node.state["work_at"] == format_micro_time(at(4))
    node.ticks(4, 4.5)  # pulled, started
    assert node.state["work_at"] is None
    assert node.state["wake_at"] == format_micro_time(at(10))  # the next Lease renewal


# -- work due: a stopped kubelet's node is about to be judged ---------------------------------


def lifecycle_memory_with_node_2_silent(seconds: float) -> dict:
    api, clock = cluster("node-1", "node-2")
    memory: dict = {}
    nodelifecycle.reconcile(api, clock, memory)
    run_for(api, clock, memory, seconds)  # node-1 renews its Lease, node-2 is silent
    return memory, api


def test_the_node_lifecycle_controller_judges_a_silent_node_a_grace_period_after_hearing_it():
    memory, _ = lifecycle_memory_with_node_2_silent(20)
    grace = dt.timedelta(seconds=nodelifecycle.NODE_MONITOR_GRACE_PERIOD_SECONDS)
    assert nodelifecycle.judgement_due_at(memory, "node-2") == START + grace
    assert nodelifecycle.judgement_due_at(memory, "node-9") is None


def test_a_node_judged_unknown_has_no_judgement_due():
    memory, api = lifecycle_memory_with_node_2_silent(60)
    assert condition(api.node("node-2"), "Ready")["status"] == "Unknown"
    assert nodelifecycle.judgement_due_at(memory, "node-2") is None


def test_a_stopped_kubelet_s_node_judgement_is_work_due_while_the_controller_runs():
    memory, _ = lifecycle_memory_with_node_2_silent(20)
    stopped = Component("kubelet/node-2", False, {"work_at": None})
    running = Component("kubelet/node-1", True, {"work_at": None})
    lifecycle = Component(NODE_LIFECYCLE, True, memory)
    judged_at = START + dt.timedelta(seconds=nodelifecycle.NODE_MONITOR_GRACE_PERIOD_SECONDS)
    assert work_due_at([stopped, running, lifecycle], START) == judged_at
    # A running kubelet renews its Lease: nothing is coming for its node.
    assert work_due_at([running, lifecycle], START) is None
    # With the controller manager stopped too, nobody is there to judge.
    assert work_due_at([stopped, Component(NODE_LIFECYCLE, False, memory)], START) is None


# -- the decision ---------------------------------------------------------------------------


def decide(**changes) -> bool:
    facts = {"viewed": False, "recently_worked": False, "work_due": None, "now": NOW, "speed": 1}
    return goes_idle(**{**facts, **changes})


def test_a_sandbox_nobody_watches_with_nothing_due_goes_idle():
    assert decide()


def test_a_page_that_has_it_open_or_recent_work_keeps_it_awake():
    assert not decide(viewed=True)
    assert not decide(recently_worked=True)


@pytest.mark.parametrize(
    ("due_in", "speed", "idle"),
    [
        (3.6, 1, False),  # an image pull: the pod created before the tab closed runs
        (WORK_HORIZON_SECONDS - 1, 1, False),
        (WORK_HORIZON_SECONDS + 1, 1, True),  # waits with the clock
        (-5, 1, False),  # overdue: a tick is coming
        (300, 1, True),  # a 300 s toleration at x1 waits for someone to come back
        (300, 30, False),  # at x30 it is 10 wall seconds away
        (30, 0.1, True),  # at x0.1 it is 300 wall seconds away
    ],
)
def test_a_component_timer_keeps_it_awake_within_the_horizon_of_wall_time(due_in, speed, idle):
    assert decide(work_due=NOW + dt.timedelta(seconds=due_in), speed=speed) is idle


def test_the_quiet_period_is_sandbox_time_but_never_shorter_than_a_few_wall_seconds():
    assert quiet_wall_seconds(1) == 15
    assert quiet_wall_seconds(0.1) == 150
    assert quiet_wall_seconds(100) == QUIET_WALL_SECONDS
