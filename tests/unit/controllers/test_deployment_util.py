"""The Deployment controller's arithmetic against upstream's own table cases
(deployment/util's deployment_util_test.go)."""

from __future__ import annotations

import datetime as dt

import pytest

from cluster.components.controllers import deployment_status as ds
from cluster.components.controllers import deployment_util as du
from cluster.components.controllers.deployment_hash import compute_hash, equal_ignore_hash
from tests.unit.controllers.deployment_harness import deployment, replica_set


# TestResolveFenceposts
@pytest.mark.parametrize(
    ("surge", "unavailable", "desired", "expected"),
    [
        ("0%", "0%", 0, (0, 1)),
        ("39%", "39%", 10, (4, 3)),
        (None, "39%", 10, (0, 3)),
        ("39%", None, 10, (4, 0)),
        (None, None, 10, (0, 1)),
        ("25%", "25%", 8, (2, 2)),
        ("25%", "25%", 3, (1, 0)),
        (1, 1, 2, (1, 1)),
    ],
)
def test_resolve_fenceposts_rounds_surge_up_and_unavailable_down(
    surge, unavailable, desired, expected
):
    assert du.resolve_fenceposts(surge, unavailable, desired) == expected


@pytest.mark.parametrize(("surge", "unavailable"), [("oops", "39%"), ("55%", "urg"), ("5", 1)])
def test_resolve_fenceposts_refuses_what_is_neither_int_nor_percent(surge, unavailable):
    with pytest.raises(du.InvalidIntOrPercent):
        du.resolve_fenceposts(surge, unavailable, 10)


# TestMaxUnavailable
@pytest.mark.parametrize(
    ("replicas", "unavailable", "expected"),
    [(10, 5, 5), (10, 10, 10), (5, 10, 5), (0, 10, 0), (10, "50%", 5), (5, "100%", 5)],
)
def test_max_unavailable_never_exceeds_the_replicas(replicas, unavailable, expected):
    d = du.with_defaults(deployment(replicas=replicas, max_surge=1, max_unavailable=unavailable))
    assert du.max_unavailable(d) == expected


def test_recreate_has_no_surge_and_no_unavailable_budget():
    d = du.with_defaults(deployment(strategy="Recreate"))
    assert (du.max_surge(d), du.max_unavailable(d)) == (0, 0)


# TestNewRSNewReplicas: the other ReplicaSet has 5 replicas.
@pytest.mark.parametrize(
    ("strategy", "deployment_replicas", "new_replicas", "surge", "expected"),
    [
        ("RollingUpdate", 1, 5, 1, 5),  # can not scale up
        ("RollingUpdate", 6, 2, 10, 6),  # scale up, to the deployment's replicas
        ("Recreate", 3, 1, 1, 3),
    ],
)
def test_new_rs_new_replicas(strategy, deployment_replicas, new_replicas, surge, expected):
    d = deployment(replicas=deployment_replicas, strategy=strategy)
    d["spec"]["strategy"]["rollingUpdate"] = {"maxUnavailable": 1, "maxSurge": surge}
    d = du.with_defaults(d)
    new_rs = replica_set("new", new_replicas)
    assert du.new_rs_new_replicas(d, [replica_set("rs5", 5)], new_rs) == expected


def test_defaults_are_apps_v1s():
    d = du.with_defaults({"metadata": {"name": "web"}, "spec": {}})
    assert d["spec"]["replicas"] == 1
    assert d["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert d["spec"]["revisionHistoryLimit"] == 10
    assert d["spec"]["progressDeadlineSeconds"] == 600


def test_the_hash_uses_upstreams_alphabet_and_changes_with_the_template_and_collisions():
    template = deployment()["spec"]["template"]
    first = compute_hash(template)
    assert first == compute_hash(template)
    # Decimal digits map onto "4 5 6 7 8 9 b c d f", as real pod-template-hash values show.
    assert set(first) <= set("456789bcdf") and 1 <= len(first) <= 10
    other = deployment(image="nginx:1.27")["spec"]["template"]
    assert compute_hash(other) != first
    assert compute_hash(template, 1) != first


def test_templates_equal_but_for_the_hash_label_and_empty_fields():
    template = deployment()["spec"]["template"]
    labelled = {
        "metadata": {"labels": {"app": "web", "pod-template-hash": "5d4b9"}, "annotations": {}},
        "spec": template["spec"],
    }
    assert equal_ignore_hash(template, labelled)
    assert not equal_ignore_hash(template, deployment(image="nginx:1.27")["spec"]["template"])


# TestDeploymentComplete: (desired, current, updated, available, maxUnavailable, maxSurge)
@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        ((5, 5, 5, 4, 1, 0), False),
        ((5, 5, 5, 3, 1, 0), False),
        ((5, 5, 5, 5, 0, 0), True),
        ((5, 5, 4, 5, 0, 0), False),
        ((1, 2, 1, 1, 0, 1), False),
        ((1, 1, 1, 0, 1, 1), False),
    ],
)
def test_deployment_complete(numbers, expected):
    desired, current, updated, available, unavailable, surge = numbers
    d = du.with_defaults(deployment(replicas=desired, max_surge=surge, max_unavailable=unavailable))
    status = {"replicas": current, "updatedReplicas": updated, "availableReplicas": available}
    assert ds.deployment_complete(d, status) is expected


# TestDeploymentProgressing: (current, updated, ready, available) before and after
@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ((10, 4, 4, 4), (10, 6, 4, 4), True),
        ((10, 4, 4, 4), (10, 4, 4, 4), False),
        ((10, 4, 6, 6), (8, 4, 6, 6), True),
        ((10, 7, 3, 3), (10, 6, 3, 3), False),
        ((10, 4, 7, 7), (8, 8, 5, 5), True),
        ((10, 10, 9, 8), (10, 10, 10, 8), True),
        ((10, 10, 10, 9), (10, 10, 10, 10), True),
    ],
)
def test_deployment_progressing(before, after, expected):
    fields = ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    d = {"status": dict(zip(fields, before, strict=True))}
    assert ds.deployment_progressing(d, dict(zip(fields, after, strict=True))) is expected


# TestDeploymentTimedOut
@pytest.mark.parametrize(
    ("deadline", "updated_at", "reason", "expected"),
    [
        (2**31 - 1, (1, 9), "", False),  # infinite: never
        (10, (1, 9), "", True),  # 00:01:20 - 00:01:09 = 11 s
        (10, (1, 11), "", False),  # 9 s
        (10, (0, 0), "NewReplicaSetAvailable", False),  # a finished rollout never times out
    ],
)
def test_deployment_timed_out(deadline, updated_at, reason, expected):
    def at(minute: int, second: int) -> dt.datetime:
        return dt.datetime(2016, 1, 1, 0, minute, second, tzinfo=dt.UTC)

    d = {"spec": {"progressDeadlineSeconds": deadline}}
    status = {
        "conditions": [
            {
                "type": "Progressing",
                "status": "True",
                "reason": reason,
                "lastUpdateTime": at(*updated_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ]
    }
    assert ds.deployment_timed_out(d, status, at(1, 20)) is expected


def test_a_rollback_moves_the_revision_and_keeps_the_ones_served_before():
    d = du.with_defaults(deployment())
    rs = replica_set("web-old", 0)
    rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "1"
    assert du.set_new_replica_set_annotations(d, rs, 3, exists=True)
    annotations = rs["metadata"]["annotations"]
    assert annotations["deployment.kubernetes.io/revision"] == "3"
    assert annotations["deployment.kubernetes.io/revision-history"] == "1"
    annotations["deployment.kubernetes.io/revision"] = "3"
    du.set_new_replica_set_annotations(d, rs, 5, exists=True)
    assert annotations["deployment.kubernetes.io/revision-history"] == "1,3"
