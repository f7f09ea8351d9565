"""Workload validation: upstream's field paths and words, Go's printing of bad values."""

import copy

import pytest

from cluster.resources import deployments, replicas, replicasets, replicationcontrollers
from cluster.resources.label_selectors import selector_string, set_selector_string

NOT_A_PERCENT = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)
APPS_KINDS = [(replicasets, "ReplicaSet"), (deployments, "Deployment")]


def messages(errors):
    return [error.message for error in errors]


def make(module, kind, **spec):
    """A workload as the API server validates it on create: defaults already applied."""
    obj = {
        "kind": kind,
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
            **spec,
        },
    }
    if module is replicationcontrollers:
        obj["spec"]["selector"] = spec.get("selector", {"app": "web"})
    module.default(obj)
    return obj


def create_errors(module, obj):
    return messages(module.RESOURCE.validate(obj, None))


def stored(obj):
    old = copy.deepcopy(obj)
    old["metadata"].update(uid="u-1", creationTimestamp="2025-01-01T00:00:00Z", generation=1)
    return old


@pytest.mark.parametrize(
    ("module", "kind"), [*APPS_KINDS, (replicationcontrollers, "ReplicationController")]
)
def test_a_well_formed_workload_is_valid(module, kind):
    assert create_errors(module, make(module, kind)) == []


@pytest.mark.parametrize(("module", "kind"), APPS_KINDS)
def test_apps_v1_requires_a_selector_and_then_no_template_matches(module, kind):
    obj = make(module, kind)
    del obj["spec"]["selector"]
    assert create_errors(module, obj) == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}:'
        " `selector` does not match template `labels`",
    ]


@pytest.mark.parametrize(("module", "kind"), APPS_KINDS)
def test_the_selector_must_pick_the_templates_labels(module, kind):
    obj = make(module, kind, selector={"matchLabels": {"app": "x"}})
    assert create_errors(module, obj) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}:'
        " `selector` does not match template `labels`"
    ]


def test_a_selector_expression_is_matched_too():
    selector = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}
    assert create_errors(replicasets, make(replicasets, "ReplicaSet", selector=selector)) == []
    selector["matchExpressions"][0]["operator"] = "NotIn"
    assert len(create_errors(replicasets, make(replicasets, "ReplicaSet", selector=selector))) == 1


@pytest.mark.parametrize(("module", "kind"), APPS_KINDS)
def test_an_empty_selector_is_invalid_in_upstreams_words(module, kind):
    obj = make(module, kind, selector={"matchLabels": {}})
    assert create_errors(module, obj) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{},"
        " MatchExpressions:[]v1.LabelSelectorRequirement(nil)}:"
        " empty selector is invalid for deployment"
    ]


def test_a_selector_that_cannot_be_parsed_leaves_the_template_unchecked():
    selector = {"matchExpressions": [{"key": "app", "operator": "Near", "values": ["web"]}]}
    obj = make(deployments, "Deployment", selector=selector)
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert create_errors(deployments, obj) == [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Near":'
        " not a valid selector operator",
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil),"
        ' MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app",'
        ' Operator:"Near", Values:[]string{"web"}}}}: invalid label selector',
    ]


def test_in_needs_values_and_exists_takes_none():
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In"},
            {"key": "team", "operator": "Exists", "values": ["a"]},
        ],
    }
    errors = create_errors(replicasets, make(replicasets, "ReplicaSet", selector=selector))
    assert errors[:2] == [
        "spec.selector.matchExpressions[0].values: Required value:"
        " must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden:"
        " may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ]


@pytest.mark.parametrize(
    ("module", "kind"), [*APPS_KINDS, (replicationcontrollers, "ReplicationController")]
)
def test_replicas_may_not_be_negative(module, kind):
    assert create_errors(module, make(module, kind, replicas=-1)) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    ]


@pytest.mark.parametrize(
    ("module", "kind"), [*APPS_KINDS, (replicationcontrollers, "ReplicationController")]
)
def test_replicated_pods_must_always_be_restarted(module, kind):
    obj = make(module, kind)
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert create_errors(module, obj) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
    ]


@pytest.mark.parametrize(
    ("module", "kind", "owner"),
    [
        (replicasets, "ReplicaSet", "ReplicaSet"),
        (deployments, "Deployment", "ReplicaSet"),  # upstream checks it as its ReplicaSet's
        (replicationcontrollers, "ReplicationController", "ReplicationController"),
    ],
)
def test_a_template_may_not_set_a_deadline(module, kind, owner):
    obj = make(module, kind)
    obj["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 60
    assert create_errors(module, obj) == [
        "spec.template.spec.activeDeadlineSeconds: Forbidden:"
        f" activeDeadlineSeconds in {owner} is not Supported"
    ]


def test_the_template_spec_is_validated_as_a_pods_under_its_own_path():
    obj = make(replicasets, "ReplicaSet")
    obj["spec"]["template"]["spec"]["containers"] = [
        {"name": "App", "resources": {"requests": {"cpu": "lots"}}}
    ]
    replicasets.default(obj)
    errors = create_errors(replicasets, obj)
    assert errors[0].startswith('spec.template.spec.containers[0].name: Invalid value: "App": ')
    assert "spec.template.spec.containers[0].image: Required value" in errors
    assert any(
        e.startswith("spec.template.spec.containers[0].resources.requests[cpu]: Invalid value:")
        for e in errors
    )


def test_without_containers_the_template_says_so():
    obj = make(deployments, "Deployment")
    obj["spec"]["template"]["spec"] = {}
    deployments.default(obj)
    assert create_errors(deployments, obj) == ["spec.template.spec.containers: Required value"]


def test_template_labels_are_reported_where_upstream_reports_them():
    obj = make(replicasets, "ReplicaSet")
    obj["spec"]["template"]["metadata"]["labels"]["tier"] = "-front"
    errors = create_errors(replicasets, obj)
    # Upstream's ValidatePodTemplateSpec checks them at template.labels, not metadata.labels.
    assert len(errors) == 1
    assert errors[0].startswith('spec.template.labels: Invalid value: "-front": ')


@pytest.mark.parametrize(("module", "kind"), APPS_KINDS)
def test_apps_v1_selectors_are_immutable(module, kind):
    old = stored(make(module, kind))
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "web", "tier": "front"}}
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    assert messages(module.RESOURCE.validate(new, old)) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string"
        '{"app":"web", "tier":"front"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}:'
        " field is immutable"
    ]


def test_an_unchanged_selector_written_differently_is_no_change():
    old = stored(make(replicasets, "ReplicaSet"))
    new = copy.deepcopy(old)
    new["spec"]["selector"]["matchExpressions"] = []
    assert messages(replicasets.RESOURCE.validate(new, old)) == []


def test_a_replication_controller_may_change_its_selector():
    old = stored(make(replicationcontrollers, "ReplicationController"))
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"app": "web", "tier": "front"}
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    assert messages(replicationcontrollers.RESOURCE.validate(new, old)) == []


def test_a_replication_controller_needs_a_selector_and_a_template():
    rc = {"metadata": {"name": "web", "namespace": "default"}, "spec": {}}
    replicationcontrollers.default(rc)
    assert create_errors(replicationcontrollers, rc) == [
        "spec.selector: Required value",
        "spec.template: Required value",
    ]


def test_a_replication_controllers_selector_must_match_its_template():
    rc = make(replicationcontrollers, "ReplicationController", selector={"app": "x"})
    assert create_errors(replicationcontrollers, rc) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}:'
        " `selector` does not match template `labels`"
    ]


# --- a Deployment's strategy --------------------------------------------------------


def strategy_errors(strategy, **spec):
    return create_errors(deployments, make(deployments, "Deployment", strategy=strategy, **spec))


def test_surge_and_unavailability_may_not_both_be_zero():
    assert strategy_errors({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value:"
        ' intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0'
    ]


def test_a_recreate_deployment_may_not_say_how_to_roll():
    assert strategy_errors({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}) == [
        "spec.strategy.rollingUpdate: Forbidden:"
        " may not be specified when strategy `type` is 'Recreate'"
    ]


def test_an_unknown_strategy_is_unsupported():
    assert strategy_errors({"type": "BlueGreen"}) == [
        'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen",'
        " RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}:"
        ' supported values: "Recreate", "RollingUpdate"'
    ]


def test_surge_and_unavailability_are_counts_or_percentages():
    assert strategy_errors({"rollingUpdate": {"maxSurge": "lots", "maxUnavailable": -1}}) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: -1:"
        " must be greater than or equal to 0",
        "spec.strategy.rollingUpdate.maxSurge: Invalid value:"
        f' intstr.IntOrString{{Type:1, IntVal:0, StrVal:"lots"}}: {NOT_A_PERCENT}',
    ]


def test_no_more_than_every_pod_may_be_unavailable():
    assert strategy_errors({"rollingUpdate": {"maxUnavailable": "150%"}}) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value:"
        ' intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%'
    ]


def test_the_progress_deadline_must_outlast_min_ready_seconds():
    errors = create_errors(
        deployments,
        make(deployments, "Deployment", minReadySeconds=30, progressDeadlineSeconds=30),
    )
    assert errors == [
        "spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds"
    ]


def test_revision_history_may_be_zero_but_not_negative():
    assert create_errors(deployments, make(deployments, "Deployment", revisionHistoryLimit=0)) == []
    assert create_errors(deployments, make(deployments, "Deployment", revisionHistoryLimit=-1)) == [
        "spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"
    ]


# --- status ----------------------------------------------------------------------


def status_errors(module, kind, status, old_status=None):
    old = stored(make(module, kind))
    old["status"] = old_status or old["status"]
    new = copy.deepcopy(old)
    new["status"] = status
    return messages(module.RESOURCE.validate_status(new, old))


@pytest.mark.parametrize(
    ("module", "kind"),
    [(replicasets, "ReplicaSet"), (replicationcontrollers, "ReplicationController")],
)
def test_a_status_may_not_count_more_ready_pods_than_pods(module, kind):
    assert status_errors(module, kind, {"replicas": 2, "readyReplicas": 3}) == [
        "status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas"
    ]
    assert status_errors(module, kind, {"replicas": 3, "readyReplicas": 2, "availableReplicas": 3})
    # As upstream: a negative count also leaves every other count (Go's 0) above it.
    assert status_errors(module, kind, {"replicas": -1})[:2] == [
        "status.replicas: Invalid value: -1: must be greater than or equal to 0",
        "status.fullyLabeledReplicas: Invalid value: 0: cannot be greater than status.replicas",
    ]


def test_a_deployments_collision_count_only_grows():
    assert status_errors(
        deployments, "Deployment", {"collisionCount": 1}, old_status={"collisionCount": 2}
    ) == ["status.collisionCount: Invalid value: 1: cannot be decremented"]
    assert status_errors(deployments, "Deployment", {"replicas": 1, "updatedReplicas": 1}) == []


# --- generation and selectors as text ----------------------------------------------


def test_a_spec_change_is_a_new_generation_and_zero_values_are_no_change():
    old = stored(make(replicasets, "ReplicaSet"))
    new = copy.deepcopy(old)
    new["spec"]["minReadySeconds"] = 0
    assert not replicasets.RESOURCE.generation_changed(new, old)
    new["spec"]["replicas"] = 3
    assert replicasets.RESOURCE.generation_changed(new, old)


def test_a_deployments_annotations_are_part_of_its_generation():
    old = stored(make(deployments, "Deployment"))
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"team": "a"}
    assert not deployments.RESOURCE.generation_changed(new, old)
    new["metadata"]["annotations"] = {"note": "copied to its ReplicaSets"}
    assert deployments.RESOURCE.generation_changed(new, old)
    assert not replicas.spec_changed(new, old)


def test_selectors_print_as_upstreams_labels_selector_string():
    selector = {
        "matchLabels": {"tier": "front", "app": "web"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "dev"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "zone", "operator": "NotIn", "values": ["b"]},
            {"key": "owner", "operator": "Exists"},
        ],
    }
    assert selector_string(selector) == (
        "app=web,!canary,env in (dev,prod),owner,tier=front,zone notin (b)"
    )
    assert set_selector_string({"tier": "front", "app": "web"}) == "app=web,tier=front"
