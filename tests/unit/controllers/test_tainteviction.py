"""The taint eviction controller: pods on NoExecute-tainted nodes, with and without
tolerationSeconds."""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.controllers import tainteviction
from cluster.components.controllers.tainteviction import (
    matching_tolerations,
    min_toleration_seconds,
)
from cluster.objects import format_time, parse_time

from .nodes_and_pods import START, cluster, condition, running_pod

UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}


def tainted_cluster(*pods, taint=UNREACHABLE, added=START):
    api, clock = cluster("node-1", "node-2")
    node = copy.deepcopy(api.node("node-2"))
    node["spec"]["taints"] = [{**taint, "timeAdded": format_time(added)}]
    api.update("nodes", node)
    for pod in pods:
        api.put("pods", pod)
    return api, clock


def evicted(api, name):
    meta = api.pod(name)["metadata"]
    return "deletionTimestamp" in meta


def test_a_pod_that_does_not_tolerate_the_taint_is_evicted_at_once():
    api, clock = tainted_cluster(running_pod("web", "node-2", tolerations=[]))
    memory: dict = {}
    tainteviction.reconcile(api, clock, memory)
    pod = api.pod("web")
    assert evicted(api, "web")  # graceful: the kubelet (if any) finishes it
    target = condition(pod, "DisruptionTarget")
    assert (target["status"], target["reason"], target["message"]) == (
        "True",
        "DeletionByTaintManager",
        "Taint manager: deleting due to NoExecute taint",
    )
    [event] = api.events("TaintManagerEviction")
    assert (event["message"], event["type"]) == ("Marking for deletion Pod default/web", "Normal")
    assert event["source"] == {"component": "taint-eviction-controller"}
    # The condition is written before the delete, as upstream does.
    writes = [w for w in api.writes() if w[1] == "pods"]
    assert writes == [("update_status", "pods", "web"), ("delete", "pods", "web")]
    assert (
        "pod default/web does not tolerate node.kubernetes.io/unreachable:NoExecute on node"
        " node-2: evicting it now" in api.reasons
    )


def test_a_pod_with_the_default_300_s_is_evicted_when_they_run_out_from_the_taints_time():
    api, clock = tainted_cluster(running_pod("web", "node-2"), running_pod("other", "node-1"))
    memory: dict = {}
    clock.advance(100)  # the controller first looks 100 s after the taint came
    tainteviction.reconcile(api, clock, memory)
    assert not evicted(api, "web")
    assert parse_time(memory["wake_at"]) == START + dt.timedelta(seconds=300)
    clock.current = START + dt.timedelta(seconds=299)
    tainteviction.reconcile(api, clock, memory)
    assert not evicted(api, "web")
    clock.current = START + dt.timedelta(seconds=300)
    tainteviction.reconcile(api, clock, memory)
    assert evicted(api, "web")
    assert not evicted(api, "other")
    assert memory["wake_at"] is None
    assert (
        "pod default/web tolerates node.kubernetes.io/unreachable for 300 s, since 17:00:00:"
        " evicting" in api.reasons
    )


def test_the_shortest_toleration_decides():
    tolerations = [
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 30,
        },
        {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 600},
    ]
    taints = [UNREACHABLE, {"key": "maintenance", "effect": "NoExecute"}]
    used = matching_tolerations(taints, tolerations)
    assert used == tolerations  # the first tolerating toleration for each taint
    assert min_toleration_seconds(used) == 30
    assert matching_tolerations(taints, tolerations[:1]) is None


def test_a_pod_that_tolerates_for_ever_stays():
    forever = [
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}
    ]
    api, clock = tainted_cluster(running_pod("web", "node-2", tolerations=forever))
    memory: dict = {}
    tainteviction.reconcile(api, clock, memory)
    clock.advance(3600)
    tainteviction.reconcile(api, clock, memory)
    assert not evicted(api, "web")
    assert memory["scheduled"] == {}


def test_a_toleration_longer_than_the_calendar_is_one_for_ever_and_the_controller_goes_on():
    # tolerationSeconds is an int64; 2**62 s from now is no date Python can hold.
    endless = [{**UNREACHABLE, "operator": "Exists", "tolerationSeconds": 2**62}]
    api, clock = tainted_cluster(
        running_pod("endless", "node-2", tolerations=endless),
        running_pod("web", "node-2", tolerations=[]),
    )
    memory: dict = {}
    tainteviction.reconcile(api, clock, memory)
    assert not evicted(api, "endless")
    assert evicted(api, "web")


def test_a_taint_removed_in_time_cancels_the_eviction_with_an_event():
    api, clock = tainted_cluster(running_pod("web", "node-2"))
    memory: dict = {}
    tainteviction.reconcile(api, clock, memory)
    clock.advance(60)
    node = copy.deepcopy(api.node("node-2"))
    del node["spec"]["taints"]
    api.update("nodes", node)
    tainteviction.reconcile(api, clock, memory)
    [event] = api.events("TaintManagerEviction")
    assert event["message"] == "Cancelling deletion of Pod default/web"
    clock.advance(600)
    tainteviction.reconcile(api, clock, memory)
    assert not evicted(api, "web")


def test_a_pod_already_terminating_is_not_deleted_again():
    # On an unreachable node no kubelet finishes the graceful deletion: the pod stays
    # Terminating, and the controller does not keep deleting it.
    api, clock = tainted_cluster(running_pod("web", "node-2", tolerations=[]))
    memory: dict = {}
    tainteviction.reconcile(api, clock, memory)
    clock.advance(60)
    tainteviction.reconcile(api, clock, memory)
    assert [w for w in api.writes() if w[0] == "delete"] == [("delete", "pods", "web")]


def test_a_pod_that_came_after_the_taint_counts_from_its_creation():
    created = START + dt.timedelta(seconds=100)
    api, clock = tainted_cluster(
        running_pod("late", "node-2", creationTimestamp=format_time(created))
    )
    clock.current = created
    memory: dict = {}
    tainteviction.reconcile(api, clock, memory)
    assert parse_time(memory["wake_at"]) == created + dt.timedelta(seconds=300)


def test_nothing_is_read_but_nodes_while_no_node_has_a_noexecute_taint():
    api, clock = cluster("node-1")
    api.put("pods", running_pod("web", "node-1", tolerations=[]))
    before = len(api.calls)
    tainteviction.reconcile(api, clock, {})
    assert api.calls[before:] == [("list", "nodes", "")]
    assert not evicted(api, "web")


def test_a_taint_without_time_added_counts_from_now_and_the_wake_up_is_not_rounded_down():
    api, clock = tainted_cluster(running_pod("web", "node-2"))
    node = copy.deepcopy(api.node("node-2"))
    del node["spec"]["taints"][0]["timeAdded"]  # put by hand, without one
    api.update("nodes", node)
    clock.advance(10.5)
    memory: dict = {}
    tainteviction.reconcile(api, clock, memory)
    assert parse_time(memory["wake_at"]) == clock.now() + dt.timedelta(seconds=300)


def test_only_bindings_toleration_and_taint_changes_wake_it():
    from cluster.components.controllers.tainteviction import may_change_evictions

    pending = {"spec": {"containers": []}}
    bound = {"spec": {"containers": [], "nodeName": "node-1"}}
    status_only = {"spec": {"containers": [], "nodeName": "node-1"}, "status": {"phase": "Running"}}
    assert may_change_evictions("pods", {"type": "MODIFIED", "object": bound, "previous": pending})
    assert not may_change_evictions(
        "pods", {"type": "MODIFIED", "object": status_only, "previous": bound}
    )
    tainted = {"spec": {"taints": [{"key": "k", "effect": "NoExecute"}]}}
    assert may_change_evictions("nodes", {"type": "MODIFIED", "object": tainted, "previous": {}})
    assert not may_change_evictions("nodes", {"type": "MODIFIED", "object": {}, "previous": {}})


def test_a_new_pod_not_yet_on_a_node_does_not_wake_it():
    from cluster.components.controllers.tainteviction import may_change_evictions

    created = {"spec": {"containers": [], "tolerations": [{"key": "k", "operator": "Exists"}]}}
    assert not may_change_evictions("pods", {"type": "ADDED", "object": created, "previous": None})


class Untainted:
    """Facts of a cluster whose nodes carry no NoExecute taint and no Service."""

    def node_may_have_no_execute_taint(self, node: str) -> bool:
        return False

    def a_service_may_select(self, namespace, labels) -> bool:
        return False


def test_a_pod_bound_to_a_node_without_no_execute_taints_does_not_wake_it():
    from cluster.components.controllers.tainteviction import may_change_evictions

    pending = {"spec": {"containers": []}}
    bound = {"spec": {"containers": [], "nodeName": "node-1"}}
    event = {"type": "MODIFIED", "object": bound, "previous": pending}
    assert not may_change_evictions("pods", event, Untainted())
    assert may_change_evictions("pods", event)  # facts unknown: maybe tainted
    tainted = {"spec": {"taints": [{"key": "k", "effect": "NoExecute"}]}}
    node_event = {"type": "MODIFIED", "object": tainted, "previous": {}}
    assert may_change_evictions("nodes", node_event, Untainted())  # a taint change always
