"""core/v1 Namespace: a cluster-scoped name that namespaced objects live under."""

from __future__ import annotations

from cluster.resources.field_errors import FieldError, invalid
from cluster.resources.meta import (
    child_mapping,
    dns1123_label_errors,
    mapping,
    validate_finalizers,
    validate_immutable_meta,
    validate_object_meta,
)
from cluster.resources.types import ResourceType

NAME_LABEL = "kubernetes.io/metadata.name"
KUBERNETES_FINALIZER = "kubernetes"
ONLY_ACTIVE_WHILE_NOT_DELETED = "may only be 'Active' if `deletionTimestamp` is empty"
ONLY_TERMINATING_WHILE_DELETED = "may only be 'Terminating' if `deletionTimestamp` is not empty"


def default(namespace: dict) -> None:
    """As upstream's namespace strategy does on create."""
    metadata = child_mapping(namespace, "metadata")
    name = metadata.get("name") if metadata is not None else None
    labels = child_mapping(metadata, "labels") if metadata is not None else None
    if labels is not None and isinstance(name, str) and name:
        # Upstream always (re)sets this label, so selectors can pick namespaces by name.
        labels[NAME_LABEL] = name
    spec = child_mapping(namespace, "spec")
    finalizers = spec.setdefault("finalizers", []) if spec is not None else None
    if isinstance(finalizers, list) and KUBERNETES_FINALIZER not in finalizers:
        # The namespace controller removes it once everything inside is deleted.
        finalizers.append(KUBERNETES_FINALIZER)
    namespace["status"] = {"phase": "Active"}


def validate(namespace: dict, old: dict | None) -> list[FieldError]:
    errors = [] if old is None else validate_immutable_meta(namespace, old)
    errors += validate_object_meta(namespace, namespaced=False, name_validator=dns1123_label_errors)
    spec = mapping(namespace.get("spec"))
    errors += validate_finalizers(spec.get("finalizers"), "spec.finalizers", indexed=False)
    return errors


def validate_status(namespace: dict, old: dict) -> list[FieldError]:
    """The phase follows deletion: Active until deletionTimestamp is set, then Terminating."""
    errors = validate_immutable_meta(namespace, old)
    phase = mapping(namespace.get("status")).get("phase") or ""
    deleting = bool(mapping(namespace.get("metadata")).get("deletionTimestamp"))
    # Upstream's path really is "status.Phase", capital P.
    if not deleting and phase != "Active":
        errors.append(invalid("status.Phase", phase, ONLY_ACTIVE_WHILE_NOT_DELETED))
    elif deleting and phase != "Terminating":
        errors.append(invalid("status.Phase", phase, ONLY_TERMINATING_WHILE_DELETED))
    return errors


RESOURCE = ResourceType(
    name="namespaces",
    singular="namespace",
    kind="Namespace",
    group="",
    version="v1",
    namespaced=False,
    validate=validate,
    default=default,
    validate_status=validate_status,
    short_names=("ns",),
    # finalize: where the namespace controller removes its "kubernetes" finalizer.
    subresources=("status", "finalize"),
)
