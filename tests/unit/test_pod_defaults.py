"""What a new pod gains before validation, as a real API server fills it in."""

import pytest

from cluster.resources import pods

NOT_READY = {
    "key": "node.kubernetes.io/not-ready",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}
UNREACHABLE = {**NOT_READY, "key": "node.kubernetes.io/unreachable"}


def new_pod(*containers, **spec):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "containers": list(containers) or [{"name": "app", "image": "nginx:1.27"}],
            **spec,
        },
    }


def defaulted(pod):
    """Defaulted, then through the admission plugins, as the API server creates it."""
    pods.default(pod)
    for plugin in pods.RESOURCE.admission:
        plugin.admit(pod)
    return pod


def test_a_minimal_pod_gets_every_spec_default():
    spec = defaulted(new_pod())["spec"]
    assert {key: value for key, value in spec.items() if key not in ("containers",)} == {
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
        "securityContext": {},
        "enableServiceLinks": True,
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "priority": 0,
        "preemptionPolicy": "PreemptLowerPriority",
        "tolerations": [NOT_READY, UNREACHABLE],
    }


def test_a_container_gets_its_defaults():
    [container] = defaulted(new_pod())["spec"]["containers"]
    assert container == {
        "name": "app",
        "image": "nginx:1.27",
        "imagePullPolicy": "IfNotPresent",
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "resources": {},
    }


def test_init_containers_get_container_defaults_too():
    pod = new_pod(initContainers=[{"name": "setup", "image": "busybox"}])
    [init] = defaulted(pod)["spec"]["initContainers"]
    assert init["imagePullPolicy"] == "Always"
    assert init["terminationMessagePolicy"] == "File"


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry.local:5000/nginx", "Always"),
        ("registry.local:5000/nginx:1.27", "IfNotPresent"),
        (
            "nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
            "IfNotPresent",
        ),
        (
            "nginx:latest@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
            "Always",
        ),
    ],
)
def test_image_pull_policy_is_always_only_for_latest_or_untagged_images(image, policy):
    [container] = defaulted(new_pod({"name": "app", "image": image}))["spec"]["containers"]
    assert container["imagePullPolicy"] == policy


def test_explicit_values_are_kept():
    container = {"name": "app", "image": "nginx", "imagePullPolicy": "Never"}
    pod = defaulted(
        new_pod(
            container,
            restartPolicy="Never",
            terminationGracePeriodSeconds=0,
            enableServiceLinks=False,
            serviceAccountName="builder",
        )
    )
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Never"
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["terminationGracePeriodSeconds"] == 0
    assert pod["spec"]["enableServiceLinks"] is False
    assert pod["spec"]["serviceAccountName"] == pod["spec"]["serviceAccount"] == "builder"


def test_the_deprecated_service_account_field_fills_service_account_name():
    spec = defaulted(new_pod(serviceAccount="legacy"))["spec"]
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "legacy"


def test_container_ports_default_to_tcp():
    container = {
        "name": "app",
        "image": "nginx",
        "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
    }
    [container] = defaulted(new_pod(container))["spec"]["containers"]
    assert container["ports"] == [
        {"containerPort": 80, "protocol": "TCP"},
        {"containerPort": 53, "protocol": "UDP"},
    ]


def test_requests_default_to_limits_for_each_limited_resource():
    container = {
        "name": "app",
        "image": "nginx",
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}},
    }
    [container] = defaulted(new_pod(container))["spec"]["containers"]
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "256Mi"}


def test_a_pod_gets_the_not_ready_and_unreachable_tolerations_after_its_own():
    own = {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
    spec = defaulted(new_pod(tolerations=[own]))["spec"]
    assert spec["tolerations"] == [own, NOT_READY, UNREACHABLE]


def test_a_pod_that_already_tolerates_not_ready_only_gains_unreachable():
    mine = {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 5,
    }
    spec = defaulted(new_pod(tolerations=[mine]))["spec"]
    assert spec["tolerations"] == [mine, UNREACHABLE]


def test_a_pod_that_tolerates_everything_gains_nothing():
    everything = {"operator": "Exists"}
    spec = defaulted(new_pod(tolerations=[everything]))["spec"]
    assert spec["tolerations"] == [everything]


def test_a_toleration_of_the_key_for_another_effect_does_not_count():
    no_schedule = {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoSchedule",
    }
    spec = defaulted(new_pod(tolerations=[no_schedule]))["spec"]
    assert spec["tolerations"] == [no_schedule, NOT_READY, UNREACHABLE]


def test_a_new_pod_starts_pending_whatever_status_it_was_sent_with():
    pod = new_pod()
    pod["status"] = {"phase": "Running", "podIP": "10.0.0.5"}
    assert defaulted(pod)["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_defaulting_leaves_identity_to_the_api_server():
    metadata = defaulted(new_pod())["metadata"]
    assert metadata == {"name": "web", "namespace": "default"}


def with_resources(**resources):
    return {"name": "app", "image": "nginx", "resources": resources}


@pytest.mark.parametrize(
    ("containers", "qos"),
    [
        ([with_resources()], "BestEffort"),
        ([with_resources(requests={"cpu": "0"})], "BestEffort"),
        ([with_resources(requests={"cpu": "100m"})], "Burstable"),
        ([with_resources(limits={"cpu": "1", "memory": "1Gi"})], "Guaranteed"),
        (
            [with_resources(limits={"cpu": "1", "memory": "1Gi"}, requests={"cpu": "1000m"})],
            "Guaranteed",
        ),
        (
            [with_resources(limits={"cpu": "1", "memory": "1Gi"}, requests={"cpu": "500m"})],
            "Burstable",
        ),
        ([with_resources(limits={"cpu": "1"})], "Burstable"),
        (
            [
                with_resources(limits={"cpu": "1", "memory": "1Gi"}),
                {"name": "side", "image": "envoy"},
            ],
            "Burstable",
        ),
        ([with_resources(requests={"ephemeral-storage": "1Gi"})], "BestEffort"),
    ],
)
def test_qos_class_follows_upstreams_rules(containers, qos):
    assert defaulted(new_pod(*containers))["status"]["qosClass"] == qos


def test_init_containers_count_towards_qos():
    guaranteed = with_resources(limits={"cpu": "1", "memory": "1Gi"})
    pod = new_pod(guaranteed, initContainers=[{"name": "setup", "image": "busybox"}])
    assert defaulted(pod)["status"]["qosClass"] == "Burstable"


def test_a_malformed_pod_is_left_for_validation_to_report():
    pod = {"metadata": {"name": "web"}, "spec": {"containers": "nginx", "tolerations": "all"}}
    pods.default(pod)
    assert pod["spec"]["containers"] == "nginx"
    assert pod["spec"]["tolerations"] == "all"
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_pods_are_registered_as_upstream_serves_them():
    resource = pods.RESOURCE
    assert (resource.name, resource.kind, resource.api_version) == ("pods", "Pod", "v1")
    assert resource.short_names == ("po",)
    assert resource.categories == ("all",)
    assert resource.subresources == ("binding", "status", "log", "eviction")
    assert resource.graceful_delete is True


def test_default_toleration_seconds_says_what_it_added_for_the_trace():
    admit = pods.default_toleration_seconds
    assert admit(new_pod()) == (
        "tolerates node.kubernetes.io/not-ready:NoExecute and"
        " node.kubernetes.io/unreachable:NoExecute for 300s"
    )
    assert admit(new_pod(tolerations=[NOT_READY])) == (
        "tolerates node.kubernetes.io/unreachable:NoExecute for 300s"
    )
    assert admit(new_pod(tolerations=[{"operator": "Exists"}])) == (
        "the pod already tolerates node.kubernetes.io/not-ready and unreachable"
    )
    assert [plugin.name for plugin in pods.RESOURCE.admission] == ["DefaultTolerationSeconds"]
