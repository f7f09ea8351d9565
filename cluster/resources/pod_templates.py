"""The pod template a ReplicaSet, Deployment or ReplicationController stamps pods from.

Its spec is defaulted as any PodSpec (upstream's SetDefaults_PodSpec runs on
templates too) and validated by the pod validation, with the paths moved under
spec.template.spec, as upstream's ValidatePodTemplateSpec does. Then the rules for
replicated pods: the selector must pick the template's own pods, and those pods
must be restarted forever (ValidatePodTemplateSpecForReplicaSet, ...ForRC).
"""

from __future__ import annotations

from dataclasses import replace

from cluster.resources import pod_validation
from cluster.resources.field_errors import FieldError, forbidden, invalid, not_supported, required
from cluster.resources.go_syntax import labels_map
from cluster.resources.meta import child_mapping, mapping, validate_annotations, validate_labels
from cluster.resources.pods import default_template_pod_spec

SELECTOR_MISMATCH = "`selector` does not match template `labels`"
REPLICATED_RESTART_POLICIES = ["Always"]


def default_template(spec: dict) -> None:
    """Default spec.template.spec in place, creating the template when it is missing."""
    template = child_mapping(spec, "template")
    template_spec = child_mapping(template, "spec") if template is not None else None
    if template_spec is not None:
        default_template_pod_spec(template_spec)


def validate_replicated_template(
    template: object, *, selector_matches: bool, owner_kind: str, path: str = "spec.template"
) -> list[FieldError]:
    """selector_matches: whether the owner's selector picks the template's labels (True
    for an empty selector, which upstream leaves to its own "empty selector" error)."""
    if template is None and owner_kind == "ReplicationController":
        return [required(path)]  # only an RC's template is a pointer that may be nil
    if template is not None and not isinstance(template, dict):
        return [invalid(path, template, "must be an object")]  # ours
    template = template or {}
    metadata = mapping(template.get("metadata"))
    errors = []
    if not selector_matches:
        labels = labels_map(metadata.get("labels"))
        errors.append(invalid(f"{path}.metadata.labels", labels, SELECTOR_MISMATCH))
    errors += validate_pod_template_spec(template, path)
    spec = mapping(template.get("spec"))
    restart_policy = spec.get("restartPolicy") or ""
    if restart_policy not in REPLICATED_RESTART_POLICIES:
        errors.append(
            not_supported(f"{path}.spec.restartPolicy", restart_policy, REPLICATED_RESTART_POLICIES)
        )
    if spec.get("activeDeadlineSeconds") is not None:
        # A Deployment's template is checked as its ReplicaSet's, and says so.
        what = "ReplicationController" if owner_kind == "ReplicationController" else "ReplicaSet"
        errors.append(
            forbidden(
                f"{path}.spec.activeDeadlineSeconds",
                f"activeDeadlineSeconds in {what} is not Supported",
            )
        )
    return errors


def validate_pod_template_spec(template: dict, path: str) -> list[FieldError]:
    """Upstream's ValidatePodTemplateSpec. Its labels and annotations are reported at
    `spec.template.labels`, not `spec.template.metadata.labels`, as upstream does."""
    metadata = mapping(template.get("metadata"))
    errors = validate_labels(metadata.get("labels"), f"{path}.labels")
    errors += validate_annotations(metadata.get("annotations"), f"{path}.annotations")
    spec = template.get("spec")
    if spec is not None and not isinstance(spec, dict):
        return errors + [invalid(f"{path}.spec", spec, "must be an object")]  # ours
    pod_spec_errors = pod_validation.validate_pod_spec(spec or {})
    return errors + [_moved_under(error, f"{path}.spec") for error in pod_spec_errors]


def _moved_under(error: FieldError, spec_path: str) -> FieldError:
    """A pod's "spec.containers[0].image" becomes "spec.template.spec.containers[0].image"."""
    return replace(error, field=spec_path + error.field.removeprefix("spec"))
