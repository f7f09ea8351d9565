"""What a new ReplicaSet, Deployment or ReplicationController gains before validation,
as upstream's defaulting and strategies fill it in."""

import copy

from cluster.resources import deployments, pods, replicasets, replicationcontrollers

TEMPLATE = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
}
# SetDefaults_PodSpec and SetDefaults_Container: what any PodSpec gets, a template's too.
DEFAULTED_TEMPLATE_SPEC = {
    "containers": [
        {
            "name": "app",
            "image": "nginx:1.27",
            "imagePullPolicy": "IfNotPresent",
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "resources": {},
        }
    ],
    "restartPolicy": "Always",
    "dnsPolicy": "ClusterFirst",
    "schedulerName": "default-scheduler",
    "terminationGracePeriodSeconds": 30,
    "securityContext": {},
}


def workload(kind, **spec):
    return {
        "kind": kind,
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"template": copy.deepcopy(TEMPLATE), **spec},
    }


def defaulted(module, obj):
    module.default(obj)
    return obj


def test_a_replica_set_gets_one_replica_and_an_empty_count_of_them():
    rs = defaulted(replicasets, workload("ReplicaSet", selector={"matchLabels": {"app": "web"}}))
    assert rs["spec"]["replicas"] == 1
    assert rs["status"] == {"replicas": 0}


def test_zero_replicas_asked_for_are_kept():
    rs = defaulted(replicasets, workload("ReplicaSet", replicas=0))
    assert rs["spec"]["replicas"] == 0


def test_a_client_cannot_create_a_replica_set_with_a_status():
    rs = workload("ReplicaSet")
    rs["status"] = {"replicas": 5, "readyReplicas": 5}
    assert defaulted(replicasets, rs)["status"] == {"replicas": 0}


def test_the_template_spec_gets_the_pod_spec_defaults_but_not_the_pod_only_ones():
    for module, kind in (
        (replicasets, "ReplicaSet"),
        (deployments, "Deployment"),
        (replicationcontrollers, "ReplicationController"),
    ):
        obj = defaulted(module, workload(kind))
        # No enableServiceLinks, tolerations, serviceAccountName or priority: those are
        # SetDefaults_Pod's and admission's, given to each pod when it is created.
        assert obj["spec"]["template"]["spec"] == DEFAULTED_TEMPLATE_SPEC, kind


def test_a_template_container_with_only_limits_asks_for_nothing_until_it_is_a_pod():
    rs = workload("ReplicaSet")
    rs["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}}
    resources = defaulted(replicasets, rs)["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources == {"limits": {"cpu": "1"}}
    pod = {"metadata": {}, "spec": copy.deepcopy(rs["spec"]["template"]["spec"])}
    pods.default(pod)
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "1"}
    assert pod["spec"]["enableServiceLinks"] is True


def test_a_deployment_gets_upstreams_rollout_defaults():
    spec = defaulted(deployments, workload("Deployment"))["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    # Go's zero is omitted from apps/v1 JSON: absent means 0 seconds.
    assert "minReadySeconds" not in spec


def test_a_deployment_starts_with_an_empty_status():
    assert defaulted(deployments, workload("Deployment"))["status"] == {}


def test_a_rolling_update_keeps_what_was_given_and_fills_the_rest():
    strategy = {"rollingUpdate": {"maxSurge": 1}}
    spec = defaulted(deployments, workload("Deployment", strategy=strategy))["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"},
    }


def test_a_recreate_deployment_gets_no_rolling_update():
    spec = defaulted(deployments, workload("Deployment", strategy={"type": "Recreate"}))["spec"]
    assert spec["strategy"] == {"type": "Recreate"}


def test_a_replication_controller_selects_and_is_labelled_by_its_templates_labels():
    rc = defaulted(replicationcontrollers, workload("ReplicationController"))
    assert rc["spec"]["selector"] == {"app": "web"}
    assert rc["metadata"]["labels"] == {"app": "web"}
    assert rc["spec"]["replicas"] == 1
    assert rc["status"] == {"replicas": 0}


def test_a_replication_controller_keeps_its_own_selector_and_labels():
    rc = workload("ReplicationController", selector={"app": "web", "tier": "front"})
    rc["metadata"]["labels"] = {"team": "a"}
    rc["spec"]["template"]["metadata"]["labels"] = {"app": "web", "tier": "front"}
    defaulted(replicationcontrollers, rc)
    assert rc["spec"]["selector"] == {"app": "web", "tier": "front"}
    assert rc["metadata"]["labels"] == {"team": "a"}


def test_a_replication_controller_without_a_template_is_left_without_one():
    rc = {"metadata": {"name": "web", "namespace": "default"}, "spec": {}}
    defaulted(replicationcontrollers, rc)
    assert "template" not in rc["spec"]
    assert "selector" not in rc["spec"]
