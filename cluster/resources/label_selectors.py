"""metav1.LabelSelector as the API server checks and prints it.

Validation is upstream's ValidateLabelSelector (apimachinery's meta/v1/validation)
with invalid label values refused, as every apps/v1 workload asks. The text form is
labels.Selector's String() after LabelSelectorAsSelector ("app=web,tier in (a,b)"),
which a Scale reports as status.selector. Matching follows the same rules as the
controllers' (cluster/components/controllers/ownership.py); it is not imported from
there because components may import resources, never the reverse.
"""

from __future__ import annotations

from cluster.resources.field_errors import FieldError, forbidden, invalid, required
from cluster.resources.meta import (
    label_value_errors,
    mapping,
    sequence,
    validate_labels,
    validate_qualified_name,
)

VALUES_REQUIRED = "must be specified when `operator` is 'In' or 'NotIn'"
VALUES_FORBIDDEN = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
NOT_AN_OPERATOR = "not a valid selector operator"
# labels.Requirement's String(): how each operator is written.
_OPERATOR_TEXT = {"In": "in", "NotIn": "notin"}


def validate_label_selector(selector: object, path: str) -> list[FieldError]:
    if selector is None:
        return []
    if not isinstance(selector, dict):
        return [invalid(path, selector, "must be an object")]  # ours
    errors = validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    expressions = selector.get("matchExpressions")
    if expressions is not None and not isinstance(expressions, list):
        return errors + [invalid(f"{path}.matchExpressions", expressions, "must be a list")]  # ours
    for index, expression in enumerate(expressions or []):
        errors += _validate_requirement(mapping(expression), f"{path}.matchExpressions[{index}]")
    return errors


def _validate_requirement(requirement: dict, path: str) -> list[FieldError]:
    operator, values = requirement.get("operator"), sequence(requirement.get("values"))
    errors = []
    if operator in ("In", "NotIn"):
        if not values:
            errors.append(required(f"{path}.values", VALUES_REQUIRED))
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            errors.append(forbidden(f"{path}.values", VALUES_FORBIDDEN))
    else:
        errors.append(invalid(f"{path}.operator", operator or "", NOT_AN_OPERATOR))
    key = requirement.get("key")
    errors += validate_qualified_name(key if isinstance(key, str) else "", f"{path}.key")
    for index, value in enumerate(values):
        reasons = label_value_errors(value) if isinstance(value, str) else ["must be a string"]
        errors += [invalid(f"{path}.values[{index}]", value, reason) for reason in reasons]
    return errors


def selector_matches(selector: dict | None, labels: object) -> bool:
    """LabelSelectorAsSelector(selector).Matches(labels): a missing selector matches
    nothing, an empty one everything."""
    if selector is None:
        return False
    labels = mapping(labels)
    if any(labels.get(key) != value for key, value in mapping(selector.get("matchLabels")).items()):
        return False
    return all(
        _requirement_matches(mapping(e), labels) for e in sequence(selector.get("matchExpressions"))
    )


def _requirement_matches(requirement: dict, labels: dict) -> bool:
    key, operator = requirement.get("key"), requirement.get("operator")
    values = sequence(requirement.get("values"))
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    return key not in labels  # DoesNotExist; validation has refused any other operator


def set_selector_matches(selector: object, labels: object) -> bool:
    """labels.SelectorFromSet(selector).Matches(labels), for a ReplicationController."""
    labels = mapping(labels)
    return all(labels.get(key) == value for key, value in mapping(selector).items())


def is_empty(selector: dict) -> bool:
    """An empty selector selects everything; workloads refuse it."""
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def selector_string(selector: dict) -> str:
    """The selector as labels.Selector prints it: requirements sorted by key, values sorted."""
    requirements = [
        (key, f"{key}={value}") for key, value in mapping(selector.get("matchLabels")).items()
    ]
    for expression in sequence(selector.get("matchExpressions")):
        expression = mapping(expression)
        key, operator = str(expression.get("key", "")), expression.get("operator")
        values = ",".join(sorted(str(value) for value in sequence(expression.get("values"))))
        if operator in _OPERATOR_TEXT:
            requirements.append((key, f"{key} {_OPERATOR_TEXT[operator]} ({values})"))
        elif operator == "Exists":
            requirements.append((key, key))
        elif operator == "DoesNotExist":
            requirements.append((key, f"!{key}"))
    return ",".join(text for _, text in sorted(requirements, key=lambda pair: pair[0]))


def set_selector_string(selector: object) -> str:
    """A map selector (a ReplicationController's) as labels.SelectorFromSet prints it."""
    return ",".join(f"{key}={value}" for key, value in sorted(mapping(selector).items()))
