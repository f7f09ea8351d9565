"""core/v1 ReplicationController: the ReplicaSet's predecessor, with a map selector.

Upstream keeps its objects under /registry/controllers/. Defaults as upstream's
SetDefaults_ReplicationController (pkg/apis/core/v1/defaults.go): the selector, and
the labels when there are none, are the template's labels. Validation as
ValidateReplicationController, ...Update and ...StatusUpdate (pkg/apis/core/validation).
Unlike apps/v1, its selector may change on update.
"""

from __future__ import annotations

from cluster.resources import label_selectors, pod_templates, replicas
from cluster.resources.field_errors import FieldError, invalid, required
from cluster.resources.meta import (
    NOT_A_STRING_MAP,
    child_mapping,
    dns1123_subdomain_errors,
    mapping,
    validate_immutable_meta,
    validate_object_meta,
)
from cluster.resources.types import ResourceType


def default(controller: dict) -> None:
    """On create: the decode defaults and a fresh status (the strategy's PrepareForCreate)."""
    default_decoded(controller)
    controller["status"] = {"replicas": 0}  # core/v1 always writes status.replicas


def default_decoded(controller: dict) -> None:
    spec = child_mapping(controller, "spec")
    if spec is None:
        return
    template = spec.get("template")
    labels = mapping(template.get("metadata")).get("labels") if isinstance(template, dict) else None
    if isinstance(labels, dict):
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        metadata = child_mapping(controller, "metadata")
        if metadata is not None and not metadata.get("labels"):
            metadata["labels"] = dict(labels)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if isinstance(template, dict):  # a missing template stays missing: validation says so
        pod_templates.default_template(spec)


def validate(controller: dict, old: dict | None) -> list[FieldError]:
    errors = validate_object_meta(
        controller, namespaced=True, name_validator=dns1123_subdomain_errors
    )
    errors += validate_spec(mapping(controller.get("spec")))
    if old is not None:
        errors += validate_immutable_meta(controller, old)
    return errors


def validate_spec(spec: dict) -> list[FieldError]:
    """ValidateReplicationControllerSpec, in upstream's order."""
    errors = replicas.validate_nonnegative(spec, "minReadySeconds", "spec")
    selector = spec.get("selector")
    if selector is not None and not isinstance(selector, dict):
        errors.append(invalid("spec.selector", selector, NOT_A_STRING_MAP))  # ours
        selector = None
    if not selector:
        errors.append(required("spec.selector"))
    errors += replicas.validate_nonnegative(spec, "replicas", "spec")
    template = spec.get("template")
    template_labels = mapping(mapping(template).get("metadata")).get("labels")
    # An empty selector is refused above, and not also checked against the labels.
    matches = not selector or label_selectors.set_selector_matches(selector, template_labels)
    return errors + pod_templates.validate_replicated_template(
        template, selector_matches=matches, owner_kind="ReplicationController"
    )


RESOURCE = ResourceType(
    name="replicationcontrollers",
    singular="replicationcontroller",
    kind="ReplicationController",
    group="",
    version="v1",
    namespaced=True,
    validate=validate,
    default=default,
    default_decoded=default_decoded,
    validate_status=replicas.validate_status,
    generation_changed=replicas.spec_changed,
    # Upstream's status strategy resets only spec.
    status_metadata=("labels", "annotations"),
    store_prefix="controllers",
    short_names=("rc",),
    categories=("all",),
    subresources=("status", "scale"),
)
