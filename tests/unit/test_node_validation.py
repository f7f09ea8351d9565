"""Nodes: names, taints, capacity, and what the kubelet may post as status."""

from cluster.resources import nodes

QUANTITY_RULE = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
QUALIFIED_NAME_RULE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
    "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


def messages(errors):
    return [error.message for error in errors]


def node(name="node-1", spec=None, status=None):
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": spec or {},
        "status": status
        or {
            "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "allocatable": {"cpu": "1900m", "memory": "3800Mi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.11"}],
        },
    }


def test_a_node_as_the_kubelet_registers_it_is_valid():
    assert nodes.RESOURCE.validate(node(), None) == []


def test_a_node_name_is_a_dns_subdomain():
    assert nodes.RESOURCE.validate(node(name="node-1.lab.local"), None) == []
    assert messages(nodes.RESOURCE.validate(node(name="Node_1"), None))[0].startswith(
        'metadata.name: Invalid value: "Node_1": a lowercase RFC 1123 subdomain'
    )


def test_a_taint_effect_must_be_one_of_the_three_in_upstreams_order():
    spec = {"taints": [{"key": "gpu", "effect": "NoRun"}]}
    assert messages(nodes.RESOURCE.validate(node(spec=spec), None)) == [
        'metadata.taints[0].effect: Unsupported value: "NoRun": '
        'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'
    ]


def test_a_taint_needs_a_key_and_an_effect_reported_where_upstream_reports_them():
    # Upstream's own path is "metadata.taints", not "spec.taints".
    spec = {"taints": [{"value": "x"}]}
    assert messages(nodes.RESOURCE.validate(node(spec=spec), None)) == [
        'metadata.taints[0].key: Invalid value: "": name part must be non-empty',
        f'metadata.taints[0].key: Invalid value: "": {QUALIFIED_NAME_RULE}',
        "metadata.taints[0].effect: Required value",
    ]


def test_a_taint_value_follows_the_label_value_rule():
    spec = {"taints": [{"key": "dedicated", "value": "team a", "effect": "NoSchedule"}]}
    [message] = messages(nodes.RESOURCE.validate(node(spec=spec), None))
    assert message.startswith(
        'metadata.taints[0].value: Invalid value: "team a": a valid label must be an empty string'
    )


def test_taints_are_unique_by_key_and_effect():
    taint = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    spec = {"taints": [taint, {**taint}, {**taint, "effect": "NoExecute"}]}
    assert messages(nodes.RESOURCE.validate(node(spec=spec), None)) == [
        'metadata.taints[1]: Duplicate value: {"effect":"NoSchedule",'
        '"key":"node.kubernetes.io/unschedulable"}: taints must be unique by key and effect pair'
    ]


def test_unschedulable_must_be_a_boolean():
    assert nodes.RESOURCE.validate(node(spec={"unschedulable": True}), None) == []
    assert messages(nodes.RESOURCE.validate(node(spec={"unschedulable": "yes"}), None)) == [
        'spec.unschedulable: Invalid value: "yes": must be a boolean'
    ]


def test_capacity_and_allocatable_must_be_valid_non_negative_quantities():
    status = {
        "capacity": {"cpu": "two", "memory": "-1Gi", "pods": "110"},
        "allocatable": {"cpu": "1", "pods": "1.5"},
    }
    assert messages(nodes.RESOURCE.validate(node(status=status), None)) == [
        f'status.capacity.cpu: Invalid value: "two": {QUANTITY_RULE}',
        'status.capacity.memory: Invalid value: "-1Gi": must be greater than or equal to 0',
        'status.allocatable.pods: Invalid value: "1500m": must be an integer',
    ]


def test_a_status_update_checks_quantities_conditions_and_addresses():
    old = node()
    posted = node(
        status={
            "capacity": {"cpu": "abc"},
            "conditions": [{"type": "Ready"}],
            "addresses": [{"type": "InternalIP"}],
        }
    )
    assert messages(nodes.RESOURCE.validate_status(posted, old)) == [
        f'status.capacity.cpu: Invalid value: "abc": {QUANTITY_RULE}',
        "status.conditions[0].status: Required value",
        "status.addresses[0].address: Required value",
    ]


def test_cordon_is_an_allowed_update_but_renaming_is_not():
    old = node()
    cordoned = node(spec={"unschedulable": True})
    assert nodes.RESOURCE.validate(cordoned, old) == []
    assert messages(nodes.RESOURCE.validate(node(name="node-2"), old)) == [
        'metadata.name: Invalid value: "node-2": field is immutable'
    ]


def test_a_provider_id_once_set_stays():
    old = node(spec={"providerID": "podlab://node-1"})
    moved = node(spec={"providerID": "podlab://node-9"})
    assert messages(nodes.RESOURCE.validate(moved, old)) == [
        'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid'
    ]


def test_nodes_are_cluster_scoped_with_short_name_no_and_a_status_subresource():
    assert nodes.RESOURCE.namespaced is False
    assert nodes.RESOURCE.short_names == ("no",)
    assert nodes.RESOURCE.subresources == ("status",)
