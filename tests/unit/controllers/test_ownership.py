from cluster.components.controllers.ownership import (
    controller_of,
    controller_ref,
    selector_matches,
    set_selector_matches,
)


def test_match_labels_and_expressions_must_all_hold():
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["front", "edge"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    assert selector_matches(selector, {"app": "web", "tier": "front"})
    assert not selector_matches(selector, {"app": "web", "tier": "back"})
    assert not selector_matches(selector, {"app": "web", "tier": "front", "canary": "1"})
    assert not selector_matches(selector, {"tier": "front"})


def test_not_in_and_exists():
    assert selector_matches(
        {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["x"]}]}, {}
    )
    assert not selector_matches(
        {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["x"]}]}, {"a": "x"}
    )
    assert not selector_matches({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {})


def test_a_missing_selector_matches_nothing_and_an_empty_one_everything():
    assert not selector_matches(None, {"app": "web"})
    assert selector_matches({}, {"app": "web"})


def test_an_empty_map_selector_matches_nothing():
    assert not set_selector_matches({}, {"app": "web"})
    assert set_selector_matches({"app": "web"}, {"app": "web", "x": "y"})


def test_controller_ref_round_trips():
    owner = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web", "uid": "u1"},
    }
    pod = {"metadata": {"ownerReferences": [{"kind": "Other", "name": "x"}, controller_ref(owner)]}}
    assert controller_of(pod) == {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web",
        "uid": "u1",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert controller_of({"metadata": {}}) is None
