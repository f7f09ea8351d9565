"""The node lifecycle controller: heartbeats, the grace period, Unknown conditions, taints."""

from __future__ import annotations

import copy

from cluster.components.controllers import nodelifecycle
from cluster.components.controllers.nodelifecycle import (
    NODE_MONITOR_GRACE_PERIOD_SECONDS,
    NODE_MONITOR_PERIOD_SECONDS,
)
from cluster.components.controllers.noexecute_tainting import compute_zone_state
from cluster.objects import format_time

from .nodes_and_pods import (
    RENEW_SECONDS,
    START,
    cluster,
    condition,
    heartbeat,
    running_pod,
    set_ready,
    taint_keys,
)

UNREACHABLE_NO_SCHEDULE = ("node.kubernetes.io/unreachable", "NoSchedule")
UNREACHABLE_NO_EXECUTE = ("node.kubernetes.io/unreachable", "NoExecute")
NOT_READY_NO_SCHEDULE = ("node.kubernetes.io/not-ready", "NoSchedule")
NOT_READY_NO_EXECUTE = ("node.kubernetes.io/not-ready", "NoExecute")
UNSCHEDULABLE = ("node.kubernetes.io/unschedulable", "NoSchedule")


def run_for(api, clock, memory, seconds, *, alive=("node-1",), status=False):
    """Passes every node-monitor-period for `seconds`; the `alive` kubelets renew their
    Lease every 10 s (and post status too, if asked)."""
    for _ in range(int(seconds // NODE_MONITOR_PERIOD_SECONDS)):
        clock.advance(NODE_MONITOR_PERIOD_SECONDS)
        elapsed = (clock.now() - START).total_seconds()
        if elapsed % RENEW_SECONDS == 0:
            for name in alive:
                heartbeat(api, clock, name, status=status)
        nodelifecycle.reconcile(api, clock, memory)


def started(*names):
    api, clock = cluster(*names)
    memory: dict = {}
    nodelifecycle.reconcile(api, clock, memory)
    return api, clock, memory


def test_the_grace_period_is_upstreams_1_32_default_of_50_seconds():
    api, clock, memory = started("node-1", "node-2")
    run_for(api, clock, memory, 50)
    # Heard from at START, 50 s ago: not yet more than the grace period.
    assert condition(api.node("node-2"), "Ready")["status"] == "True"
    run_for(api, clock, memory, 5)
    assert condition(api.node("node-2"), "Ready")["status"] == "Unknown"
    assert NODE_MONITOR_GRACE_PERIOD_SECONDS == 50


def test_a_silent_node_has_its_kubelet_conditions_set_to_unknown_with_upstreams_words():
    api, clock, memory = started("node-1", "node-2")
    node = copy.deepcopy(api.node("node-2"))
    for kind in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        node["status"]["conditions"].append(
            {"type": kind, "status": "False", "lastHeartbeatTime": format_time(START)}
        )
    api.update_status("nodes", node)
    run_for(api, clock, memory, 55)
    for kind in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        got = condition(api.node("node-2"), kind)
        assert (got["status"], got["reason"], got["message"]) == (
            "Unknown",
            "NodeStatusUnknown",
            "Kubelet stopped posting node status.",
        )
        assert got["lastTransitionTime"] == format_time(clock.now())
        assert got["lastHeartbeatTime"] == format_time(START)  # the kubelet's, untouched
    assert condition(api.node("node-1"), "Ready")["status"] == "True"
    assert "node node-2: no heartbeat for 55 s (grace period 50 s): marking it Unknown" in (
        api.reasons
    )
    assert ("update_status", "nodes", "node-2") in api.writes()


def test_the_lease_alone_keeps_a_node_healthy_while_its_status_stays_old():
    # A quiet kubelet posts status only on change or every 5 minutes; its Lease says it lives.
    api, clock, memory = started("node-1")
    run_for(api, clock, memory, 200, alive=("node-1",), status=False)
    ready = condition(api.node("node-1"), "Ready")
    assert (ready["status"], ready["lastHeartbeatTime"]) == ("True", format_time(START))


def test_status_heartbeats_alone_keep_a_node_healthy_too():
    api, clock, memory = started("node-1")
    del api.objects["leases"][("kube-node-lease", "node-1")]
    run_for(api, clock, memory, 60, alive=())  # no lease, no status: Unknown
    assert condition(api.node("node-1"), "Ready")["status"] == "Unknown"

    api, clock, memory = started("node-1")
    del api.objects["leases"][("kube-node-lease", "node-1")]
    for _ in range(12):
        clock.advance(NODE_MONITOR_PERIOD_SECONDS)
        set_ready(api, clock, "node-1", "True")  # a new lastHeartbeatTime each time
        nodelifecycle.reconcile(api, clock, memory)
    assert condition(api.node("node-1"), "Ready")["status"] == "True"


def test_the_probe_timestamps_are_kept_in_memory_by_the_controllers_own_clock():
    api, clock, memory = started("node-1")
    run_for(api, clock, memory, 10)
    health = memory["nodeHealth"]["node-1"]
    assert health["probeTimestamp"].startswith(format_time(clock.now())[:-1])
    assert health["leaseRenewTime"] == api.lease("node-1")["spec"]["renewTime"]


def test_back_from_an_absence_longer_than_the_grace_period_every_node_gets_a_fresh_one():
    """As a kube-controller-manager that restarts: the heartbeats missed while it was
    away (Podlab restarted, the controller manager stopped) make no node Unknown."""
    api, clock, memory = started("node-1", "node-2")
    run_for(api, clock, memory, 20, alive=("node-1", "node-2"))
    clock.advance(120)  # nobody ran: neither the kubelets nor this controller
    nodelifecycle.reconcile(api, clock, memory)
    assert [condition(api.node(n), "Ready")["status"] for n in ("node-1", "node-2")] == [
        "True",
        "True",
    ]
    assert "not running for 120 s: every node's health is judged afresh, as after a restart" in (
        api.reasons
    )
    # And the grace period runs again from there, for a kubelet that does not come back.
    run_for(api, clock, memory, 55, alive=("node-1",))
    assert condition(api.node("node-2"), "Ready")["status"] == "Unknown"
    assert condition(api.node("node-1"), "Ready")["status"] == "True"


def test_an_unknown_node_is_tainted_unreachable_noschedule_at_once_and_noexecute_next_pass():
    api, clock, memory = started("node-1", "node-2")
    run_for(api, clock, memory, 55)
    assert taint_keys(api, "node-2") == {UNREACHABLE_NO_SCHEDULE}
    marked_at = format_time(clock.now())
    run_for(api, clock, memory, 5)
    assert taint_keys(api, "node-2") == {UNREACHABLE_NO_SCHEDULE, UNREACHABLE_NO_EXECUTE}
    added = {t["effect"]: t["timeAdded"] for t in api.node("node-2")["spec"]["taints"]}
    assert added == {"NoSchedule": marked_at, "NoExecute": format_time(clock.now())}
    assert taint_keys(api, "node-1") == set()
    assert "node node-2: Ready is Unknown: adding node.kubernetes.io/unreachable:NoExecute" in (
        api.reasons
    )


def test_a_node_that_comes_back_loses_its_taints_and_keeps_its_conditions_from_the_kubelet():
    api, clock, memory = started("node-1", "node-2")
    run_for(api, clock, memory, 60)
    assert UNREACHABLE_NO_EXECUTE in taint_keys(api, "node-2")
    heartbeat(api, clock, "node-2", status=True)
    run_for(api, clock, memory, 5, alive=("node-1", "node-2"), status=True)
    assert taint_keys(api, "node-2") == set()
    assert condition(api.node("node-2"), "Ready")["status"] == "True"
    assert any(
        r.startswith("node node-2 is Ready: removing node.kubernetes.io/unreachable:NoExecute")
        for r in api.reasons
    )


def test_a_not_ready_node_gets_the_not_ready_taints():
    api, clock, memory = started("node-1", "node-2")
    clock.advance(5)
    set_ready(api, clock, "node-2", "False")
    nodelifecycle.reconcile(api, clock, memory)
    assert taint_keys(api, "node-2") == {NOT_READY_NO_SCHEDULE, NOT_READY_NO_EXECUTE}
    clock.advance(5)
    set_ready(api, clock, "node-2", "True")
    nodelifecycle.reconcile(api, clock, memory)
    assert taint_keys(api, "node-2") == set()


def test_a_not_ready_node_that_falls_silent_swaps_not_ready_for_unreachable():
    api, clock, memory = started("node-1", "node-2")
    clock.advance(5)
    set_ready(api, clock, "node-2", "False")
    nodelifecycle.reconcile(api, clock, memory)
    # As upstream, the status change makes a fresh nodeHealthData without the Lease, so the
    # next pass counts the same Lease as news once more: Unknown at 65 s, not 60 s.
    run_for(api, clock, memory, 55)
    assert condition(api.node("node-2"), "Ready")["status"] == "False"
    run_for(api, clock, memory, 5)
    assert condition(api.node("node-2"), "Ready")["status"] == "Unknown"
    assert taint_keys(api, "node-2") == {UNREACHABLE_NO_SCHEDULE, NOT_READY_NO_EXECUTE}
    run_for(api, clock, memory, 5)
    assert taint_keys(api, "node-2") == {UNREACHABLE_NO_SCHEDULE, UNREACHABLE_NO_EXECUTE}


def test_cordon_and_uncordon_add_and_remove_the_unschedulable_taint():
    api, clock, memory = started("node-1")
    api.patch("nodes", "node-1", {"spec": {"unschedulable": True}})
    clock.advance(1)
    nodelifecycle.reconcile(api, clock, memory)
    taints = api.node("node-1")["spec"]["taints"]
    assert taints == [
        {
            "key": "node.kubernetes.io/unschedulable",
            "effect": "NoSchedule",
            "timeAdded": format_time(clock.now()),
        }
    ]
    assert (
        "node node-1: cordoned (spec.unschedulable): adding"
        " node.kubernetes.io/unschedulable:NoSchedule" in api.reasons
    )
    api.patch("nodes", "node-1", {"spec": {"unschedulable": None}})
    clock.advance(1)
    nodelifecycle.reconcile(api, clock, memory)
    assert taint_keys(api, "node-1") == set()


def test_taints_put_by_others_are_left_alone():
    api, clock, memory = started("node-1")
    node = copy.deepcopy(api.node("node-1"))
    node["spec"]["taints"] = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    api.update("nodes", node)
    api.patch("nodes", "node-1", {"spec": {"unschedulable": True}})
    nodelifecycle.reconcile(api, clock, memory)
    assert taint_keys(api, "node-1") == {("dedicated", "NoSchedule"), UNSCHEDULABLE}


def test_pods_on_a_node_going_unknown_are_marked_not_ready_with_events():
    api, clock, memory = started("node-1", "node-2")
    api.put("pods", running_pod("web", "node-2"))
    api.put("pods", running_pod("other", "node-1"))
    run_for(api, clock, memory, 55)
    ready = condition(api.pod("web"), "Ready")
    assert (ready["status"], ready["lastTransitionTime"]) == ("False", format_time(clock.now()))
    assert condition(api.pod("other"), "Ready")["status"] == "True"
    [pod_event] = [e for e in api.events("NodeNotReady") if e["involvedObject"]["kind"] == "Pod"]
    events = {
        (e["involvedObject"]["kind"], e["type"], e["message"]) for e in api.events("NodeNotReady")
    }
    assert events == {
        ("Node", "Normal", "Node node-2 status is now: NodeNotReady"),
        ("Pod", "Warning", "Node is not ready"),
    }
    assert pod_event["source"] == {"component": "node-controller"}


def test_nodes_are_registered_and_removed_with_upstreams_events():
    api, clock, memory = started("node-1", "node-2")
    messages = {e["message"] for e in api.events("RegisteredNode")}
    assert messages == {
        "Node node-1 event: Registered Node node-1 in Controller",
        "Node node-2 event: Registered Node node-2 in Controller",
    }
    api.delete("nodes", "node-2")
    nodelifecycle.reconcile(api, clock, memory)
    [removed] = api.events("RemovingNode")
    assert removed["message"] == "Node node-2 event: Removing Node node-2 from Controller"
    assert "node-2" not in memory["nodeHealth"]


def test_a_node_that_never_posted_status_gets_the_startup_grace_period():
    api, clock, memory = started("node-1")
    node = copy.deepcopy(api.node("node-1"))
    node["status"]["conditions"] = []
    api.update_status("nodes", node)
    del api.objects["leases"][("kube-node-lease", "node-1")]
    run_for(api, clock, memory, 60, alive=())
    assert api.node("node-1")["status"]["conditions"] == []
    run_for(api, clock, memory, 5, alive=())
    ready = condition(api.node("node-1"), "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusNeverUpdated",
        "Kubelet never posted node status.",
    )


def test_noexecute_taints_are_rate_limited_per_zone_one_node_every_10_seconds():
    api, clock, memory = started("control-plane", "node-1", "node-2")
    run_for(api, clock, memory, 60, alive=("control-plane",))
    # Both went Unknown in the same pass; the zone's limiter lets one through at once.
    tainted = [n for n in ("node-1", "node-2") if UNREACHABLE_NO_EXECUTE in taint_keys(api, n)]
    assert tainted == ["node-1"]
    run_for(api, clock, memory, 5, alive=("control-plane",))
    assert UNREACHABLE_NO_EXECUTE not in taint_keys(api, "node-2")
    run_for(api, clock, memory, 5, alive=("control-plane",))
    assert UNREACHABLE_NO_EXECUTE in taint_keys(api, "node-2")


def test_when_no_node_is_ready_nothing_gets_a_noexecute_taint():
    api, clock, memory = started("node-1", "node-2")
    run_for(api, clock, memory, 120, alive=())
    for name in ("node-1", "node-2"):
        assert condition(api.node(name), "Ready")["status"] == "Unknown"
        assert taint_keys(api, name) == {UNREACHABLE_NO_SCHEDULE}
    assert memory["zoneStates"] == {"": "FullDisruption"}


def test_compute_zone_state_follows_upstream():
    assert compute_zone_state(["True", "Unknown"]) == (1, "Normal")
    assert compute_zone_state(["Unknown", None]) == (2, "FullDisruption")
    assert compute_zone_state(["True", "False", "False", "Unknown"]) == (
        3,
        "PartialDisruption",
    )
    assert compute_zone_state(["True"] * 3 + ["False"] * 3) == (3, "Normal")
