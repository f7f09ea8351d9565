"""TaintToleration: NoSchedule/NoExecute taints filter, PreferNoSchedule taints lower the score."""

import pytest

from cluster.components.scheduler.framework import UNSCHEDULABLE_AND_UNRESOLVABLE
from cluster.components.scheduler.plugins.taint_toleration import TaintToleration

from .builders import (
    CONTROL_PLANE_TAINT_REASON,
    make_node,
    make_pod,
    node_info,
    run_filter,
    run_score,
)

PLUGIN = TaintToleration()
DEDICATED_GPU = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


def test_an_untainted_node_passes():
    assert run_filter(PLUGIN, make_pod(), node_info(make_node())).passed


def test_the_control_plane_taint_rejects_a_plain_pod_with_upstreams_exact_wording():
    result = run_filter(
        PLUGIN, make_pod(), node_info(make_node("control-plane", control_plane=True))
    )
    assert result.reason == CONTROL_PLANE_TAINT_REASON
    assert result.reason == (
        "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
    )
    assert result.code == UNSCHEDULABLE_AND_UNRESOLVABLE


def test_a_taint_value_is_shown_after_the_key():
    result = run_filter(PLUGIN, make_pod(), node_info(make_node(taints=[DEDICATED_GPU])))
    assert result.reason == "node(s) had untolerated taint {dedicated: gpu}"


def test_the_first_untolerated_taint_is_the_one_reported():
    taints = [
        {"key": "soft", "effect": "PreferNoSchedule"},
        {"key": "first", "effect": "NoExecute"},
        DEDICATED_GPU,
    ]
    result = run_filter(PLUGIN, make_pod(), node_info(make_node(taints=taints)))
    assert result.reason == "node(s) had untolerated taint {first: }"


def test_prefer_no_schedule_taints_do_not_filter():
    node = make_node(taints=[{"key": "soft", "effect": "PreferNoSchedule"}])
    assert run_filter(PLUGIN, make_pod(), node_info(node)).passed


@pytest.mark.parametrize(
    "toleration",
    [
        {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
        {"key": "dedicated", "value": "gpu"},  # no operator means Equal, no effect means any
        {"key": "dedicated", "operator": "Exists"},
        {"operator": "Exists"},  # an empty key with Exists tolerates everything
    ],
)
def test_matching_tolerations_let_the_pod_through(toleration):
    node = make_node(taints=[DEDICATED_GPU])
    assert run_filter(PLUGIN, make_pod(tolerations=[toleration]), node_info(node)).passed


@pytest.mark.parametrize(
    "toleration",
    [
        {"key": "dedicated", "operator": "Equal", "value": "cpu"},
        {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"},
        {"key": "other", "operator": "Exists"},
    ],
)
def test_non_matching_tolerations_do_not(toleration):
    node = make_node(taints=[DEDICATED_GPU])
    assert not run_filter(PLUGIN, make_pod(tolerations=[toleration]), node_info(node)).passed


def test_the_score_counts_untolerated_prefer_no_schedule_taints():
    taints = [
        {"key": "a", "effect": "PreferNoSchedule"},
        {"key": "b", "effect": "PreferNoSchedule"},
        {"key": "c", "effect": "NoSchedule"},
    ]
    info = node_info(make_node(taints=taints))
    assert run_score(PLUGIN, make_pod(), info, [info]) == 2
    tolerant = make_pod(tolerations=[{"key": "a", "operator": "Exists"}])
    assert run_score(PLUGIN, tolerant, info, [info]) == 1
    no_schedule_only = make_pod(
        tolerations=[{"key": "b", "operator": "Exists", "effect": "NoSchedule"}]
    )
    assert run_score(PLUGIN, no_schedule_only, info, [info]) == 2


def test_normalization_is_reversed_so_fewer_taints_score_higher():
    assert PLUGIN.normalize([0, 1, 2]) == [100, 50, 0]
    assert PLUGIN.normalize([0, 0]) == [100, 100]
    assert PLUGIN.normalize([1, 3]) == [67, 0]  # 100 - 100*1//3 = 67
