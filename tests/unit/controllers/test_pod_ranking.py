"""Scale-down order, on upstream's own cases (controller_utils_test.go,
TestSortingActivePodsWithRanks, with PodDeletionCost and LogarithmicScaleDown on as in 1.32)."""

import datetime as dt

import pytest

from cluster.components.controllers.pod_ranking import (
    POD_DELETION_COST,
    RankedPod,
    deletes_before,
    deletion_cost,
    pods_to_delete,
)
from cluster.objects import format_time

NOW = dt.datetime(2026, 11, 26, 21, 40, tzinfo=dt.UTC)
THEN_1_MONTH = dt.datetime(2026, 10, 26, 21, 40, tzinfo=dt.UTC)
THEN_2_HOURS = NOW - dt.timedelta(hours=2)
THEN_5_HOURS = NOW - dt.timedelta(hours=5)
THEN_8_HOURS = NOW - dt.timedelta(hours=8)


def pod(name, node, phase, ready, restarts, ready_since, created, annotations=None):
    """As upstream's test helper: conditions and container statuses only when ready."""
    meta = {"name": name}
    if created is not None:
        meta["creationTimestamp"] = format_time(created)
    if annotations:
        meta["annotations"] = annotations
    status = {"phase": phase}
    if ready:
        condition = {"type": "Ready", "status": "True"}
        if ready_since is not None:
            condition["lastTransitionTime"] = format_time(ready_since)
        status["conditions"] = [condition]
        status["containerStatuses"] = [{"restartCount": restarts}]
    return {"metadata": meta, "spec": {"nodeName": node}, "status": status}


UNSCHEDULED = pod("unscheduled", "", "Pending", False, 0, None, None)
SCHEDULED_PENDING = pod("pending", "node", "Pending", False, 0, None, None)
UNKNOWN_PHASE = pod("unknown-phase", "node", "Unknown", False, 0, None, None)
RUNNING_NOT_READY = pod("not-ready", "node", "Running", False, 0, None, None)
READY_NO_LAST_TRANSITION = pod(
    "ready-no-last-transition-time", "node", "Running", True, 0, None, None
)
READY_NOW = pod("ready-now", "node", "Running", True, 0, NOW, NOW)
READY_THEN = pod("ready-then", "node", "Running", True, 0, THEN_1_MONTH, THEN_1_MONTH)
READY_NOW_HIGH_RESTARTS = pod("ready-high-restarts", "node", "Running", True, 9001, NOW, NOW)
READY_NOW_CREATED_THEN = pod(
    "ready-now-created-then", "node", "Running", True, 0, NOW, THEN_1_MONTH
)
LOW_DELETION_COST = pod(
    "low-deletion-cost", "node", "Running", True, 0, NOW, THEN_1_MONTH, {POD_DELETION_COST: "10"}
)
HIGH_DELETION_COST = pod(
    "high-deletion-cost", "node", "Running", True, 0, NOW, THEN_1_MONTH, {POD_DELETION_COST: "100"}
)
UNSCHEDULED_5_HOURS = pod(
    "unscheduled-5-hours", "", "Pending", False, 0, THEN_5_HOURS, THEN_5_HOURS
)
UNSCHEDULED_8_HOURS = pod(
    "unscheduled-10-hours", "", "Pending", False, 0, THEN_8_HOURS, THEN_8_HOURS
)
READY_2_HOURS = pod("ready-2-hours", "", "Running", True, 0, THEN_2_HOURS, THEN_1_MONTH)
READY_5_HOURS = pod("ready-5-hours", "", "Running", True, 0, THEN_5_HOURS, THEN_1_MONTH)
READY_10_HOURS = pod("ready-10-hours", "", "Running", True, 0, THEN_8_HOURS, THEN_1_MONTH)

EQUAL = [
    (UNSCHEDULED, UNSCHEDULED),
    (SCHEDULED_PENDING, SCHEDULED_PENDING),
    (UNKNOWN_PHASE, UNKNOWN_PHASE),
    (RUNNING_NOT_READY, RUNNING_NOT_READY),
    (READY_NOW_CREATED_THEN, READY_NOW_CREATED_THEN),
    (READY_NOW, READY_NOW),
    (READY_THEN, READY_THEN),
    (READY_NOW_HIGH_RESTARTS, READY_NOW_HIGH_RESTARTS),
    # The same power of two of age: equal, then both UIDs are empty.
    (UNSCHEDULED_5_HOURS, UNSCHEDULED_8_HOURS),
    (READY_5_HOURS, READY_10_HOURS),
]

# (deleted first, its rank), (deleted later, its rank)
ORDERED = [
    ((UNSCHEDULED, 1), (SCHEDULED_PENDING, 2)),
    ((UNSCHEDULED, 2), (SCHEDULED_PENDING, 1)),
    ((SCHEDULED_PENDING, 1), (UNKNOWN_PHASE, 2)),
    ((UNKNOWN_PHASE, 1), (RUNNING_NOT_READY, 2)),
    ((RUNNING_NOT_READY, 1), (READY_NO_LAST_TRANSITION, 1)),
    ((READY_NO_LAST_TRANSITION, 1), (READY_NOW, 1)),
    ((READY_NOW, 2), (READY_NO_LAST_TRANSITION, 1)),
    ((READY_NOW, 1), (READY_THEN, 1)),
    ((READY_NOW, 2), (READY_THEN, 1)),
    ((READY_NOW_HIGH_RESTARTS, 1), (READY_NOW, 1)),
    ((READY_NOW, 2), (READY_NOW_HIGH_RESTARTS, 1)),
    ((READY_NOW, 1), (READY_NOW_CREATED_THEN, 1)),
    ((READY_NOW_CREATED_THEN, 2), (READY_NOW, 1)),
    ((LOW_DELETION_COST, 2), (HIGH_DELETION_COST, 1)),
    ((READY_2_HOURS, 1), (READY_5_HOURS, 1)),
]


@pytest.mark.parametrize(("first", "second"), EQUAL, ids=lambda p: p["metadata"]["name"])
def test_equivalent_pods_come_in_neither_order(first, second):
    a, b = RankedPod(first, 1), RankedPod(second, 1)
    assert not deletes_before(a, b, NOW)
    assert not deletes_before(b, a, NOW)


@pytest.mark.parametrize(
    ("lesser", "greater"),
    ORDERED,
    ids=lambda entry: f"{entry[0]['metadata']['name']}@{entry[1]}",
)
def test_upstream_order(lesser, greater):
    first, second = RankedPod(*lesser), RankedPod(*greater)
    assert deletes_before(first, second, NOW)
    assert not deletes_before(second, first, NOW)


def test_without_a_reference_time_ages_compare_exactly():
    assert deletes_before(
        RankedPod(UNSCHEDULED_5_HOURS, 1), RankedPod(UNSCHEDULED_8_HOURS, 1), None
    )


def test_the_same_power_of_two_of_age_falls_back_to_uid():
    younger = pod("a", "", "Pending", False, 0, None, THEN_5_HOURS)
    older = pod("b", "", "Pending", False, 0, None, THEN_8_HOURS)
    younger["metadata"]["uid"], older["metadata"]["uid"] = "uid-2", "uid-1"
    assert deletes_before(RankedPod(older, 1), RankedPod(younger, 1), NOW)


@pytest.mark.parametrize(
    ("value", "cost"),
    [("10", 10), ("-5", -5), ("0", 0), ("+10", 0), ("008", 0), ("x", 0), ("2147483648", 0)],
)
def test_deletion_cost_as_upstream_parses_it(value, cost):
    assert deletion_cost({"metadata": {"annotations": {POD_DELETION_COST: value}}}) == cost


def test_pods_to_delete_ranks_by_related_pods_on_the_same_node():
    lonely = pod("lonely", "node-2", "Running", True, 0, NOW, NOW)
    crowded = pod("crowded", "node-1", "Running", True, 0, THEN_1_MONTH, THEN_1_MONTH)
    neighbour = pod("neighbour", "node-1", "Running", True, 0, THEN_1_MONTH, THEN_1_MONTH)
    # Without ranks the newer pod would go; two related pods on node-1 send "crowded" first.
    assert pods_to_delete([lonely, crowded], [lonely, crowded, neighbour], 1, NOW) == [crowded]
    assert pods_to_delete([lonely, crowded], [], 1, NOW) == [lonely]


def test_pods_to_delete_takes_all_unsorted_when_all_go():
    pods = [READY_THEN, UNSCHEDULED]
    assert pods_to_delete(pods, [], 2, NOW) == [READY_THEN, UNSCHEDULED]
