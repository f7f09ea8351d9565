"""Server-side apply's merge and field ownership (cluster/apiserver/server_side_apply.py,
managed_fields.py), on plain dicts."""

from __future__ import annotations

import pytest

from cluster.apiserver import managed_fields
from cluster.apiserver.server_side_apply import ApplyConflicts, Target, apply

DEPLOYMENT = Target("Deployment", "apps/v1", has_status=True)
T1, T2 = "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"


def config(replicas: int = 2, **extra: object) -> dict:
    containers = [{"name": "web", "image": "nginx"}]
    spec = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": containers},
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": spec | extra,
    }


def applied(live: dict | None, cfg: dict, manager: str = "kubectl", *, force=False, now=T1):
    return apply(live, cfg, manager=manager, force=force, target=DEPLOYMENT, now=now)


def managers(obj: dict) -> dict[str, dict]:
    return {e["manager"]: e for e in obj["metadata"]["managedFields"]}


def test_a_create_records_the_fields_in_upstream_s_fields_v1():
    created = applied(None, config())
    (entry,) = created["metadata"]["managedFields"]
    assert {k: v for k, v in entry.items() if k != "fieldsV1"} == {
        "manager": "kubectl",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "time": T1,
        "fieldsType": "FieldsV1",
    }
    assert entry["fieldsV1"] == {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},  # a label selector is owned whole (atomic)
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"web"}': {".": {}, "f:image": {}, "f:name": {}},
                    }
                },
            },
        },
    }


def test_fields_v1_reads_back_as_the_set_it_encodes():
    paths = {
        ("f:spec", "f:containers", 'k:{"name":"web"}'),
        ("f:spec", "f:containers", 'k:{"name":"web"}', "f:image"),
        ("f:metadata", "f:finalizers", 'v:"example.com/x"'),
    }
    tree = managed_fields.to_fields_v1(paths)
    assert tree["f:spec"]["f:containers"]['k:{"name":"web"}'] == {".": {}, "f:image": {}}
    assert managed_fields.from_fields_v1(tree) == paths
    assert (
        managed_fields.describe(("f:spec", "f:containers", 'k:{"name":"web"}', "f:image"))
        == '.spec.containers[name="web"].image'
    )


def test_a_field_the_manager_no_longer_applies_is_removed_and_lists_merge_by_key():
    first = config()
    first["spec"]["template"]["spec"]["containers"].append({"name": "log", "image": "busybox"})
    first["metadata"]["labels"]["tier"] = "front"
    live = applied(None, first)
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Always"  # defaulted
    again = applied(live, config(replicas=3), now=T2)
    assert again["metadata"]["labels"] == {"app": "web"}
    containers = again["spec"]["template"]["spec"]["containers"]
    # The container it still applies is merged: the defaulted field nobody owns stays.
    assert containers == [{"name": "web", "image": "nginx", "imagePullPolicy": "Always"}]
    assert again["spec"]["replicas"] == 3
    assert managers(again)["kubectl"]["time"] == T2


def test_an_unchanged_apply_keeps_the_object_and_its_time():
    live = applied(None, config())
    assert applied(live, config(), now=T2) == live


def test_a_field_another_applier_owns_with_another_value_is_a_conflict():
    live = applied(None, config(replicas=2))
    shared = applied(
        live, {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 2}}, "hpa"
    )
    # The same value is no conflict: both own the field.
    assert "f:replicas" in managers(shared)["hpa"]["fieldsV1"]["f:spec"]
    with pytest.raises(ApplyConflicts) as refused:
        applied(shared, config(replicas=5), "other")
    assert refused.value.message.startswith("Apply failed with ")
    assert refused.value.causes[0] == {
        "reason": "FieldManagerConflict",
        "message": 'conflict with "hpa"',
        "field": ".spec.replicas",
    }
    single = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 7}}
    with pytest.raises(ApplyConflicts) as one:
        applied(live, single, "hpa")
    assert (
        one.value.message == 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'
    )


def test_force_takes_the_field_from_its_other_owner():
    live = applied(None, config(replicas=2))
    scaled = {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 9}}
    taken = applied(live, scaled, "hpa", force=True, now=T2)
    assert taken["spec"]["replicas"] == 9
    assert "f:replicas" not in managers(taken)["kubectl"]["fieldsV1"]["f:spec"]
    assert managers(taken)["kubectl"]["time"] == T1  # not the applier: its time stays
    # kubectl no longer owns replicas: dropping it from its config leaves hpa's value.
    rest = config()
    del rest["spec"]["replicas"]
    assert applied(taken, rest, now=T2)["spec"]["replicas"] == 9


def test_a_field_another_applier_owns_too_is_not_removed():
    live = applied(None, config())
    labels = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"labels": {"app": "web"}}}
    both = applied(live, labels, "labeller")
    rest = config()
    del rest["metadata"]["labels"]
    assert applied(both, rest, now=T2)["metadata"]["labels"] == {"app": "web"}


def test_a_status_and_managed_fields_in_the_configuration_are_not_applied():
    sent = config() | {"status": {"replicas": 4}}
    sent["metadata"]["managedFields"] = [{"manager": "me", "operation": "Apply"}]
    created = applied(None, sent)
    assert "status" not in created
    assert [e["manager"] for e in created["metadata"]["managedFields"]] == ["kubectl"]
