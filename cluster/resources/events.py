"""core/v1 Event: a note about an object ("Scheduled", "BackOff"), shown by kubectl describe."""

from __future__ import annotations

from cluster.resources.field_errors import FieldError, invalid, required
from cluster.resources.meta import (
    dns1123_subdomain_errors,
    mapping,
    string_type_errors,
    validate_immutable_meta,
    validate_object_meta,
)
from cluster.resources.types import ResourceType

EVENT_TYPES = ("Normal", "Warning")
NAMESPACE_MISMATCH = "does not match event.namespace"


def validate(event: dict, old: dict | None) -> list[FieldError]:
    """Upstream checks core/v1 Events loosely; we ask for what `kubectl describe` and the
    Python client need (involvedObject, reason, message) and a known type."""
    errors = [] if old is None else validate_immutable_meta(event, old)
    errors += validate_object_meta(event, namespaced=True, name_validator=dns1123_subdomain_errors)
    errors += _validate_involved_object(event)
    errors += string_type_errors(event, ("type", "reason", "message"), "")
    event_type = event.get("type")
    if event_type and event_type not in EVENT_TYPES:
        # Upstream's own (odd) wording from its strict events.k8s.io validation.
        errors.append(invalid("type", "", f"has invalid value: {event_type}"))
    if not event.get("reason"):
        errors.append(required("reason"))
    if not event.get("message"):
        errors.append(required("message"))  # ours: upstream allows an empty note
    return errors


def _validate_involved_object(event: dict) -> list[FieldError]:
    involved = event.get("involvedObject")
    if not isinstance(involved, dict) or not involved:
        return [required("involvedObject")]  # ours: the Python client requires it
    # Upstream also ties an empty involvedObject.namespace to "default"; we only
    # catch an event filed in one namespace about an object in another.
    involved_namespace = involved.get("namespace")
    event_namespace = mapping(event.get("metadata")).get("namespace")
    if involved_namespace and involved_namespace != event_namespace:
        return [invalid("involvedObject.namespace", involved_namespace, NAMESPACE_MISMATCH)]
    return []


RESOURCE = ResourceType(
    name="events",
    singular="event",
    kind="Event",
    group="",
    version="v1",
    namespaced=True,
    validate=validate,
    short_names=("ev",),
    has_status=False,
)
