"""The scale subresource: a workload's replicas seen as an autoscaling/v1 Scale.

`kubectl scale` and autoscalers read and write only this small object, whatever
the workload's kind. Reading builds it from the object (upstream's
scaleFromReplicaSet, scaleFromDeployment, scaleFromRC); writing checks it
(ValidateScale) and moves spec.replicas back into the object, which is then
updated like any other update, so its generation moves on.
"""

from __future__ import annotations

from cluster.apiserver import decoding, errors
from cluster.resources.field_errors import FieldError, invalid
from cluster.resources.label_selectors import selector_string, set_selector_string
from cluster.resources.meta import (
    IS_NEGATIVE,
    dns1123_subdomain_errors,
    is_integer,
    mapping,
    validate_object_meta,
)
from cluster.resources.replicas import MAX_INT32
from cluster.resources.types import ResourceType

API_VERSION, KIND = "autoscaling/v1", "Scale"
# For errors about a Scale: upstream names it "Scale.autoscaling".
SCALE = ResourceType(
    name="scales",
    singular="scale",
    kind=KIND,
    group="autoscaling",
    version="v1",
    namespaced=True,
    validate=lambda obj, old: [],
)


def scale_of(rt: ResourceType, obj: dict) -> dict:
    """The Scale of a stored workload (with its resourceVersion), as upstream builds it."""
    meta, spec = obj["metadata"], mapping(obj.get("spec"))
    status = mapping(obj.get("status"))
    scale_meta = {
        key: meta[key]
        for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if key in meta
    }
    scale_spec = {}
    if spec.get("replicas"):  # autoscaling/v1 omits a zero spec.replicas
        scale_spec["replicas"] = spec["replicas"]
    scale_status: dict = {"replicas": status.get("replicas") or 0}
    if selector := _selector_text(rt, spec.get("selector")):
        scale_status["selector"] = selector
    return {
        "kind": KIND,
        "apiVersion": API_VERSION,
        "metadata": scale_meta,
        "spec": scale_spec,
        "status": scale_status,
    }


def _selector_text(rt: ResourceType, selector: object) -> str:
    # A ReplicationController's selector is a plain map; the apps kinds' a LabelSelector.
    if rt.kind == "ReplicationController":
        return set_selector_string(selector)
    return selector_string(mapping(selector))


def decode_scale(body: object) -> dict:
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request must be a Scale object")
    decoding.check_body(SCALE, body)
    if (error := decoding.type_meta_error(body)) is not None:
        raise error
    decoding.check_object_meta(SCALE, body)
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if api_version and api_version != API_VERSION:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API"
            f" version ({API_VERSION})"
        )
    if kind and kind != KIND:
        raise errors.bad_request(
            f"the kind in the data ({kind}) does not match the expected kind ({KIND})"
        )
    return body


def validate_scale(scale: dict, *, namespace: str) -> list[FieldError]:
    """Upstream's ValidateScale: a Scale's metadata, and replicas that are not negative."""
    scale = {**scale, "metadata": {"namespace": namespace, **mapping(scale.get("metadata"))}}
    problems = validate_object_meta(scale, namespaced=True, name_validator=dns1123_subdomain_errors)
    replicas = mapping(scale.get("spec")).get("replicas", 0)
    if not is_integer(replicas):
        problems.append(invalid("spec.replicas", replicas, "must be an integer"))  # ours
    elif replicas < 0:
        problems.append(invalid("spec.replicas", replicas, IS_NEGATIVE))
    elif replicas > MAX_INT32:  # ours: an int32, which upstream's decoder enforces
        problems.append(
            invalid("spec.replicas", replicas, f"must be between 0 and {MAX_INT32}, inclusive")
        )
    return problems


def replicas_of(scale: dict) -> int:
    """The replicas a valid Scale asks for (absent is autoscaling/v1's omitted zero)."""
    return mapping(scale.get("spec")).get("replicas", 0)


def uid_conflict(rt: ResourceType, name: str, scale: dict, uid: str) -> errors.ApiError | None:
    """A Scale naming another uid is a precondition that failed (the object was replaced)."""
    want = mapping(scale.get("metadata")).get("uid")
    if not want or want == uid:
        return None
    resource = f"{rt.name}/scale.{rt.group}" if rt.group else f"{rt.name}/scale"
    return errors.ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource} "{name}": Precondition failed:'
        f" UID in precondition: {want}, UID in object meta: {uid}",
        {"name": name, "kind": f"{rt.name}/scale", **({"group": rt.group} if rt.group else {})},
    )
