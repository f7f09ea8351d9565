"""Pod validation: upstream's ValidatePodCreate, ValidatePodUpdate and
ValidatePodStatusUpdate (pkg/apis/core/validation/validation.go, v1.32), for the
fields the sandbox models, with upstream's field paths, wording and order.

Every cause is collected; nothing stops at the first. Deliberately not modelled:
volumes and mounts, env, probes, lifecycle hooks, security contexts, affinity,
topology spread, ephemeral containers and hugepages rules (affinity and topology
spread are stored as written, for the scheduler to read).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from contextlib import suppress
from decimal import Decimal
from typing import NamedTuple

from cluster.quantity import InvalidQuantity, format_quantity
from cluster.resources.field_errors import (
    FieldError,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
)
from cluster.resources.meta import (
    FIELD_IMMUTABLE,
    IS_NEGATIVE,
    NameValidator,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    is_integer,
    label_value_errors,
    mapping,
    max_len_error,
    qualified_name_errors,
    sequence,
    string_type_errors,
    text,
    validate_dns1123_label,
    validate_immutable_meta,
    validate_labels,
    validate_name,
    validate_object_meta,
    validate_qualified_name,
    validate_resource_quantity,
)
from cluster.resources.nodes import validate_taint_effect

RESTART_POLICIES = ["Always", "OnFailure", "Never"]
DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]
PORT_PROTOCOLS = ["SCTP", "TCP", "UDP"]  # upstream lists its set sorted
TOLERATION_OPERATORS = ["Equal", "Exists"]
PREEMPTION_POLICIES = ["PreemptLowerPriority", "Never"]
POD_PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]
CONDITION_STATUSES = ["False", "True", "Unknown"]  # metav1's condition rule, sorted
MAX_INT32 = 2**31 - 1
MIN_INT32 = -(2**31)
MAX_GRACE_PERIOD_SECONDS = MAX_INT32

STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
STANDARD_RESOURCES = STANDARD_CONTAINER_RESOURCES | {
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "requests.storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
}

UPDATABLE_POD_SPEC_FIELDS = [
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
]
# Upstream appends a go-cmp diff of the two specs after a newline; we leave it out.
POD_UPDATE_FORBIDDEN = "pod updates may not change fields other than " + ",".join(
    UPDATABLE_POD_SPEC_FIELDS
)
EMPTY_KEY_NEEDS_EXISTS = (
    'operator must be Exists when `key` is empty, which means "match all values and all keys"'
)
SECONDS_NEED_NO_EXECUTE = "effect must be 'NoExecute' when `tolerationSeconds` is set"
EXISTS_TAKES_NO_VALUE = "value must be empty when `operator` is 'Exists'"
CONTAINERS_ADDED_OR_REMOVED = "pod updates may not add or remove containers"
DEADLINE_REMOVED = "must not update from a positive integer to nil value"
TOLERATION_MODIFIED = "existing toleration can not be modified except its tolerationSeconds"
LIMIT_REQUIRED = "Limit must be set for non overcommitable resources"
PORT_RANGE = "must be between 1 and 65535, inclusive"
GATED_NODE_NAME = "cannot be set until all schedulingGates have been cleared"

# pods.py passes its default_pod_spec in (it imports this module, not the reverse):
# an update is checked, and its spec compared, as if defaulted.
SpecDefaults = Callable[[dict], None]


def validate_pod(pod: dict, old: dict | None, *, spec_defaults: SpecDefaults) -> list[FieldError]:
    if old is None:
        return validate_pod_metadata_and_spec(pod) + _gated_node_name_errors(pod)
    return validate_pod_update(pod, old, spec_defaults=spec_defaults)


def _gated_node_name_errors(pod: dict) -> list[FieldError]:
    """Upstream ValidatePodCreate: a pod cannot name its node while it is gated."""
    spec = mapping(pod.get("spec"))
    if spec.get("nodeName") and sequence(spec.get("schedulingGates")):
        return [forbidden("spec.nodeName", GATED_NODE_NAME)]
    return []


def validate_pod_metadata_and_spec(pod: dict) -> list[FieldError]:
    errors = validate_object_meta(pod, namespaced=True, name_validator=dns1123_subdomain_errors)
    spec = pod.get("spec")
    if spec is not None and not isinstance(spec, dict):
        return errors + [invalid("spec", spec, "must be an object")]  # ours
    spec = spec or {}
    errors += validate_pod_spec(spec)
    for key in ("containers", "initContainers"):
        errors += _image_whitespace_errors(spec.get(key), f"spec.{key}")
    return errors


def validate_pod_spec(spec: dict) -> list[FieldError]:
    errors = _validate_grace_period(spec.get("terminationGracePeriodSeconds"))
    errors += _validate_containers(spec.get("containers"))
    errors += _validate_init_containers(spec.get("initContainers"), spec.get("containers"))
    errors += _validate_enum(spec, "restartPolicy", RESTART_POLICIES, "spec")
    errors += _validate_enum(spec, "dnsPolicy", DNS_POLICIES, "spec")
    errors += validate_labels(spec.get("nodeSelector"), "spec.nodeSelector")
    errors += _validate_optional_name(spec, "serviceAccountName", dns1123_subdomain_errors)
    errors += _validate_optional_name(spec, "nodeName", dns1123_subdomain_errors)
    errors += _validate_active_deadline(spec.get("activeDeadlineSeconds"))
    errors += _validate_optional_name(spec, "hostname", dns1123_label_errors)
    errors += _validate_optional_name(spec, "subdomain", dns1123_label_errors)
    errors += validate_tolerations(spec.get("tolerations"), "spec.tolerations")
    errors += _validate_optional_name(spec, "priorityClassName", dns1123_subdomain_errors)
    if spec.get("preemptionPolicy") is not None:
        errors += _validate_enum(spec, "preemptionPolicy", PREEMPTION_POLICIES, "spec")
    errors += _validate_scheduling_gates(spec.get("schedulingGates"))
    return errors


def _validate_scheduling_gates(gates: object) -> list[FieldError]:
    """Upstream validateSchedulingGates: qualified names, no name twice."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, gate in enumerate(sequence(gates)):
        name = mapping(gate).get("name", "")
        path = f"spec.schedulingGates[{i}]"
        errors += validate_qualified_name(name, path)
        if name in seen:
            errors.append(duplicate(path, name))
        seen.add(name)
    return errors


# --- spec fields -----------------------------------------------------------------


def _validate_grace_period(seconds: object) -> list[FieldError]:
    field = "spec.terminationGracePeriodSeconds"
    if seconds is None:
        return [required(field)]
    if not is_integer(seconds):
        return [invalid(field, seconds, "must be an integer")]  # ours
    # Ours: upstream accepts a negative grace period (and treats it as 1);
    # we refuse it, since it means nothing a student should have to learn.
    if seconds < 0:
        return [invalid(field, seconds, IS_NEGATIVE)]
    # Ours: upstream allows any int64, but a deletion's deadline must be a date
    # (Python's calendar ends in 9999); 68 years is longer than any lesson.
    if seconds > MAX_GRACE_PERIOD_SECONDS:
        return [invalid(field, seconds, inclusive_range_error(0, MAX_GRACE_PERIOD_SECONDS))]
    return []


def _validate_active_deadline(seconds: object) -> list[FieldError]:
    field = "spec.activeDeadlineSeconds"
    if seconds is None:
        return []
    if not is_integer(seconds) or not 1 <= seconds <= MAX_INT32:
        return [invalid(field, seconds, f"must be between 1 and {MAX_INT32}, inclusive")]
    return []


def _validate_enum(obj: dict, key: str, supported: list[str], path: str) -> list[FieldError]:
    field = f"{path}.{key}"
    value = obj.get(key)
    if value is None or value == "":
        return [required(field)]
    return [] if value in supported else [not_supported(field, value, supported)]


def _validate_optional_name(spec: dict, key: str, rule: NameValidator) -> list[FieldError]:
    value = spec.get(key)
    if not value:
        return []
    if not isinstance(value, str):
        return [invalid(f"spec.{key}", value, "must be a string")]  # ours
    return validate_name(value, f"spec.{key}", rule)


# --- containers ------------------------------------------------------------------


def _validate_containers(containers: object) -> list[FieldError]:
    field = "spec.containers"
    if containers is not None and not isinstance(containers, list):
        return [invalid(field, containers, "must be a list")]  # ours
    if not containers:
        return [required(field)]
    errors = []
    names: set[str] = set()
    for index, container in enumerate(containers):
        path = f"{field}[{index}]"
        if not isinstance(container, dict):
            errors.append(invalid(path, container, "must be an object"))  # ours
            continue
        errors += _validate_container(container, path)
        if "restartPolicy" in container:
            errors.append(
                forbidden(f"{path}.restartPolicy", "may not be set for non-init containers")
            )
        name = text(container.get("name"))
        if name in names:
            errors.append(duplicate(f"{path}.name", name))
        names.add(name)
    return errors + _host_port_conflicts(containers, field)


def _validate_init_containers(init_containers: object, containers: object) -> list[FieldError]:
    """Init container names must differ from each other and from the app containers'."""
    field = "spec.initContainers"
    if init_containers is not None and not isinstance(init_containers, list):
        return [invalid(field, init_containers, "must be a list")]  # ours
    names = {text(mapping(container).get("name")) for container in sequence(containers)}
    errors = []
    for index, container in enumerate(init_containers or []):
        path = f"{field}[{index}]"
        if not isinstance(container, dict):
            errors.append(invalid(path, container, "must be an object"))  # ours
            continue
        errors += _validate_container(container, path)
        errors += _init_container_only_errors(container, path)
        name = text(container.get("name"))
        if name in names:
            errors.append(duplicate(f"{path}.name", name))
        elif name:
            names.add(name)
        # Init containers run one at a time, so only their own host ports can clash.
        errors += _host_port_conflicts([container], field, first_index=index)
    return errors


# What a container that runs to completion has no use for (upstream's validateInitContainers).
_RUN_TO_COMPLETION_FORBIDS = ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe")
# Podlab's kubelet runs init containers to completion only: a sidecar would be run wrong.
SIDECARS_NOT_SIMULATED = (
    "sidecar containers (an init container with restartPolicy: Always) are not simulated in Podlab"
)


def _init_container_only_errors(container: dict, path: str) -> list[FieldError]:
    policy = container.get("restartPolicy")
    if policy is None:
        return [
            forbidden(
                f"{path}.{key}", "may not be set for init containers without restartPolicy=Always"
            )
            for key in _RUN_TO_COMPLETION_FORBIDS
            if container.get(key) is not None
        ]
    if policy != "Always":
        return [not_supported(f"{path}.restartPolicy", policy, ["Always"])]
    return [forbidden(f"{path}.restartPolicy", SIDECARS_NOT_SIMULATED)]  # ours


def _validate_container(container: dict, path: str) -> list[FieldError]:
    errors = string_type_errors(container, ("name", "image"), path)
    name = container.get("name")
    if not name:
        errors.append(required(f"{path}.name"))
    elif isinstance(name, str):
        errors += validate_dns1123_label(name, f"{path}.name")
    if not container.get("image"):
        errors.append(required(f"{path}.image"))
    errors += _validate_enum(
        container, "terminationMessagePolicy", TERMINATION_MESSAGE_POLICIES, path
    )
    errors += _validate_ports(container.get("ports"), f"{path}.ports")
    errors += _validate_enum(container, "imagePullPolicy", PULL_POLICIES, path)
    errors += validate_resource_requirements(container.get("resources"), f"{path}.resources")
    errors += _string_list_errors(container.get("command"), f"{path}.command")
    errors += _string_list_errors(container.get("args"), f"{path}.args")
    return errors


def _string_list_errors(value: object, field: str) -> list[FieldError]:
    """Ours: command and args are []string (upstream refuses other types while decoding);
    the kubelet hands each word to the runtime as a string."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [invalid(field, value, "must be a list of strings")]
    return [
        invalid(f"{field}[{index}]", word, "must be a string")
        for index, word in enumerate(value)
        if not isinstance(word, str)
    ]


def _image_whitespace_errors(containers: object, field: str) -> list[FieldError]:
    return [
        invalid(f"{field}[{index}].image", image, "must not have leading or trailing whitespace")
        for index, container in enumerate(sequence(containers))
        if (image := text(mapping(container).get("image"))) != image.strip()
    ]


def _validate_ports(ports: object, field: str) -> list[FieldError]:
    errors = []
    names: set[str] = set()
    for index, port in enumerate(sequence(ports)):
        path, port = f"{field}[{index}]", mapping(port)
        name = port.get("name")
        if isinstance(name, str) and name:
            if reasons := port_name_errors(name):
                errors += [invalid(f"{path}.name", name, reason) for reason in reasons]
            elif name in names:
                errors.append(duplicate(f"{path}.name", name))
            names.add(name)
        if not port.get("containerPort"):
            errors.append(required(f"{path}.containerPort"))
        else:
            errors += _port_number_errors(port["containerPort"], f"{path}.containerPort")
        if port.get("hostPort"):
            errors += _port_number_errors(port["hostPort"], f"{path}.hostPort")
        errors += _validate_enum(port, "protocol", PORT_PROTOCOLS, path)
    return errors


def port_name_errors(name: str) -> list[str]:
    """An IANA service name: at most 15 of [-a-z0-9], with a letter, no "--", no edge "-"."""
    reasons = []
    if len(name) > 15:
        reasons.append(max_len_error(15))
    if not re.fullmatch(r"[-a-z0-9]+", name):
        reasons.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", name):
        reasons.append("must contain at least one letter (a-z)")
    if "--" in name:
        reasons.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        reasons.append("must not begin or end with a hyphen")
    return reasons


def _port_number_errors(port: object, field: str) -> list[FieldError]:
    if is_integer(port) and 1 <= port <= 65535:
        return []
    return [invalid(field, port, PORT_RANGE)]


def _host_port_conflicts(containers: list, field: str, first_index: int = 0) -> list[FieldError]:
    errors = []
    seen: set[str] = set()
    for offset, container in enumerate(containers):
        for port_index, port in enumerate(sequence(mapping(container).get("ports"))):
            port = mapping(port)
            if not port.get("hostPort"):
                continue
            binding = f"{text(port.get('protocol'))}/{text(port.get('hostIP'))}/{port['hostPort']}"
            path = f"{field}[{first_index + offset}].ports[{port_index}].hostPort"
            if binding in seen:
                errors.append(duplicate(path, binding))
            seen.add(binding)
    return errors


# --- resources -------------------------------------------------------------------


class _Quantity(NamedTuple):
    value: Decimal
    canonical: str  # as upstream prints it in messages: "2000m" -> "2"


def validate_resource_requirements(resources: object, field: str) -> list[FieldError]:
    """Names, quantities, and requests within limits (upstream's validateResourceRequirements)."""
    if resources is None:
        return []
    if not isinstance(resources, dict):
        return [invalid(field, resources, "must be an object")]  # ours
    limits_field, requests_field = f"{field}.limits", f"{field}.requests"
    limits, errors = _validate_resource_list(resources.get("limits"), limits_field)
    requests, request_errors = _validate_resource_list(resources.get("requests"), requests_field)
    errors += request_errors
    for name, request in requests.items():
        if name not in limits:
            if not overcommit_allowed(name):
                errors.append(required(limits_field, LIMIT_REQUIRED))
            continue
        errors += _compare_request_to_limit(name, request, limits[name], requests_field)
    return errors


def _compare_request_to_limit(
    name: str, request: _Quantity | None, limit: _Quantity | None, field: str
) -> list[FieldError]:
    if request is None or limit is None:
        return []  # unparsable, and already reported
    if not overcommit_allowed(name) and request.value != limit.value:
        detail = f"must be equal to {name} limit of {limit.canonical}"
    elif request.value > limit.value:
        detail = f"must be less than or equal to {name} limit of {limit.canonical}"
    else:
        return []
    return [invalid(field, request.canonical, detail)]


def _validate_resource_list(
    resource_list: object, field: str
) -> tuple[dict[str, _Quantity | None], list[FieldError]]:
    """Check one resource list; return each name's quantity (None when it does not parse)."""
    if resource_list is None:
        return {}, []
    if not isinstance(resource_list, dict):
        return {}, [invalid(field, resource_list, "must be a map of resource names to quantities")]
    quantities: dict[str, _Quantity | None] = {}
    errors = []
    for name, raw in resource_list.items():
        path = f"{field}[{name}]"
        errors += _container_resource_name_errors(name, path)
        value, quantity_errors = validate_resource_quantity(
            raw, path, integer=is_extended_resource(name)
        )
        errors += quantity_errors
        quantities[name] = None if value is None else _Quantity(value, format_quantity(raw))
    return quantities, errors


def _container_resource_name_errors(name: str, field: str) -> list[FieldError]:
    """cpu, memory, ephemeral-storage, hugepages-*, or a domain-prefixed extended resource."""
    errors = validate_qualified_name(name, field)
    unprefixed = "/" not in name
    if not errors and unprefixed and not _is_standard_resource(name):
        errors.append(invalid(field, name, "must be a standard resource type or fully qualified"))
    if unprefixed:
        if not _is_standard_container_resource(name):
            errors.append(invalid(field, name, "must be a standard resource for containers"))
    elif not is_native_resource(name) and not is_extended_resource(name):
        errors.append(invalid(field, name, "doesn't follow extended resource name standard"))
    return errors


def is_native_resource(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def is_extended_resource(name: str) -> bool:
    """A vendor resource such as example.com/gpu: whole units only, never overcommitted."""
    if is_native_resource(name) or name.startswith("requests."):
        return False
    return not qualified_name_errors("requests." + name)


def overcommit_allowed(name: str) -> bool:
    """Whether a request may be below its limit: true for cpu and memory, not for a GPU."""
    return is_native_resource(name) and not name.startswith("hugepages-")


def _is_standard_resource(name: str) -> bool:
    return name in STANDARD_RESOURCES or name.startswith(("hugepages-", "requests.hugepages-"))


def _is_standard_container_resource(name: str) -> bool:
    return name in STANDARD_CONTAINER_RESOURCES or name.startswith("hugepages-")


# --- tolerations -----------------------------------------------------------------


def validate_tolerations(tolerations: object, field: str) -> list[FieldError]:
    if tolerations is None:
        return []
    if not isinstance(tolerations, list):
        return [invalid(field, tolerations, "must be a list")]  # ours
    errors = []
    for index, toleration in enumerate(tolerations):
        errors += _validate_toleration(mapping(toleration), f"{field}[{index}]")
    return errors


def _validate_toleration(toleration: dict, path: str) -> list[FieldError]:
    errors = string_type_errors(toleration, ("key", "operator", "value", "effect"), path)
    key, operator, value, effect = (
        text(toleration.get(name)) for name in ("key", "operator", "value", "effect")
    )
    if key:
        errors += validate_qualified_name(key, f"{path}.key")
    if not key and operator != "Exists":
        errors.append(invalid(f"{path}.operator", operator, EMPTY_KEY_NEEDS_EXISTS))
    seconds = toleration.get("tolerationSeconds")
    if seconds is not None and effect != "NoExecute":
        errors.append(invalid(f"{path}.effect", effect, SECONDS_NEED_NO_EXECUTE))
    if seconds is not None and not is_integer(seconds):
        errors.append(invalid(f"{path}.tolerationSeconds", seconds, "must be an integer"))  # ours
    # Upstream reports a bad value under the operator's path.
    if operator in ("Equal", ""):
        if reasons := label_value_errors(value):
            errors.append(invalid(f"{path}.operator", value, ";".join(reasons)))
    elif operator == "Exists":
        if value:
            errors.append(invalid(f"{path}.operator", value, EXISTS_TAKES_NO_VALUE))
    else:
        errors.append(not_supported(f"{path}.operator", operator, TOLERATION_OPERATORS))
    return errors + validate_taint_effect(effect, f"{path}.effect", allow_empty=True)


# --- updates ---------------------------------------------------------------------


def validate_pod_update(pod: dict, old: dict, *, spec_defaults: SpecDefaults) -> list[FieldError]:
    """A pod is mostly immutable: images, a shorter deadline and added tolerations may change.

    spec.nodeName may also go from unset to set once, which is how binding
    assigns a node; moving a bound pod elsewhere is forbidden like any change.
    Upstream defaults every decoded object, so a `kubectl replace` of the bare
    manifest is checked as if defaulted; the caller should store it defaulted too.
    """
    pod = copy.deepcopy(pod)
    if isinstance(pod.get("spec"), dict):
        spec_defaults(pod["spec"])
    errors = validate_immutable_meta(pod, old)
    errors += validate_pod_metadata_and_spec(pod)
    spec, old_spec = mapping(pod.get("spec")), mapping(old.get("spec"))
    for key in ("containers", "initContainers"):
        if len(sequence(spec.get(key))) != len(sequence(old_spec.get(key))):
            return errors + [forbidden(f"spec.{key}", CONTAINERS_ADDED_OR_REMOVED)]
    deadline_errors = _validate_deadline_update(spec, old_spec)
    if deadline_errors:
        return errors + deadline_errors
    errors += _validate_only_added_tolerations(spec.get("tolerations"), old_spec.get("tolerations"))
    errors += _validate_only_deleted_scheduling_gates(
        spec.get("schedulingGates"), old_spec.get("schedulingGates")
    )
    comparable_old = _comparable_spec(old_spec, spec_defaults)
    if _comparable_spec(_with_mutable_fields_of(spec, old_spec), spec_defaults) != comparable_old:
        errors.append(forbidden("spec", POD_UPDATE_FORBIDDEN))
    return errors


def _validate_deadline_update(spec: dict, old_spec: dict) -> list[FieldError]:
    """activeDeadlineSeconds may be set, or shortened; never lengthened or removed."""
    field = "spec.activeDeadlineSeconds"
    new, old = spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    if new is None:
        return [] if old is None else [invalid(field, None, DEADLINE_REMOVED)]
    if not is_integer(new) or not 0 <= new <= MAX_INT32:
        return [invalid(field, new, f"must be between 0 and {MAX_INT32}, inclusive")]
    if is_integer(old) and old < new:
        return [invalid(field, new, "must be less than or equal to previous value")]
    return []


def _validate_only_added_tolerations(tolerations: object, old: object) -> list[FieldError]:
    new = [_toleration_without_seconds(toleration) for toleration in sequence(tolerations)]
    for old_toleration in sequence(old):
        if _toleration_without_seconds(old_toleration) not in new:
            return [forbidden("spec.tolerations", TOLERATION_MODIFIED)]
    return []


def _validate_only_deleted_scheduling_gates(gates: object, old: object) -> list[FieldError]:
    """Upstream validateOnlyDeletedSchedulingGates: gates may be removed, never added."""
    old_names = {mapping(gate).get("name") for gate in sequence(old)}
    return [
        forbidden(
            f"spec.schedulingGates[{i}].name",
            f"only deletion is allowed, but found new scheduling gate '{name}'",
        )
        for i, gate in enumerate(sequence(gates))
        if (name := mapping(gate).get("name")) not in old_names
    ]


def _toleration_without_seconds(toleration: object) -> dict:
    # Only tolerationSeconds of an existing toleration may change.
    return {
        key: value
        for key, value in mapping(toleration).items()
        if key != "tolerationSeconds" and value not in (None, "")
    }


def _with_mutable_fields_of(spec: dict, old_spec: dict) -> dict:
    """The new spec with every field an update may change put back to its old value."""
    munged = copy.deepcopy(spec)
    for key in ("containers", "initContainers"):
        # Same lengths: validate_pod_update has already refused added or removed containers.
        pairs = zip(sequence(munged.get(key)), sequence(old_spec.get(key)), strict=True)
        for container, old_container in pairs:
            if isinstance(container, dict) and isinstance(old_container, dict):
                _copy_key(container, old_container, "image")
    _copy_key(munged, old_spec, "activeDeadlineSeconds")
    _copy_key(munged, old_spec, "tolerations")
    _copy_key(munged, old_spec, "schedulingGates")
    if not old_spec.get("nodeName"):
        _copy_key(munged, old_spec, "nodeName")
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if is_integer(old_grace) and old_grace < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        _copy_key(munged, old_spec, "terminationGracePeriodSeconds")
    return munged


def _copy_key(target: dict, source: dict, key: str) -> None:
    if key in source:
        target[key] = copy.deepcopy(source[key])
    else:
        target.pop(key, None)


def _comparable_spec(spec: dict, spec_defaults: SpecDefaults) -> object:
    """The spec as upstream's semantic equality sees it: defaulted, with null, "" and
    empty lists or maps the same as absent, and "1000m" the same as "1"."""
    defaulted = copy.deepcopy(spec)
    spec_defaults(defaulted)
    return _without_empty_values(_with_canonical_quantities(defaulted))


def _with_canonical_quantities(spec: dict) -> dict:
    for container in sequence(spec.get("containers")) + sequence(spec.get("initContainers")):
        resources = mapping(mapping(container).get("resources"))
        for list_name in ("limits", "requests"):
            resource_list = mapping(resources.get(list_name))
            for name, raw in resource_list.items():
                with suppress(InvalidQuantity):  # left as written; validation reports it
                    resource_list[name] = format_quantity(raw)
    return spec


def _without_empty_values(value: object) -> object:
    if isinstance(value, dict):
        cleaned = {key: _without_empty_values(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, "", [], {})}
    if isinstance(value, list):
        return [_without_empty_values(item) for item in value]
    return value


# --- status ----------------------------------------------------------------------


def validate_pod_status(pod: dict, old: dict) -> list[FieldError]:
    """What kubelets post through pods/status. The Python client is strict about these
    fields, so a malformed status would break every client listing pods."""
    errors = validate_immutable_meta(pod, old)
    status, old_status = mapping(pod.get("status")), mapping(old.get("status"))
    qos, old_qos = status.get("qosClass"), old_status.get("qosClass")
    # A status without qosClass keeps the stored one; only a different value is a change.
    if qos and old_qos and qos != old_qos:
        errors.append(invalid("status.qosClass", qos, FIELD_IMMUTABLE))
    phase = status.get("phase")
    if phase is not None and phase not in POD_PHASES:
        errors.append(not_supported("status.phase", phase, POD_PHASES))
    errors += _validate_conditions(status.get("conditions"), "status.conditions")
    for key in ("initContainerStatuses", "containerStatuses"):
        for index, container_status in enumerate(sequence(status.get(key))):
            path = f"status.{key}[{index}]"
            errors += _validate_container_status(mapping(container_status), path)
    return errors


def _validate_conditions(conditions: object, field: str) -> list[FieldError]:
    errors = []
    for index, condition in enumerate(sequence(conditions)):
        condition, path = mapping(condition), f"{field}[{index}]"
        if not condition.get("type"):
            errors.append(required(f"{path}.type"))
        status = condition.get("status") or ""
        if status not in CONDITION_STATUSES:
            errors.append(not_supported(f"{path}.status", status, CONDITION_STATUSES))
    return errors


def _validate_container_status(container_status: dict, path: str) -> list[FieldError]:
    errors = [
        required(f"{path}.{key}") for key in ("name", "image") if not container_status.get(key)
    ]
    errors += string_type_errors(container_status, ("name", "image", "imageID"), path)
    if container_status.get("imageID") is None:
        errors.append(required(f"{path}.imageID"))  # "" is fine: not pulled yet
    ready = container_status.get("ready")
    if ready is None:
        errors.append(required(f"{path}.ready"))
    elif not isinstance(ready, bool):
        errors.append(invalid(f"{path}.ready", ready, "must be a boolean"))  # ours
    restarts = container_status.get("restartCount")
    if restarts is None:
        errors.append(required(f"{path}.restartCount"))
    elif not is_integer(restarts):
        errors.append(invalid(f"{path}.restartCount", restarts, "must be an integer"))  # ours
    elif restarts < 0:
        errors.append(invalid(f"{path}.restartCount", restarts, IS_NEGATIVE))
    elif restarts > MAX_INT32:
        errors.append(
            invalid(f"{path}.restartCount", restarts, inclusive_range_error(0, MAX_INT32))
        )
    for state_key in ("state", "lastState"):
        terminated = mapping(mapping(container_status.get(state_key)).get("terminated"))
        for key in ("exitCode", "signal"):
            errors += _int32_errors(terminated.get(key), f"{path}.{state_key}.terminated.{key}")
    return errors


def _int32_errors(value: object, field: str) -> list[FieldError]:
    """Ours: an int32 field holds an int32 (upstream refuses more while decoding)."""
    if value is None:
        return []
    if not is_integer(value):
        return [invalid(field, value, "must be an integer")]
    if not MIN_INT32 <= value <= MAX_INT32:
        return [invalid(field, value, inclusive_range_error(MIN_INT32, MAX_INT32))]
    return []


def inclusive_range_error(low: int, high: int) -> str:
    """Upstream's validation.InclusiveRangeError."""
    return f"must be between {low} and {high}, inclusive"
