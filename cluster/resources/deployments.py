"""apps/v1 Deployment: rolls a pod template out through ReplicaSets.

Defaults as upstream's SetDefaults_Deployment (pkg/apis/apps/v1/defaults.go) and
the deployment strategy; validation as ValidateDeployment, ValidateDeploymentUpdate
and ValidateDeploymentStatusUpdate (pkg/apis/apps/validation/validation.go, v1.32).
minReadySeconds is not written: Go's 0 is omitted from the JSON, and absent means 0.
"""

from __future__ import annotations

import re

from cluster.resources import replicas
from cluster.resources.field_errors import (
    FieldError,
    forbidden,
    invalid,
    not_supported,
    required,
)
from cluster.resources.go_syntax import deployment_strategy, int_or_string
from cluster.resources.meta import (
    IS_NEGATIVE,
    child_mapping,
    dns1123_subdomain_errors,
    is_integer,
    mapping,
    regex_error,
    validate_immutable_meta,
    validate_object_meta,
)
from cluster.resources.pod_templates import default_template
from cluster.resources.replicasets import (
    validate_immutable_selector,
    validate_selector_and_template,
)
from cluster.resources.types import ResourceType

RECREATE, ROLLING_UPDATE = "Recreate", "RollingUpdate"
STRATEGY_TYPES = [RECREATE, ROLLING_UPDATE]  # upstream's order
DEFAULT_MAX_SURGE = DEFAULT_MAX_UNAVAILABLE = "25%"
DEFAULT_REVISION_HISTORY_LIMIT = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600

PERCENT_FMT = "[0-9]+%"
NOT_A_PERCENT = regex_error(
    "a valid percent string must be a numeric string followed by an ending '%'",
    PERCENT_FMT,
    "1%",
    "93%",
)
BOTH_ZERO = "may not be 0 when `maxSurge` is 0"
OVER_100_PERCENT = "must not be greater than 100%"
NO_ROLLING_UPDATE_FOR_RECREATE = "may not be specified when strategy `type` is 'Recreate'"
ROLLING_UPDATE_NOT_DEFAULTED = "this should be defaulted and never be nil"
DEADLINE_NOT_AFTER_READY = "must be greater than minReadySeconds"
CANNOT_BE_DECREMENTED = "cannot be decremented"


def default(deployment: dict) -> None:
    """On create: the decode defaults and an empty status (the strategy's PrepareForCreate)."""
    default_decoded(deployment)
    deployment["status"] = {}


def default_decoded(deployment: dict) -> None:
    spec = child_mapping(deployment, "spec")
    if spec is None:
        return
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = child_mapping(spec, "strategy")
    if strategy is not None:
        _default_strategy(strategy)
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = DEFAULT_REVISION_HISTORY_LIMIT
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = DEFAULT_PROGRESS_DEADLINE_SECONDS
    default_template(spec)


def _default_strategy(strategy: dict) -> None:
    if not strategy.get("type"):
        strategy["type"] = ROLLING_UPDATE
    if strategy["type"] != ROLLING_UPDATE:
        return  # a Recreate deployment gets no rollingUpdate to be refused for
    rolling_update = child_mapping(strategy, "rollingUpdate")
    if rolling_update is not None:
        if rolling_update.get("maxUnavailable") is None:
            rolling_update["maxUnavailable"] = DEFAULT_MAX_UNAVAILABLE
        if rolling_update.get("maxSurge") is None:
            rolling_update["maxSurge"] = DEFAULT_MAX_SURGE


def validate(deployment: dict, old: dict | None) -> list[FieldError]:
    errors = [] if old is None else validate_immutable_meta(deployment, old)
    errors += validate_object_meta(
        deployment, namespaced=True, name_validator=dns1123_subdomain_errors
    )
    spec = mapping(deployment.get("spec"))
    errors += validate_spec(spec)
    if old is not None:
        errors += validate_immutable_selector(spec, mapping(old.get("spec")))
    return errors


def validate_spec(spec: dict) -> list[FieldError]:
    """ValidateDeploymentSpec, in upstream's order."""
    errors = replicas.validate_nonnegative(spec, "replicas", "spec")
    errors += validate_selector_and_template(spec, owner_kind="Deployment")
    errors += validate_strategy(mapping(spec.get("strategy")), "spec.strategy")
    errors += replicas.validate_nonnegative(spec, "minReadySeconds", "spec")
    errors += replicas.validate_nonnegative(spec, "revisionHistoryLimit", "spec")
    errors += replicas.validate_nonnegative(spec, "progressDeadlineSeconds", "spec")
    deadline = spec.get("progressDeadlineSeconds")
    if is_integer(deadline) and deadline <= replicas.count(spec, "minReadySeconds"):
        errors.append(invalid("spec.progressDeadlineSeconds", deadline, DEADLINE_NOT_AFTER_READY))
    return errors


def validate_strategy(strategy: dict, path: str) -> list[FieldError]:
    rolling_update = strategy.get("rollingUpdate")
    if strategy.get("type") == RECREATE:
        if rolling_update is not None:
            return [forbidden(f"{path}.rollingUpdate", NO_ROLLING_UPDATE_FOR_RECREATE)]
        return []
    if strategy.get("type") == ROLLING_UPDATE:
        if rolling_update is None:
            return [required(f"{path}.rollingUpdate", ROLLING_UPDATE_NOT_DEFAULTED)]
        return validate_rolling_update(mapping(rolling_update), f"{path}.rollingUpdate")
    return [not_supported(path, deployment_strategy(strategy), STRATEGY_TYPES)]


def validate_rolling_update(rolling_update: dict, path: str) -> list[FieldError]:
    """Upstream's ValidateRollingUpdateDeployment: a rollout must be able to move, so
    surge and unavailability may not both be zero."""
    max_unavailable, max_surge = (
        rolling_update.get("maxUnavailable"),
        rolling_update.get("maxSurge"),
    )
    errors = int_or_percent_errors(max_unavailable, f"{path}.maxUnavailable")
    errors += int_or_percent_errors(max_surge, f"{path}.maxSurge")
    if int_or_percent_value(max_unavailable) == 0 and int_or_percent_value(max_surge) == 0:
        errors.append(invalid(f"{path}.maxUnavailable", int_or_string(max_unavailable), BOTH_ZERO))
    percent = _percent(max_unavailable)
    if percent is not None and percent > 100:
        errors.append(
            invalid(f"{path}.maxUnavailable", int_or_string(max_unavailable), OVER_100_PERCENT)
        )
    return errors


def int_or_percent_errors(value: object, path: str) -> list[FieldError]:
    """Upstream's ValidatePositiveIntOrPercent: a count of pods, or a share such as "25%"."""
    if isinstance(value, str):
        return (
            []
            if _percent(value) is not None
            else [invalid(path, int_or_string(value), NOT_A_PERCENT)]
        )
    if is_integer(value):
        return [invalid(path, value, IS_NEGATIVE)] if value < 0 else []
    return [invalid(path, value, "must be an integer or a percentage")]  # ours


def int_or_percent_value(value: object) -> int:
    """As upstream's getIntOrPercentValue: "25%" is 25, and a string that is not a
    percentage counts as the number it spells, or 0."""
    if (percent := _percent(value)) is not None:
        return percent
    if is_integer(value):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value):
        return int(value)
    return 0


def _percent(value: object) -> int | None:
    if isinstance(value, str) and re.fullmatch(PERCENT_FMT, value):
        return int(value[:-1])
    return None


def validate_status(deployment: dict, old: dict) -> list[FieldError]:
    """ValidateDeploymentStatusUpdate."""
    errors = validate_immutable_meta(deployment, old)
    # Labels and annotations may change here too (status_metadata), so they are checked.
    errors += validate_object_meta(
        deployment, namespaced=True, name_validator=dns1123_subdomain_errors
    )
    status = mapping(deployment.get("status"))
    for key in (
        "observedGeneration",
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
        "collisionCount",
    ):
        errors += replicas.validate_nonnegative(status, key, "status")
    total = replicas.count(status, "replicas")
    for key in ("updatedReplicas", "readyReplicas", "availableReplicas"):
        if (value := replicas.count(status, key)) > total:
            errors.append(invalid(f"status.{key}", value, replicas.NOT_MORE_THAN_REPLICAS))
    available = replicas.count(status, "availableReplicas")
    if available > replicas.count(status, "readyReplicas"):
        errors.append(invalid("status.availableReplicas", available, replicas.NOT_MORE_THAN_READY))
    return errors + _validate_collision_count(status, mapping(old.get("status")))


def _validate_collision_count(status: dict, old_status: dict) -> list[FieldError]:
    # The controller adds to it to name ReplicaSets apart after a hash collision.
    old_count = old_status.get("collisionCount")
    if not is_integer(old_count):
        return []
    new_count = status.get("collisionCount")
    if new_count is None or (is_integer(new_count) and new_count < old_count):
        shown = new_count if new_count is not None else 0
        return [invalid("status.collisionCount", shown, CANNOT_BE_DECREMENTED)]
    return []


RESOURCE = ResourceType(
    name="deployments",
    singular="deployment",
    kind="Deployment",
    group="apps",
    version="v1",
    namespaced=True,
    validate=validate,
    default=default,
    default_decoded=default_decoded,
    validate_status=validate_status,
    generation_changed=replicas.spec_or_annotations_changed,
    # Upstream's status strategy resets only spec and labels.
    status_metadata=("annotations",),
    short_names=("deploy",),
    categories=("all",),
    subresources=("status", "scale"),
)
