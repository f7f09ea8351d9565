"""Pod validation: every cause at once, with upstream's field paths and wording."""

import copy

import pytest

from cluster.resources import pods

QUANTITY_RULE = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_RULE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
POD_UPDATE_FORBIDDEN = (
    "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)"
)


def messages(errors):
    return [error.message for error in errors]


def make_pod(*containers, **spec):
    """A pod as the API server validates it on create: defaults already applied."""
    pod = {
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "containers": list(containers) or [{"name": "app", "image": "nginx:1.27"}],
            **spec,
        },
    }
    pods.default(pod)
    for plugin in pods.RESOURCE.admission:
        plugin.admit(pod)
    return pod


def create_errors(pod):
    return messages(pods.RESOURCE.validate(pod, None))


def stored(pod):
    stored_pod = copy.deepcopy(pod)
    stored_pod["metadata"].update(uid="u-1", creationTimestamp="2025-01-01T00:00:00Z")
    return stored_pod


def update_errors(pod, old):
    return messages(pods.RESOURCE.validate(pod, old))


# --- create -------------------------------------------------------------------


def test_a_defaulted_pod_is_valid():
    assert create_errors(make_pod()) == []


def test_a_pod_with_several_bad_fields_gets_every_cause_in_upstreams_order():
    pod = make_pod(
        {"name": "app", "image": "", "resources": {"requests": {"cpu": "abc"}}},
        {
            "name": "app",
            "image": "nginx",
            "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
        },
        restartPolicy="Sometimes",
        dnsPolicy="Google",
    )
    pod["metadata"]["name"] = "Web"
    assert create_errors(pod) == [
        f'metadata.name: Invalid value: "Web": {SUBDOMAIN_RULE}',
        "spec.containers[0].image: Required value",
        f'spec.containers[0].resources.requests[cpu]: Invalid value: "abc": {QUANTITY_RULE}',
        'spec.containers[1].resources.requests: Invalid value: "2": must be less than or equal to '
        "cpu limit of 1",
        'spec.containers[1].name: Duplicate value: "app"',
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "Google": supported values: '
        '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ]


def test_a_pod_needs_containers():
    pod = make_pod()
    pod["spec"]["containers"] = []
    assert create_errors(pod) == ["spec.containers: Required value"]


def test_a_container_needs_a_name_that_is_a_dns_label():
    pod = make_pod({"image": "nginx"}, {"name": "App_1", "image": "nginx"})
    assert create_errors(pod) == [
        "spec.containers[0].name: Required value",
        f'spec.containers[1].name: Invalid value: "App_1": {LABEL_RULE}',
    ]


def test_container_names_are_unique_across_init_and_app_containers():
    pod = make_pod(
        {"name": "app", "image": "nginx"},
        initContainers=[{"name": "setup", "image": "busybox"}, {"name": "app", "image": "busybox"}],
    )
    assert create_errors(pod) == ['spec.initContainers[1].name: Duplicate value: "app"']


def test_an_init_container_may_not_have_probes_or_lifecycle_hooks():
    init = {
        "name": "setup",
        "image": "busybox",
        "readinessProbe": {"exec": {"command": ["true"]}},
        "lifecycle": {"preStop": {"exec": {"command": ["true"]}}},
    }
    pod = make_pod({"name": "app", "image": "nginx"}, initContainers=[init])
    assert create_errors(pod) == [
        "spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers "
        "without restartPolicy=Always",
        "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers "
        "without restartPolicy=Always",
    ]


def test_an_init_container_restart_policy_can_only_be_always():
    init = {"name": "setup", "image": "busybox", "restartPolicy": "OnFailure"}
    pod = make_pod({"name": "app", "image": "nginx"}, initContainers=[init])
    assert create_errors(pod) == [
        'spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": '
        'supported values: "Always"'
    ]


def test_sidecar_containers_are_refused_plainly_as_not_simulated():
    init = {"name": "proxy", "image": "nginx", "restartPolicy": "Always"}
    pod = make_pod({"name": "app", "image": "nginx"}, initContainers=[init])
    assert create_errors(pod) == [
        "spec.initContainers[0].restartPolicy: Forbidden: sidecar containers (an init container "
        "with restartPolicy: Always) are not simulated in Podlab"
    ]


def test_an_app_container_may_not_set_a_restart_policy():
    pod = make_pod({"name": "app", "image": "nginx", "restartPolicy": "Always"})
    assert create_errors(pod) == [
        "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"
    ]


def test_an_image_with_surrounding_spaces_is_refused():
    pod = make_pod({"name": "app", "image": " nginx"})
    assert create_errors(pod) == [
        'spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing '
        "whitespace"
    ]


def test_image_pull_policy_must_be_a_known_one():
    pod = make_pod({"name": "app", "image": "nginx", "imagePullPolicy": "Sometimes"})
    assert create_errors(pod) == [
        'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": '
        'supported values: "Always", "IfNotPresent", "Never"'
    ]


def test_termination_message_policy_must_be_a_known_one():
    pod = make_pod({"name": "app", "image": "nginx", "terminationMessagePolicy": "Stdout"})
    assert create_errors(pod) == [
        'spec.containers[0].terminationMessagePolicy: Unsupported value: "Stdout": '
        'supported values: "File", "FallbackToLogsOnError"'
    ]


def test_container_ports_need_a_number_in_range_and_a_known_protocol():
    ports = [
        {"containerPort": 80},
        {"containerPort": 70000, "protocol": "ICMP"},
        {"name": "http", "containerPort": 8080},
        {"name": "http", "hostPort": 0},
    ]
    pod = make_pod({"name": "app", "image": "nginx", "ports": ports})
    assert create_errors(pod) == [
        "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and "
        "65535, inclusive",
        'spec.containers[0].ports[1].protocol: Unsupported value: "ICMP": supported values: '
        '"SCTP", "TCP", "UDP"',
        'spec.containers[0].ports[3].name: Duplicate value: "http"',
        "spec.containers[0].ports[3].containerPort: Required value",
    ]


def test_a_port_name_must_be_an_iana_service_name():
    pod = make_pod(
        {"name": "app", "image": "nginx", "ports": [{"name": "8080", "containerPort": 8080}]}
    )
    assert create_errors(pod) == [
        'spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter '
        "(a-z)"
    ]


def test_two_containers_may_not_claim_the_same_host_port():
    port = {"containerPort": 80, "hostPort": 8080}
    pod = make_pod(
        {"name": "a", "image": "nginx", "ports": [dict(port)]},
        {"name": "b", "image": "nginx", "ports": [dict(port)]},
    )
    assert create_errors(pod) == [
        'spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'
    ]


# --- resources ----------------------------------------------------------------


def container_with(**resources):
    return {"name": "app", "image": "nginx", "resources": resources}


def test_requests_above_limits_are_reported_in_canonical_quantities():
    pod = make_pod(
        container_with(
            requests={"cpu": "2000m", "memory": "2Gi"}, limits={"cpu": "1", "memory": "1024Mi"}
        )
    )
    assert create_errors(pod) == [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to '
        "cpu limit of 1",
        'spec.containers[0].resources.requests: Invalid value: "2Gi": '
        "must be less than or equal to memory limit of 1Gi",
    ]


def test_requests_equal_to_limits_in_another_spelling_are_fine():
    pod = make_pod(container_with(requests={"memory": "1073741824"}, limits={"memory": "1Gi"}))
    assert create_errors(pod) == []


def test_negative_quantities_are_refused():
    pod = make_pod(container_with(limits={"cpu": "-1"}))
    assert create_errors(pod) == [
        'spec.containers[0].resources.limits[cpu]: Invalid value: "-1": must be greater than or '
        "equal to 0",
        'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or '
        "equal to 0",
    ]


def test_an_unknown_resource_name_gets_both_upstream_complaints():
    pod = make_pod(container_with(requests={"gpu": "1"}))
    assert create_errors(pod) == [
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": '
        "must be a standard resource type or fully qualified",
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": '
        "must be a standard resource for containers",
    ]


def test_an_extended_resource_counts_whole_units_and_is_never_overcommitted():
    pod = make_pod(
        container_with(requests={"example.com/gpu": "0.5"}),
        {
            "name": "b",
            "image": "nginx",
            "resources": {"requests": {"example.com/gpu": "1"}, "limits": {"example.com/gpu": "2"}},
        },
    )
    assert create_errors(pod) == [
        'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an '
        "integer",
        "spec.containers[0].resources.limits: Required value: Limit must be set for non "
        "overcommitable resources",
        'spec.containers[1].resources.requests: Invalid value: "1": must be equal to '
        "example.com/gpu limit of 2",
    ]


def test_an_extended_resource_with_equal_request_and_limit_is_fine():
    pod = make_pod(container_with(limits={"example.com/gpu": "1"}))
    assert create_errors(pod) == []


# --- other spec fields --------------------------------------------------------


def test_tolerations_follow_upstreams_rules():
    tolerations = [
        {"key": "gpu", "operator": "Exists", "value": "yes"},
        {"operator": "Equal", "value": "x"},
        {"key": "dedicated", "operator": "Maybe"},
        {"key": "dedicated", "effect": "NoSchedule", "tolerationSeconds": 60},
        {"key": "dedicated", "effect": "Sometimes"},
    ]
    pod = make_pod(tolerations=tolerations)
    assert create_errors(pod) == [
        'spec.tolerations[0].operator: Invalid value: "yes": value must be empty when `operator` '
        "is 'Exists'",
        'spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` '
        "is "
        'empty, which means "match all values and all keys"',
        'spec.tolerations[2].operator: Unsupported value: "Maybe": supported values: "Equal", '
        '"Exists"',
        "spec.tolerations[3].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' "
        "when "
        "`tolerationSeconds` is set",
        'spec.tolerations[4].effect: Unsupported value: "Sometimes": supported values: '
        '"NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]


def test_node_selector_is_a_map_of_valid_labels():
    pod = make_pod(nodeSelector={"disktype": "ssd", "zone": "eu west"})
    [message] = create_errors(pod)
    assert message.startswith('spec.nodeSelector: Invalid value: "eu west": a valid label must be')


def test_a_negative_grace_period_is_refused():
    pod = make_pod(terminationGracePeriodSeconds=-5)
    assert create_errors(pod) == [
        "spec.terminationGracePeriodSeconds: Invalid value: -5: must be greater than or equal to 0"
    ]


def test_node_name_must_be_a_dns_subdomain():
    pod = make_pod(nodeName="Node_1")
    assert create_errors(pod) == [f'spec.nodeName: Invalid value: "Node_1": {SUBDOMAIN_RULE}']


def test_active_deadline_must_be_positive():
    pod = make_pod(activeDeadlineSeconds=0)
    assert create_errors(pod) == [
        "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"
    ]


def test_malformed_json_is_reported_not_crashed_on():
    pod = make_pod({"name": 7, "image": ["nginx"]}, "nginx")
    assert create_errors(pod) == [
        "spec.containers[0].name: Invalid value: 7: must be a string",
        'spec.containers[0].image: Invalid value: ["nginx"]: must be a string',
        'spec.containers[1]: Invalid value: "nginx": must be an object',
    ]


# --- update -------------------------------------------------------------------


def test_an_image_change_is_allowed():
    old = stored(make_pod())
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.28"
    assert update_errors(new, old) == []


def test_labels_may_change_and_uid_may_be_left_out():
    old = stored(make_pod())
    new = make_pod()
    new["metadata"]["labels"] = {"app": "web", "tier": "front"}
    assert update_errors(new, old) == []


def test_an_update_without_decode_defaults_is_checked_as_if_defaulted():
    # Upstream defaults every decoded object, so leaving defaulted fields out changes nothing.
    old = stored(make_pod())
    replacement = copy.deepcopy(old)
    for key in ("restartPolicy", "dnsPolicy", "schedulerName", "terminationGracePeriodSeconds"):
        del replacement["spec"][key]
    replacement["spec"]["containers"] = [{"name": "app", "image": "nginx:1.28"}]
    assert update_errors(replacement, old) == []


def test_an_update_without_admission_defaults_is_a_change_as_upstream():
    # The ServiceAccount plugin only fills serviceAccountName on create.
    old = stored(make_pod())
    replacement = copy.deepcopy(old)
    del replacement["spec"]["serviceAccountName"], replacement["spec"]["serviceAccount"]
    assert update_errors(replacement, old) == [POD_UPDATE_FORBIDDEN]


def test_any_other_spec_change_is_one_forbidden_error():
    old = stored(make_pod())
    new = copy.deepcopy(old)
    new["spec"]["restartPolicy"] = "Never"
    new["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "protocol": "TCP"}]
    assert update_errors(new, old) == [POD_UPDATE_FORBIDDEN]


def test_a_resources_change_in_another_spelling_is_no_change():
    old = stored(make_pod(container_with(limits={"cpu": "1"})))
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "1000m"
    assert update_errors(new, old) == []


def test_node_name_may_be_set_once_but_not_moved():
    old = stored(make_pod())
    bound = copy.deepcopy(old)
    bound["spec"]["nodeName"] = "node-1"
    assert update_errors(bound, old) == []
    moved = copy.deepcopy(bound)
    moved["spec"]["nodeName"] = "node-2"
    assert update_errors(moved, bound) == [POD_UPDATE_FORBIDDEN]


def test_tolerations_may_be_added_and_their_seconds_changed_but_not_removed():
    old = stored(make_pod())
    added = copy.deepcopy(old)
    added["spec"]["tolerations"].append({"key": "gpu", "operator": "Exists"})
    added["spec"]["tolerations"][0]["tolerationSeconds"] = 60
    assert update_errors(added, old) == []
    removed = copy.deepcopy(old)
    removed["spec"]["tolerations"].pop()
    assert update_errors(removed, old) == [
        "spec.tolerations: Forbidden: existing toleration can not be modified except its "
        "tolerationSeconds"
    ]


def test_containers_may_not_be_added_or_removed():
    old = stored(make_pod())
    new = copy.deepcopy(old)
    new["spec"]["containers"].append(
        {
            "name": "sidecar",
            "image": "envoy",
            "imagePullPolicy": "Always",
            "terminationMessagePolicy": "File",
        }
    )
    assert update_errors(new, old) == [
        "spec.containers: Forbidden: pod updates may not add or remove containers"
    ]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, 600, []),
        (600, 300, []),
        (
            300,
            600,
            [
                "spec.activeDeadlineSeconds: Invalid value: 600: must be less than or equal to "
                "previous value"
            ],
        ),
        (
            600,
            None,
            [
                "spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive "
                "integer to nil value"
            ],
        ),
    ],
)
def test_active_deadline_may_be_set_or_shortened_only(before, after, expected):
    old = stored(make_pod())
    if before is not None:
        old["spec"]["activeDeadlineSeconds"] = before
    new = copy.deepcopy(old)
    new["spec"].pop("activeDeadlineSeconds", None)
    if after is not None:
        new["spec"]["activeDeadlineSeconds"] = after
    assert update_errors(new, old) == expected


def test_metadata_identity_is_immutable_on_update():
    old = stored(make_pod())
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "u-2"
    assert update_errors(new, old) == ['metadata.uid: Invalid value: "u-2": field is immutable']


# --- status -------------------------------------------------------------------


def running(pod):
    new = copy.deepcopy(pod)
    new["status"].update(
        phase="Running",
        conditions=[{"type": "Ready", "status": "True"}],
        containerStatuses=[
            {"name": "app", "image": "nginx:1.27", "imageID": "", "ready": True, "restartCount": 0}
        ],
    )
    return new


def test_a_kubelet_status_update_is_valid():
    old = stored(make_pod())
    assert pods.RESOURCE.validate_status(running(old), old) == []


def test_a_status_update_checks_phase_conditions_and_container_statuses():
    old = stored(make_pod())
    new = running(old)
    new["status"]["phase"] = "Crashed"
    new["status"]["conditions"] = [{"status": "Yes"}]
    new["status"]["containerStatuses"] = [{"name": "app", "ready": "yes", "restartCount": -1}]
    assert messages(pods.RESOURCE.validate_status(new, old)) == [
        'status.phase: Unsupported value: "Crashed": supported values: '
        '"Pending", "Running", "Succeeded", "Failed", "Unknown"',
        "status.conditions[0].type: Required value",
        'status.conditions[0].status: Unsupported value: "Yes": supported values: "False", "True", '
        '"Unknown"',
        "status.containerStatuses[0].image: Required value",
        "status.containerStatuses[0].imageID: Required value",
        'status.containerStatuses[0].ready: Invalid value: "yes": must be a boolean',
        "status.containerStatuses[0].restartCount: Invalid value: -1: must be greater than or "
        "equal to 0",
    ]


def test_the_qos_class_may_not_change():
    old = stored(make_pod())
    new = running(old)
    new["status"]["qosClass"] = "Guaranteed"
    assert messages(pods.RESOURCE.validate_status(new, old)) == [
        'status.qosClass: Invalid value: "Guaranteed": field is immutable'
    ]


# --- scheduling gates, affinity, topology spread -----------------------------------


GATES = [{"name": "example.com/quota"}, {"name": "example.com/team"}]


def test_scheduling_gates_are_qualified_names_each_once():
    pod = make_pod(schedulingGates=[*GATES, {"name": "example.com/quota"}, {"name": "-bad"}])
    errors = create_errors(pod)
    assert errors[0] == 'spec.schedulingGates[2]: Duplicate value: "example.com/quota"'
    assert errors[1].startswith('spec.schedulingGates[3]: Invalid value: "-bad": name part must')
    assert len(errors) == 2


def test_a_gated_pod_cannot_name_its_node():
    assert create_errors(make_pod(schedulingGates=GATES, nodeName="node-1")) == [
        "spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared"
    ]


def test_scheduling_gates_may_be_removed_but_not_added():
    old = stored(make_pod(schedulingGates=GATES))
    removed = copy.deepcopy(old)
    removed["spec"]["schedulingGates"] = GATES[1:]
    assert update_errors(removed, old) == []
    cleared = copy.deepcopy(old)
    del cleared["spec"]["schedulingGates"]
    assert update_errors(cleared, old) == []
    added = copy.deepcopy(old)
    added["spec"]["schedulingGates"] = [*GATES, {"name": "example.com/late"}]
    assert update_errors(added, old) == [
        "spec.schedulingGates[2].name: Forbidden: only deletion is allowed, but found new "
        "scheduling gate 'example.com/late'"
    ]


def test_a_new_gated_pod_says_why_it_is_not_scheduled():
    pod = make_pod(schedulingGates=GATES)
    pod["metadata"]["creationTimestamp"] = "2026-11-26T21:40:00Z"
    pods.default(pod)
    assert pod["status"]["conditions"] == [
        {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": "2026-11-26T21:40:00Z",
            "reason": "SchedulingGated",
            "message": "Scheduling is blocked due to non-empty scheduling gates",
        }
    ]
    ungated = make_pod()
    pods.default(ungated)
    assert "conditions" not in ungated["status"]


def test_pod_affinity_anti_affinity_and_topology_spread_are_accepted():
    term = {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}
    affinity = {
        "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]},
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 10, "podAffinityTerm": term}
            ]
        },
    }
    spread = [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]
    assert create_errors(make_pod(affinity=affinity, topologySpreadConstraints=spread)) == []
