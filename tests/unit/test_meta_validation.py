"""Shared metadata rules, and the small resources built on them (namespaces, events, leases)."""

from cluster.resources import events, leases, namespaces
from cluster.resources.meta import (
    dns1123_label_errors,
    dns1123_subdomain_errors,
    validate_immutable_meta,
    validate_object_meta,
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
QUALIFIED_NAME_RULE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def messages(errors):
    return [error.message for error in errors]


def pod_meta(**metadata):
    return {"metadata": {"name": "web", "namespace": "default", **metadata}}


def validate_namespaced(obj):
    return messages(
        validate_object_meta(obj, namespaced=True, name_validator=dns1123_subdomain_errors)
    )


# --- names --------------------------------------------------------------------


def test_a_subdomain_name_with_capitals_gets_upstreams_message():
    assert validate_namespaced(pod_meta(name="Web")) == [
        f'metadata.name: Invalid value: "Web": {SUBDOMAIN_RULE}'
    ]


def test_a_subdomain_may_contain_dots_but_a_label_may_not():
    assert dns1123_subdomain_errors("web.v1") == []
    assert dns1123_label_errors("web.v1") == ["must not contain dots"]


def test_a_label_rule_violation_gets_upstreams_message_with_its_odd_double_space():
    assert dns1123_label_errors("-web") == [LABEL_RULE]


def test_a_64_character_label_is_too_long():
    assert dns1123_label_errors("a" * 64) == ["must be no more than 63 characters"]


def test_a_254_character_subdomain_is_too_long():
    assert dns1123_subdomain_errors("a" * 254) == ["must be no more than 253 characters"]


def test_a_missing_name_is_required_even_when_generate_name_was_given():
    # The API server turns generateName into a name before validating.
    assert validate_namespaced(pod_meta(name="", generateName="web-")) == [
        "metadata.name: Required value: name or generateName is required"
    ]


# --- namespace ----------------------------------------------------------------


def test_a_namespaced_object_needs_a_namespace():
    obj = {"metadata": {"name": "web"}}
    assert validate_namespaced(obj) == ["metadata.namespace: Required value"]


def test_the_namespace_must_be_a_label():
    assert validate_namespaced(pod_meta(namespace="Team_A")) == [
        f'metadata.namespace: Invalid value: "Team_A": {LABEL_RULE}'
    ]


def test_a_cluster_scoped_object_may_not_carry_a_namespace():
    obj = {"metadata": {"name": "node-1", "namespace": "default"}}
    errors = validate_object_meta(obj, namespaced=False, name_validator=dns1123_subdomain_errors)
    assert messages(errors) == ["metadata.namespace: Forbidden: not allowed on this type"]


# --- labels and annotations ---------------------------------------------------


def test_label_keys_and_values_are_checked_with_upstreams_messages():
    obj = pod_meta(labels={"app": "web", "bad key": "ok", "tier": "front end"})
    assert validate_namespaced(obj) == [
        f'metadata.labels: Invalid value: "bad key": {QUALIFIED_NAME_RULE}',
        f'metadata.labels: Invalid value: "front end": {LABEL_VALUE_RULE}',
    ]


def test_a_label_key_may_have_a_dns_subdomain_prefix():
    obj = pod_meta(labels={"app.kubernetes.io/name": "web", "Example.com/x": "y"})
    assert validate_namespaced(obj) == [
        f'metadata.labels: Invalid value: "Example.com/x": prefix part {SUBDOMAIN_RULE}'
    ]


def test_a_label_value_over_63_characters_is_too_long():
    obj = pod_meta(labels={"app": "a" * 64})
    assert validate_namespaced(obj) == [
        f'metadata.labels: Invalid value: "{"a" * 64}": must be no more than 63 characters'
    ]


def test_a_label_value_that_is_not_a_string_is_refused():
    assert validate_namespaced(pod_meta(labels={"version": 2})) == [
        "metadata.labels[version]: Invalid value: 2: must be a string"
    ]


def test_annotations_must_map_strings_to_strings():
    obj = pod_meta(annotations={"note": "fine", "replicas": 3})
    assert validate_namespaced(obj) == [
        "metadata.annotations[replicas]: Invalid value: 3: must be a string"
    ]
    assert validate_namespaced(pod_meta(annotations=["a"])) == [
        'metadata.annotations: Invalid value: ["a"]: must be a map of string keys to string values'
    ]


def test_annotation_keys_ignore_case_but_not_spaces():
    obj = pod_meta(annotations={"Example.COM/Owner": "me", "bad key": "x"})
    assert validate_namespaced(obj) == [
        f'metadata.annotations: Invalid value: "bad key": {QUALIFIED_NAME_RULE}'
    ]


def test_a_finalizer_without_a_domain_must_be_a_standard_one():
    obj = pod_meta(finalizers=["kubernetes", "example.com/cleanup", "cleanup"])
    assert validate_namespaced(obj) == [
        'metadata.finalizers[2]: Invalid value: "cleanup": '
        "name is neither a standard finalizer name nor is it fully qualified"
    ]


def test_every_metadata_problem_is_reported_at_once():
    obj = {"metadata": {"name": "Web", "labels": {"app": "a b"}}}
    assert validate_namespaced(obj) == [
        f'metadata.name: Invalid value: "Web": {SUBDOMAIN_RULE}',
        "metadata.namespace: Required value",
        f'metadata.labels: Invalid value: "a b": {LABEL_VALUE_RULE}',
    ]


# --- updates ------------------------------------------------------------------


def stored(**metadata):
    base = {"uid": "u-1", "creationTimestamp": "2025-01-01T00:00:00Z", "resourceVersion": "7"}
    return pod_meta(**{**base, **metadata})


def test_name_namespace_uid_and_creation_time_are_immutable():
    changed = stored(
        name="api", namespace="prod", uid="u-2", creationTimestamp="2026-01-01T00:00:00Z"
    )
    assert messages(validate_immutable_meta(changed, stored())) == [
        'metadata.name: Invalid value: "api": field is immutable',
        'metadata.namespace: Invalid value: "prod": field is immutable',
        'metadata.uid: Invalid value: "u-2": field is immutable',
        'metadata.creationTimestamp: Invalid value: "2026-01-01T00:00:00Z": field is immutable',
    ]


def test_an_update_may_leave_out_uid_and_creation_time():
    assert validate_immutable_meta(pod_meta(labels={"new": "label"}), stored()) == []


# --- namespaces ---------------------------------------------------------------


def test_a_new_namespace_is_active_with_the_kubernetes_finalizer_and_its_name_label():
    namespace = {"metadata": {"name": "team-a"}}
    namespaces.default(namespace)
    assert namespace == {
        "metadata": {"name": "team-a", "labels": {"kubernetes.io/metadata.name": "team-a"}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def test_namespace_defaults_keep_the_users_finalizers_and_labels():
    namespace = {
        "metadata": {"name": "team-a", "labels": {"team": "a"}},
        "spec": {"finalizers": ["example.com/audit"]},
    }
    namespaces.default(namespace)
    assert namespace["spec"]["finalizers"] == ["example.com/audit", "kubernetes"]
    assert namespace["metadata"]["labels"] == {"team": "a", "kubernetes.io/metadata.name": "team-a"}


def test_a_namespace_name_is_a_label_so_dots_are_refused():
    namespace = {"metadata": {"name": "team.a"}}
    namespaces.default(namespace)
    assert messages(namespaces.RESOURCE.validate(namespace, None)) == [
        'metadata.name: Invalid value: "team.a": must not contain dots'
    ]


def test_a_namespace_spec_finalizer_is_checked_at_the_unindexed_path():
    namespace = {"metadata": {"name": "team-a"}, "spec": {"finalizers": ["cleanup"]}}
    assert messages(namespaces.RESOURCE.validate(namespace, None)) == [
        'spec.finalizers: Invalid value: "cleanup": '
        "name is neither a standard finalizer name nor is it fully qualified"
    ]


def test_a_namespace_is_terminating_exactly_while_it_is_being_deleted():
    old = {"metadata": {"name": "team-a"}, "status": {"phase": "Active"}}
    terminating_early = {"metadata": {"name": "team-a"}, "status": {"phase": "Terminating"}}
    deleting_but_active = {
        "metadata": {"name": "team-a", "deletionTimestamp": "2025-01-01T00:00:00Z"},
        "status": {"phase": "Active"},
    }
    assert messages(namespaces.RESOURCE.validate_status(terminating_early, old)) == [
        "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` "
        "is empty"
    ]
    assert messages(namespaces.RESOURCE.validate_status(deleting_but_active, old)) == [
        'status.Phase: Invalid value: "Active": '
        "may only be 'Terminating' if `deletionTimestamp` is not empty"
    ]


def test_namespaces_are_cluster_scoped_with_short_name_ns():
    assert namespaces.RESOURCE.namespaced is False
    assert namespaces.RESOURCE.short_names == ("ns",)


# --- events -------------------------------------------------------------------


def scheduled_event(**fields):
    event = {
        "metadata": {"name": "web.17f3", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "Scheduled",
        "message": "Successfully assigned default/web to node-1",
        "type": "Normal",
    }
    return {**event, **fields}


def test_a_complete_event_is_valid():
    assert events.RESOURCE.validate(scheduled_event(), None) == []


def test_an_event_needs_its_object_a_reason_and_a_message():
    event = scheduled_event(involvedObject=None, reason="", message=None)
    assert messages(events.RESOURCE.validate(event, None)) == [
        "involvedObject: Required value",
        "reason: Required value",
        "message: Required value",
    ]


def test_an_event_type_is_normal_or_warning_in_upstreams_wording():
    assert messages(events.RESOURCE.validate(scheduled_event(type="Info"), None)) == [
        'type: Invalid value: "": has invalid value: Info'
    ]


def test_an_event_about_an_object_in_another_namespace_is_refused():
    event = scheduled_event(involvedObject={"kind": "Pod", "name": "web", "namespace": "prod"})
    assert messages(events.RESOURCE.validate(event, None)) == [
        'involvedObject.namespace: Invalid value: "prod": does not match event.namespace'
    ]


def test_events_have_no_status_and_short_name_ev():
    assert events.RESOURCE.has_status is False
    assert events.RESOURCE.short_names == ("ev",)


# --- leases -------------------------------------------------------------------


def node_lease(**spec):
    base = {
        "holderIdentity": "node-1",
        "leaseDurationSeconds": 40,
        "renewTime": "2025-01-02T15:04:05.123456Z",
    }
    return {
        "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
        "spec": {**base, **spec},
    }


def test_a_kubelet_lease_is_valid():
    assert leases.RESOURCE.validate(node_lease(), None) == []
    assert leases.RESOURCE.validate(node_lease(renewTime="2025-01-02T15:04:05+02:00"), None) == []


def test_a_lease_duration_must_be_positive():
    assert messages(leases.RESOURCE.validate(node_lease(leaseDurationSeconds=0), None)) == [
        "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"
    ]


def test_lease_times_must_be_rfc3339_with_a_zone():
    lease = node_lease(renewTime="yesterday", acquireTime="2025-13-01T00:00:00Z", holderIdentity=7)
    assert messages(leases.RESOURCE.validate(lease, None)) == [
        "spec.holderIdentity: Invalid value: 7: must be a string",
        'spec.acquireTime: Invalid value: "2025-13-01T00:00:00Z": '
        "must be an RFC 3339 time, e.g. '2025-01-02T15:04:05.000000Z'",
        'spec.renewTime: Invalid value: "yesterday": '
        "must be an RFC 3339 time, e.g. '2025-01-02T15:04:05.000000Z'",
    ]


def test_leases_live_in_the_coordination_group_without_status():
    assert leases.RESOURCE.api_version == "coordination.k8s.io/v1"
    assert leases.RESOURCE.group_resource == "leases.coordination.k8s.io"
    assert leases.RESOURCE.has_status is False
