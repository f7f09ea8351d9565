"""NodeAffinity: nodeSelector and required/preferred node affinity, matched as upstream does."""

import pytest

from cluster.components.scheduler.framework import UNSCHEDULABLE_AND_UNRESOLVABLE, CycleState
from cluster.components.scheduler.plugins.node_affinity import NodeAffinity

from .builders import make_node, make_pod, node_info, run_filter, run_score

PLUGIN = NodeAffinity()
REASON = "node(s) didn't match Pod's node affinity/selector"
SSD_NODE = make_node("node-1", labels={"disk": "ssd", "cores": "8"})


def required(*terms):
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
        }
    }


def expression(key, operator, *values):
    requirement = {"key": key, "operator": operator}
    if values:
        requirement["values"] = list(values)
    return {"matchExpressions": [requirement]}


def fits(pod, node=SSD_NODE):
    return run_filter(PLUGIN, pod, node_info(node)).passed


def test_a_pod_without_constraints_fits():
    assert fits(make_pod())


def test_node_selector_labels_must_all_be_present():
    assert fits(make_pod(nodeSelector={"disk": "ssd"}))
    assert fits(make_pod(nodeSelector={"disk": "ssd", "kubernetes.io/os": "linux"}))
    assert not fits(make_pod(nodeSelector={"disk": "hdd"}))
    assert not fits(make_pod(nodeSelector={"gpu": ""}))  # a missing label never matches


def test_a_mismatch_is_reported_with_upstreams_reason():
    result = run_filter(PLUGIN, make_pod(nodeSelector={"disk": "hdd"}), node_info(SSD_NODE))
    assert result.reason == REASON
    assert result.code == UNSCHEDULABLE_AND_UNRESOLVABLE


@pytest.mark.parametrize(
    ("term", "matches"),
    [
        (expression("disk", "In", "ssd", "nvme"), True),
        (expression("disk", "In", "hdd"), False),
        (expression("disk", "NotIn", "hdd"), True),
        (expression("disk", "NotIn", "ssd"), False),
        (expression("gpu", "NotIn", "a100"), True),  # an absent label is "not in"
        (expression("disk", "Exists"), True),
        (expression("gpu", "Exists"), False),
        (expression("gpu", "DoesNotExist"), True),
        (expression("disk", "DoesNotExist"), False),
        (expression("cores", "Gt", "4"), True),
        (expression("cores", "Gt", "8"), False),
        (expression("cores", "Lt", "16"), True),
        (expression("cores", "Lt", "8"), False),
        (expression("disk", "Gt", "4"), False),  # a label that is not a number
        (expression("cores", "Gt", "four"), False),  # a malformed requirement
        (expression("disk", "In"), False),  # In needs values
        ({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}, True),
        (
            {"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["node-1"]}]},
            False,
        ),
        ({}, False),  # an empty term matches nothing
    ],
)
def test_match_expressions_and_fields(term, matches):
    assert fits(make_pod(affinity=required(term))) is matches


def test_requirements_in_a_term_are_anded_and_terms_are_ored():
    both = {
        "matchExpressions": [
            {"key": "disk", "operator": "In", "values": ["ssd"]},
            {"key": "gpu", "operator": "Exists"},
        ]
    }
    assert not fits(make_pod(affinity=required(both)))
    assert fits(make_pod(affinity=required(both, expression("disk", "Exists"))))


def test_node_selector_and_affinity_must_both_match():
    pod = make_pod(nodeSelector={"disk": "hdd"}, affinity=required(expression("disk", "Exists")))
    assert not fits(pod)


def test_pre_filter_narrows_to_nodes_named_by_match_fields():
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-2"]}]}
    result = PLUGIN.pre_filter(CycleState(), make_pod(affinity=required(term)))
    assert result.node_names == frozenset({"node-2"})


def test_pre_filter_keeps_every_node_when_a_term_names_none():
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-2"]}]}
    result = PLUGIN.pre_filter(
        CycleState(), make_pod(affinity=required(term, expression("disk", "Exists")))
    )
    assert result.node_names is None
    assert (
        PLUGIN.pre_filter(CycleState(), make_pod(nodeSelector={"disk": "ssd"})).node_names is None
    )


def test_pre_filter_rejects_terms_that_name_no_node_at_all():
    conflicting = {
        "matchFields": [
            {"key": "metadata.name", "operator": "In", "values": ["node-1"]},
            {"key": "metadata.name", "operator": "In", "values": ["node-2"]},
        ]
    }
    result = PLUGIN.pre_filter(CycleState(), make_pod(affinity=required(conflicting)))
    assert result.rejection == "pod affinity terms conflict"


def preferring(*weighted_terms):
    return {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": weight, "preference": term} for weight, term in weighted_terms
            ]
        }
    }


def test_the_score_sums_the_weights_of_matching_preferred_terms():
    pod = make_pod(
        affinity=preferring(
            (10, expression("disk", "In", "ssd")),
            (30, expression("cores", "Gt", "4")),
            (50, expression("gpu", "Exists")),
        )
    )
    info = node_info(SSD_NODE)
    assert run_score(PLUGIN, pod, info, [info]) == 40
    assert run_score(PLUGIN, make_pod(), info, [info]) == 0


def test_normalization_scales_the_best_node_to_100():
    assert PLUGIN.normalize([40, 30, 0]) == [100, 75, 0]
    assert PLUGIN.normalize([0, 0]) == [0, 0]


def test_for_a_pod_that_asks_nothing_of_labels_the_filter_is_skipped_as_upstream_skips_it():
    assert PLUGIN.pre_filter(CycleState(), make_pod()).skip
    assert not PLUGIN.pre_filter(CycleState(), make_pod(nodeSelector={"disk": "ssd"})).skip
    term = {"matchExpressions": [expression("disk", "Exists")]}
    assert not PLUGIN.pre_filter(CycleState(), make_pod(affinity=required(term))).skip
