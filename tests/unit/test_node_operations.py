"""kubectl taint's arithmetic on a node's taints (the calls themselves are tested through
the node panel, tests/web/test_panels.py)."""

from cluster.node_operations import taints_with, without_key

NO_SCHEDULE = {"key": "gpu", "value": "true", "effect": "NoSchedule"}
NO_EXECUTE = {"key": "gpu", "effect": "NoExecute"}
OTHER = {"key": "zone", "value": "a", "effect": "PreferNoSchedule"}


def test_a_taint_replaces_every_effect_of_its_key():
    assert taints_with([NO_SCHEDULE, OTHER, NO_EXECUTE], NO_EXECUTE) == [OTHER, NO_EXECUTE]


def test_a_new_key_is_added_after_the_others():
    assert taints_with([OTHER], NO_SCHEDULE) == [OTHER, NO_SCHEDULE]


def test_removing_a_key_removes_all_its_effects_and_keeps_the_rest():
    assert without_key([NO_SCHEDULE, OTHER, NO_EXECUTE], "gpu") == [OTHER]
    assert without_key([OTHER], "gpu") == [OTHER]
