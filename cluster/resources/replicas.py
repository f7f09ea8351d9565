"""What ReplicaSets, Deployments and ReplicationControllers share: counts that may not
be negative, their status rules, and when an update is a new generation."""

from __future__ import annotations

from cluster.resources.field_errors import FieldError, invalid
from cluster.resources.meta import (
    IS_NEGATIVE,
    dns1123_subdomain_errors,
    is_integer,
    mapping,
    validate_immutable_meta,
    validate_object_meta,
)

NOT_MORE_THAN_REPLICAS = "cannot be greater than status.replicas"
NOT_MORE_THAN_READY = "cannot be greater than readyReplicas"
# The counts a ReplicaSet's or a ReplicationController's status reports, in upstream's order.
REPLICA_SET_STATUS_COUNTS = (
    "replicas",
    "fullyLabeledReplicas",
    "readyReplicas",
    "availableReplicas",
    "observedGeneration",
)


MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1


def validate_nonnegative(obj: dict, key: str, path: str) -> list[FieldError]:
    """Upstream's ValidateNonnegativeField on an optional count (absent is Go's 0)."""
    value = obj.get(key)
    if value is None:
        return []
    if not is_integer(value):
        return [invalid(f"{path}.{key}", value, "must be an integer")]  # ours
    if value < 0:
        return [invalid(f"{path}.{key}", value, IS_NEGATIVE)]
    # Ours: these counts are int32 (observedGeneration int64), which upstream's decoder
    # enforces; a controller asked for 2**40 replicas would try to make them.
    maximum = MAX_INT64 if key == "observedGeneration" else MAX_INT32
    if value > maximum:
        return [invalid(f"{path}.{key}", value, f"must be between 0 and {maximum}, inclusive")]
    return []


def count(obj: dict, key: str) -> int:
    """A count as Go reads it: absent, null or malformed is 0 (validation reports the last)."""
    value = obj.get(key)
    return value if is_integer(value) else 0


def validate_replica_set_status(status: dict) -> list[FieldError]:
    """Upstream's ValidateReplicaSetStatus; ValidateReplicationControllerStatus says the same."""
    errors = []
    for key in REPLICA_SET_STATUS_COUNTS:
        errors += validate_nonnegative(status, key, "status")
    replicas = count(status, "replicas")
    for key in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
        if count(status, key) > replicas:
            errors.append(invalid(f"status.{key}", count(status, key), NOT_MORE_THAN_REPLICAS))
    available = count(status, "availableReplicas")
    if available > count(status, "readyReplicas"):
        errors.append(invalid("status.availableReplicas", available, NOT_MORE_THAN_READY))
    return errors


def spec_changed(new: dict, old: dict) -> bool:
    """Whether an update bumps metadata.generation, as these kinds' PrepareForUpdate
    decides: the spec differs under apiequality.Semantic.DeepEqual."""
    return not semantically_equal(new.get("spec"), old.get("spec"))


def spec_or_annotations_changed(new: dict, old: dict) -> bool:
    """A Deployment's rule: its annotations count too, since its ReplicaSets copy them."""
    annotations = [mapping(mapping(obj.get("metadata")).get("annotations")) for obj in (new, old)]
    return spec_changed(new, old) or not semantically_equal(*annotations)


def semantically_equal(a: object, b: object) -> bool:
    """Equal once decoded into Go: an absent field, null, "", 0, false and an empty list
    or map are all the zero value, so `minReadySeconds: 0` is no change."""
    return _without_zero_values(a) == _without_zero_values(b)


def _without_zero_values(value: object) -> object:
    if isinstance(value, dict):
        cleaned = {key: _without_zero_values(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if not _is_zero(item)}
    if isinstance(value, list):
        return [_without_zero_values(item) for item in value]
    return None if _is_zero(value) else value


def _is_zero(value: object) -> bool:
    return value is None or value is False or value in ("", 0, [], {})


def validate_status(obj: dict, old: dict) -> list[FieldError]:
    """A ReplicaSet's or ReplicationController's status update, as upstream's status
    strategies validate it."""
    errors = validate_immutable_meta(obj, old)
    # Labels and annotations may change here too (status_metadata), so they are checked.
    errors += validate_object_meta(obj, namespaced=True, name_validator=dns1123_subdomain_errors)
    return errors + validate_replica_set_status(mapping(obj.get("status")))
