"""coordination.k8s.io/v1 Lease: the heartbeat each kubelet renews in kube-node-lease."""

from __future__ import annotations

import re
from datetime import datetime

from cluster.resources.field_errors import FieldError, invalid
from cluster.resources.meta import (
    IS_NEGATIVE,
    dns1123_subdomain_errors,
    is_integer,
    mapping,
    string_type_errors,
    validate_immutable_meta,
    validate_object_meta,
)
from cluster.resources.types import ResourceType

# RFC 3339 with a zone. Upstream's MicroTime wants exactly six fractional digits;
# we accept any number (or none), since Python's isoformat() drops ".000000".
_MICRO_TIME = re.compile(
    r"(?P<seconds>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(?P<zone>Z|[+-]\d{2}:\d{2})"
)
IS_NOT_POSITIVE = "must be greater than 0"
NOT_A_MICRO_TIME = "must be an RFC 3339 time, e.g. '2025-01-02T15:04:05.000000Z'"  # ours


def validate(lease: dict, old: dict | None) -> list[FieldError]:
    errors = [] if old is None else validate_immutable_meta(lease, old)
    errors += validate_object_meta(lease, namespaced=True, name_validator=dns1123_subdomain_errors)
    spec = mapping(lease.get("spec"))
    errors += string_type_errors(spec, ("holderIdentity",), "spec")
    errors += _validate_count(spec, "leaseDurationSeconds", minimum=1, detail=IS_NOT_POSITIVE)
    errors += _validate_count(spec, "leaseTransitions", minimum=0, detail=IS_NEGATIVE)
    for key in ("acquireTime", "renewTime"):
        if spec.get(key) is not None and not is_micro_time(spec[key]):
            errors.append(invalid(f"spec.{key}", spec[key], NOT_A_MICRO_TIME))
    return errors


def _validate_count(spec: dict, key: str, *, minimum: int, detail: str) -> list[FieldError]:
    value = spec.get(key)
    if value is None:
        return []
    if not is_integer(value):
        return [invalid(f"spec.{key}", value, "must be an integer")]  # ours
    return [invalid(f"spec.{key}", value, detail)] if value < minimum else []


def is_micro_time(value: object) -> bool:
    match = _MICRO_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return False
    # The shape is right; parsing also rejects a 13th month or a 25th hour.
    zone = "+00:00" if match["zone"] == "Z" else match["zone"]
    try:
        datetime.fromisoformat(match["seconds"] + zone)
    except ValueError:
        return False
    return True


RESOURCE = ResourceType(
    name="leases",
    singular="lease",
    kind="Lease",
    group="coordination.k8s.io",
    version="v1",
    namespaced=True,
    validate=validate,
    has_status=False,
)
