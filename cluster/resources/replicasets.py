"""apps/v1 ReplicaSet: keeps a number of pods from one template running.

Defaults as upstream's SetDefaults_ReplicaSet (pkg/apis/apps/v1/defaults.go) and
the replicaset strategy; validation as ValidateReplicaSet, ValidateReplicaSetUpdate
and ValidateReplicaSetStatusUpdate (pkg/apis/apps/validation/validation.go, v1.32).
"""

from __future__ import annotations

from cluster.resources import label_selectors, pod_templates, replicas
from cluster.resources.field_errors import FieldError, invalid, required
from cluster.resources.go_syntax import label_selector
from cluster.resources.meta import (
    FIELD_IMMUTABLE,
    child_mapping,
    dns1123_subdomain_errors,
    mapping,
    validate_immutable_meta,
    validate_object_meta,
)
from cluster.resources.types import ResourceType

EMPTY_SELECTOR = "empty selector is invalid for deployment"  # upstream's words, for RSs too
INVALID_SELECTOR = "invalid label selector"


def default(replica_set: dict) -> None:
    """On create: the decode defaults and a fresh status (the strategy's PrepareForCreate)."""
    default_decoded(replica_set)
    replica_set["status"] = {"replicas": 0}  # apps/v1 always writes status.replicas


def default_decoded(replica_set: dict) -> None:
    spec = child_mapping(replica_set, "spec")
    if spec is None:
        return
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    pod_templates.default_template(spec)


def validate(replica_set: dict, old: dict | None) -> list[FieldError]:
    errors = validate_object_meta(
        replica_set, namespaced=True, name_validator=dns1123_subdomain_errors
    )
    spec = mapping(replica_set.get("spec"))
    errors += validate_spec(spec, owner_kind="ReplicaSet")
    if old is not None:
        errors += validate_immutable_meta(replica_set, old)
        errors += validate_immutable_selector(spec, mapping(old.get("spec")))
    return errors


def validate_spec(spec: dict, *, owner_kind: str) -> list[FieldError]:
    """ValidateReplicaSetSpec: counts, the selector, then the template it must match."""
    errors = replicas.validate_nonnegative(spec, "replicas", "spec")
    errors += replicas.validate_nonnegative(spec, "minReadySeconds", "spec")
    return errors + validate_selector_and_template(spec, owner_kind=owner_kind)


def validate_selector_and_template(spec: dict, *, owner_kind: str) -> list[FieldError]:
    """The selector checks every apps/v1 workload shares (a Deployment's too)."""
    selector = spec.get("selector")
    if selector is None:
        errors = [required("spec.selector")]
    else:
        selector_errors = label_selectors.validate_label_selector(selector, "spec.selector")
        errors = list(selector_errors)
        if isinstance(selector, dict) and label_selectors.is_empty(selector):
            errors.append(invalid("spec.selector", label_selector(selector), EMPTY_SELECTOR))
        if selector_errors:
            # LabelSelectorAsSelector fails on what validation refused; the template
            # is then left unchecked.
            return errors + [invalid("spec.selector", label_selector(selector), INVALID_SELECTOR)]
    template = spec.get("template")
    template_labels = mapping(mapping(template).get("metadata")).get("labels")
    # A missing selector selects nothing, so no template matches it; an empty one is
    # already refused above and is not checked against the labels.
    matches = (selector is not None and label_selectors.is_empty(selector)) or (
        label_selectors.selector_matches(selector, template_labels)
    )
    return errors + pod_templates.validate_replicated_template(
        template, selector_matches=matches, owner_kind=owner_kind
    )


def validate_immutable_selector(spec: dict, old_spec: dict) -> list[FieldError]:
    """apps/v1 forbids changing the selector (the strategy's ValidateUpdate): the pods the
    old one picked would be orphaned, or adopted by mistake."""
    selector, old_selector = spec.get("selector"), old_spec.get("selector")
    if replicas.semantically_equal(selector, old_selector):
        return []
    shown = label_selector(selector) if selector is not None else None
    return [invalid("spec.selector", shown, FIELD_IMMUTABLE)]


RESOURCE = ResourceType(
    name="replicasets",
    singular="replicaset",
    kind="ReplicaSet",
    group="apps",
    version="v1",
    namespaced=True,
    validate=validate,
    default=default,
    default_decoded=default_decoded,
    validate_status=replicas.validate_status,
    generation_changed=replicas.spec_changed,
    # Upstream's status strategy resets only spec.
    status_metadata=("labels", "annotations"),
    short_names=("rs",),
    categories=("all",),
    subresources=("status", "scale"),
)
