"""core/v1 Node: a machine the scheduler can place pods on (cluster-scoped)."""

from __future__ import annotations

from dataclasses import replace

from cluster.resources.field_errors import (
    FieldError,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
)
from cluster.resources.meta import (
    dns1123_subdomain_errors,
    label_value_errors,
    mapping,
    sequence,
    string_type_errors,
    text,
    validate_immutable_meta,
    validate_object_meta,
    validate_qualified_name,
    validate_resource_quantity,
)
from cluster.resources.types import ResourceType

TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]  # upstream's order
# Node resources that count whole things; a fractional value makes no sense.
INTEGER_RESOURCES = frozenset({"pods"})
PROVIDER_ID_IS_SET_ONCE = 'node updates may not change providerID except from "" to valid'
DUPLICATE_TAINT = "taints must be unique by key and effect pair"


def validate(node: dict, old: dict | None) -> list[FieldError]:
    errors = [] if old is None else validate_node_update(node, old)
    errors += validate_object_meta(node, namespaced=False, name_validator=dns1123_subdomain_errors)
    spec = mapping(node.get("spec"))
    # Upstream passes the metadata path to its taint check, so real clusters
    # report "metadata.taints[0]...", not "spec.taints[0]...". We say the same.
    errors += validate_taints(spec.get("taints"), "metadata.taints")
    unschedulable = spec.get("unschedulable")
    if unschedulable is not None and not isinstance(unschedulable, bool):
        errors.append(invalid("spec.unschedulable", unschedulable, "must be a boolean"))  # ours
    errors += validate_node_resources(node)
    return errors


def validate_node_update(node: dict, old: dict) -> list[FieldError]:
    errors = validate_immutable_meta(node, old)
    old_provider = mapping(old.get("spec")).get("providerID")
    if old_provider and mapping(node.get("spec")).get("providerID") != old_provider:
        errors.append(forbidden("spec.providerID", PROVIDER_ID_IS_SET_ONCE))
    return errors


def validate_status(node: dict, old: dict) -> list[FieldError]:
    """What the kubelet posts every few seconds: capacity, conditions, addresses."""
    errors = validate_immutable_meta(node, old)
    errors += validate_node_resources(node)
    status = mapping(node.get("status"))
    # The Python client refuses a Node whose condition or address lacks these.
    errors += _required_keys(status.get("conditions"), "status.conditions", ("type", "status"))
    errors += _required_keys(status.get("addresses"), "status.addresses", ("type", "address"))
    return errors


def validate_taints(taints: object, field: str) -> list[FieldError]:
    errors = []
    seen: set[tuple[str, str]] = set()
    for index, taint in enumerate(sequence(taints)):
        taint = mapping(taint)
        path = f"{field}[{index}]"
        key, value, effect = (text(taint.get(name)) for name in ("key", "value", "effect"))
        errors += string_type_errors(taint, ("key", "value", "effect"), path)
        errors += validate_qualified_name(key, f"{path}.key")
        if reasons := label_value_errors(value):
            errors.append(invalid(f"{path}.value", value, ";".join(reasons)))
        errors += validate_taint_effect(effect, f"{path}.effect", allow_empty=False)
        if (key, effect) in seen:
            errors.append(replace(duplicate(path, taint), detail=DUPLICATE_TAINT))
            continue
        seen.add((key, effect))
    return errors


def validate_taint_effect(effect: str, field: str, *, allow_empty: bool) -> list[FieldError]:
    if not effect:
        return [] if allow_empty else [required(field)]
    if effect not in TAINT_EFFECTS:
        return [not_supported(field, effect, TAINT_EFFECTS)]
    return []


def validate_node_resources(node: dict) -> list[FieldError]:
    status = mapping(node.get("status"))
    errors = []
    for list_name in ("capacity", "allocatable"):
        for resource, raw in mapping(status.get(list_name)).items():
            # Upstream builds this path with Child, not Key: "status.capacity.cpu".
            errors += validate_resource_quantity(
                raw, f"status.{list_name}.{resource}", integer=resource in INTEGER_RESOURCES
            )[1]
    return errors


def _required_keys(items: object, field: str, keys: tuple[str, ...]) -> list[FieldError]:
    return [
        required(f"{field}[{index}].{key}")
        for index, item in enumerate(sequence(items))
        for key in keys
        if not mapping(item).get(key)
    ]


RESOURCE = ResourceType(
    name="nodes",
    store_prefix="minions",  # upstream keeps nodes at /registry/minions/<name>
    singular="node",
    kind="Node",
    group="",
    version="v1",
    namespaced=False,
    validate=validate,
    validate_status=validate_status,
    short_names=("no",),
    subresources=("status",),
)
