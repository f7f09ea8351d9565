"""RollingUpdate's steps and proportional scaling against upstream's own cases
(rolling_test.go and sync_test.go's TestScale), on the fake API."""

from __future__ import annotations

import datetime as dt

import pytest

from cluster.components.controllers import deployment_rolling as rolling
from tests.unit.controllers.deployment_harness import (
    START,
    deployment,
    replica_set,
    sync_for,
)
from tests.unit.fakes import FakeClock, FakeClusterApi


def fixture(d: dict, rss: list[dict]):
    clock = FakeClock(START)
    api = FakeClusterApi(clock=clock)
    return api, sync_for(api, clock, d, rss)


def sizes(api: FakeClusterApi) -> dict[str, int]:
    return {name: rs["spec"]["replicas"] for (_, name), rs in api.objects["replicasets"].items()}


def rs_updates(api: FakeClusterApi) -> list[str]:
    return [call[2] for call in api.calls if call[:2] == ("update", "replicasets")]


# TestDeploymentController_reconcileNewReplicaSet (maxUnavailable 0)
@pytest.mark.parametrize(
    ("surge", "old", "new", "expected"),
    [
        (0, 10, 0, None),  # should not scale up
        (2, 10, 0, 2),
        (2, 5, 0, 7),
        (2, 10, 2, None),
        (2, 2, 11, 10),  # should scale down
    ],
)
def test_reconcile_new_replica_set(surge, old, new, expected):
    d = deployment("foo", 10, max_surge=surge, max_unavailable=0)
    api, sync = fixture(d, [replica_set("foo-v2", new), replica_set("foo-v1", old)])
    new_rs, old_rs = sync.rs_list
    scaled = rolling.reconcile_new_replica_set(sync, [new_rs, old_rs], new_rs)
    assert scaled is (expected is not None)
    if expected is None:
        assert rs_updates(api) == []
    else:
        assert rs_updates(api) == ["foo-v2"]
        assert sizes(api)["foo-v2"] == expected


# TestDeploymentController_reconcileOldReplicaSets (maxSurge 0)
@pytest.mark.parametrize(
    ("unavailable", "old", "new", "ready_old", "ready_new", "expected_old"),
    [
        (0, 10, 0, 10, 0, 9),
        (2, 10, 0, 10, 0, 8),
        (2, 10, 0, 8, 0, 8),  # the unhealthy old replicas are cleaned up
        (2, 10, 0, 9, 0, 8),  # 1 unhealthy cleaned up, 1 ready scaled down
        (2, 8, 2, 8, 0, None),  # the new ReplicaSet's unavailable pods block further steps
    ],
)
def test_reconcile_old_replica_sets(unavailable, old, new, ready_old, ready_new, expected_old):
    d = deployment("foo", 10, max_surge=0, max_unavailable=unavailable)
    api, sync = fixture(
        d,
        [
            replica_set("foo-old", old, available=ready_old),
            replica_set("foo-new", new, available=ready_new),
        ],
    )
    old_rs, new_rs = sync.rs_list
    scaled = rolling.reconcile_old_replica_sets(sync, [old_rs, new_rs], [old_rs], new_rs)
    assert scaled is (expected_old is not None)
    assert sizes(api)["foo-old"] == (old if expected_old is None else expected_old)


# TestDeploymentController_cleanupUnhealthyReplicas (10 replicas, 8 ready)
@pytest.mark.parametrize(
    ("ready", "max_cleanup", "expected"), [(8, 1, 1), (8, 3, 2), (8, 0, 0), (10, 3, 0)]
)
def test_cleanup_unhealthy_replicas(ready, max_cleanup, expected):
    d = deployment("foo", 10, max_surge=2, max_unavailable=2)
    api, sync = fixture(d, [replica_set("foo-v2", 10, available=ready)])
    _, cleaned = rolling.cleanup_unhealthy_replicas(sync, list(sync.rs_list), max_cleanup)
    assert cleaned == expected
    assert sizes(api)["foo-v2"] == 10 - expected


# TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate (maxSurge 0)
@pytest.mark.parametrize(
    ("unavailable", "ready", "old", "expected_old"),
    [(0, 10, 10, 9), (2, 10, 10, 8), (2, 8, 10, None), (2, 10, 0, None), (2, 1, 10, None)],
)
def test_scale_down_old_replica_sets_for_rolling_update(unavailable, ready, old, expected_old):
    d = deployment("foo", 10, max_surge=0, max_unavailable=unavailable)
    api, sync = fixture(d, [replica_set("foo-v2", old, available=ready)])
    scaled = rolling.scale_down_old_replica_sets_for_rolling_update(
        sync, sync.rs_list, list(sync.rs_list)
    )
    if expected_old is None:
        assert scaled == 0 and rs_updates(api) == []
    else:
        assert sizes(api)["foo-v2"] == expected_old


NEW = START + dt.timedelta(hours=2)
OLD = START + dt.timedelta(hours=1)
OLDER = START


# TestScale: (name, new replicas, old surge, [(rs, size, created)], expected sizes)
SCALE_CASES = [
    ("normal scaling event: 10 -> 12", 12, 10, None, [("foo-v1", 10, NEW)], {"foo-v1": 12}),
    ("normal scaling event: 10 -> 5", 5, 10, None, [("foo-v1", 10, NEW)], {"foo-v1": 5}),
    (
        "proportional scaling: 5 -> 10",
        10,
        5,
        None,
        [("foo-v2", 2, NEW), ("foo-v1", 3, OLD)],
        {"foo-v2": 4, "foo-v1": 6},
    ),
    (
        "proportional scaling: 5 -> 3",
        3,
        5,
        None,
        [("foo-v2", 2, NEW), ("foo-v1", 3, OLD)],
        {"foo-v2": 1, "foo-v1": 2},
    ),
    (
        "proportional scaling: 9 -> 4",
        4,
        9,
        None,
        [("foo-v2", 8, NEW), ("foo-v1", 1, OLD)],
        {"foo-v2": 4, "foo-v1": 0},
    ),
    (
        "proportional scaling: 7 -> 10",
        10,
        7,
        None,
        [("foo-v3", 2, NEW), ("foo-v2", 3, OLD), ("foo-v1", 2, OLDER)],
        {"foo-v3": 3, "foo-v2": 4, "foo-v1": 3},
    ),
    (
        "proportional scaling: 13 -> 8",
        8,
        13,
        None,
        [("foo-v3", 2, NEW), ("foo-v2", 8, OLD), ("foo-v1", 3, OLDER)],
        {"foo-v3": 1, "foo-v2": 5, "foo-v1": 2},
    ),
    (
        "leftover distribution: 3 -> 4",
        4,
        3,
        None,
        [("foo-v3", 1, NEW), ("foo-v2", 1, OLD), ("foo-v1", 1, OLDER)],
        {"foo-v3": 2, "foo-v2": 1, "foo-v1": 1},
    ),
    (
        "leftover distribution: 3 -> 2",
        2,
        3,
        None,
        [("foo-v3", 1, NEW), ("foo-v2", 1, OLD), ("foo-v1", 1, OLDER)],
        {"foo-v3": 1, "foo-v2": 1, "foo-v1": 0},
    ),
    (
        "proportional scaling: 6 -> 0",
        0,
        6,
        None,
        [("foo-v3", 3, NEW), ("foo-v2", 2, OLD), ("foo-v1", 1, OLDER)],
        {"foo-v3": 0, "foo-v2": 0, "foo-v1": 0},
    ),
    (
        "proportional scaling: 0 -> 6",
        6,
        6,
        None,
        [("foo-v3", 0, NEW), ("foo-v2", 0, OLD), ("foo-v1", 0, OLDER)],
        {"foo-v3": 6, "foo-v2": 0, "foo-v1": 0},
    ),
    (
        "deployment with surge pods",
        20,
        10,
        (2, 2),
        [("foo-v2", 6, NEW), ("foo-v1", 6, OLD)],
        {"foo-v2": 11, "foo-v1": 11},
    ),
    (
        "change both surge and size",
        50,
        10,
        (3, 6),
        [("foo-v2", 5, NEW), ("foo-v1", 8, OLD)],
        {"foo-v2": 22, "foo-v1": 34},
    ),
]


@pytest.mark.parametrize(
    ("name", "replicas", "old_replicas", "surges", "rss", "expected"),
    SCALE_CASES,
    ids=[case[0] for case in SCALE_CASES],
)
def test_scale(name, replicas, old_replicas, surges, rss, expected):
    """Upstream's newDeployment has maxSurge 0 and maxUnavailable 0 unless given; each
    ReplicaSet is annotated for the Deployment before the scaling event."""
    old_surge, new_surge = surges or (0, 0)
    d = deployment("foo", replicas, max_surge=new_surge, max_unavailable=0)
    stored = [
        replica_set(
            rs_name,
            size,
            created=created,
            desired=old_replicas,
            max_replicas=old_replicas + old_surge,
        )
        for rs_name, size, created in rss
    ]
    # The newest ReplicaSet is the new one unless the test has none (all are old then).
    api, sync = fixture(d, stored)
    new_rs, *old_rss = sync.rs_list
    sync.scale(new_rs, old_rss)
    assert sizes(api) == expected


def test_scale_with_no_new_replica_set_scales_the_newest_first():
    """TestScale's "proportional scaling (no new rs): 4 -> 5"."""
    d = deployment("foo", 5, max_surge=0, max_unavailable=0)
    api, sync = fixture(
        d,
        [
            replica_set("foo-v2", 2, created=OLD, desired=4, max_replicas=4),
            replica_set("foo-v1", 2, created=OLDER, desired=4, max_replicas=4),
        ],
    )
    sync.scale(None, list(sync.rs_list))
    assert sizes(api) == {"foo-v2": 3, "foo-v1": 2}


def test_a_saturated_but_broken_new_replica_set_leaves_the_old_pods():
    """TestScale's last case: maxSurge 1, maxUnavailable 1, the new pods never available."""
    d = deployment("foo", 2, max_surge=1, max_unavailable=1)
    api, sync = fixture(
        d,
        [
            replica_set("foo-v2", 2, created=NEW, desired=2, max_replicas=3, available=0),
            replica_set("foo-v1", 1, created=OLD, desired=2, max_replicas=3),
        ],
    )
    new_rs, old_rs = sync.rs_list
    sync.scale(new_rs, [old_rs])
    assert sizes(api) == {"foo-v2": 2, "foo-v1": 1}


def test_scaling_events_tell_upstreams_1_32_wording():
    d = deployment("foo", 10, max_surge=0, max_unavailable=0)
    api, sync = fixture(
        d,
        [
            replica_set("foo-v2", 2, created=NEW, desired=5, max_replicas=5),
            replica_set("foo-v1", 3, created=OLD, desired=5, max_replicas=5),
        ],
    )
    d_stored = api.put("deployments", {**d, "metadata": {**d["metadata"], "uid": "uid-foo"}})
    sync.d["metadata"]["uid"] = d_stored["metadata"]["uid"]
    new_rs, old_rs = sync.rs_list
    sync.scale(new_rs, [old_rs])
    messages = sorted(e["message"] for e in api.events("ScalingReplicaSet"))
    assert messages == [
        "Scaled up replica set foo-v1 to 6 from 3",
        "Scaled up replica set foo-v2 to 4 from 2",
    ]
