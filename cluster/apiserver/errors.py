"""API errors as Kubernetes Status objects, with upstream reasons, codes and wording."""

from __future__ import annotations

from cluster.resources.field_errors import FieldError
from cluster.resources.types import ResourceType


class ApiError(Exception):
    """A failed request. `status()` is the body the API answers with."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict | None = None,
        *,
        stage: str = "",
    ):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}
        # The pipeline stage that refused, when its code does not tell (ApiServer._serve).
        self.stage = stage

    def status(self) -> dict:
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if not self.reason:  # upstream's StatusReasonUnknown: omitted, as its JSON omits it
            del body["reason"]
        if self.details:
            body["details"] = self.details
        return body


def _details(rt: ResourceType, name: str) -> dict:
    details = {"name": name, "kind": rt.name} if name else {"kind": rt.name}
    if rt.group:
        details["group"] = rt.group
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{rt.group_resource} "{name}" not found', _details(rt, name))


def unknown_resource() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def already_exists(rt: ResourceType, name: str) -> ApiError:
    return ApiError(
        409, "AlreadyExists", f'{rt.group_resource} "{name}" already exists', _details(rt, name)
    )


def conflict(rt: ResourceType, name: str, why: str = "") -> ApiError:
    why = why or (
        "the object has been modified; please apply your changes to the latest version"
        " and try again"
    )
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {rt.group_resource} "{name}": {why}',
        _details(rt, name),
    )


def invalid(rt: ResourceType, name: str, errors: list[FieldError]) -> ApiError:
    messages = [e.message for e in errors]
    summary = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
    details = {"name": name, "kind": rt.kind, "causes": [e.as_cause() for e in errors]}
    if rt.group:
        details["group"] = rt.group
    # Upstream names the kind with its group: `Deployment.apps "web" is invalid: ...`.
    kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {summary}', details)


def forbidden(rt: ResourceType, name: str, message: str) -> ApiError:
    target = f'{rt.group_resource} "{name}"' if name else rt.group_resource
    return ApiError(403, "Forbidden", f"{target} is forbidden: {message}", _details(rt, name))


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def expired(requested: int, oldest: int) -> ApiError:
    return ApiError(410, "Expired", f"too old resource version: {requested} ({oldest})")


def too_large(limit: int) -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def too_many_requests(retry_after: int) -> ApiError:
    """Upstream's max-in-flight answer (apierrors.NewTooManyRequests): try again in
    retry_after seconds, which HTTP answers also carry as Retry-After."""
    return ApiError(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.",
        {"retryAfterSeconds": retry_after},
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed(rt: ResourceType, verb: str) -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        _details(rt, "") | {"verb": verb},
    )


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include:"
        " application/json-patch+json, application/merge-patch+json,"
        f' application/strategic-merge-patch+json; got "{content_type}"',
    )


def namespace_terminating(rt: ResourceType, name: str, namespace: str) -> ApiError:
    """NamespaceLifecycle admission's answer to a create in a Terminating namespace."""
    error = forbidden(
        rt,
        name,
        f"unable to create new content in namespace {namespace} because it is being terminated",
    )
    error.details["causes"] = [
        {
            "reason": "NamespaceTerminating",
            "message": f"namespace {namespace} is being terminated",
            "field": "metadata.namespace",
        }
    ]
    return error


def invalid_delete_options(errors: list[FieldError]) -> ApiError:
    return invalid_options("DeleteOptions", errors)


def invalid_options(kind: str, errors: list[FieldError]) -> ApiError:
    """A request's options that do not validate (CreateOptions, PatchOptions,
    DeleteOptions...), as upstream's handlers name them: the kind, of group meta.k8s.io,
    with no name."""
    messages = [e.message for e in errors]
    summary = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
    details = {"group": "meta.k8s.io", "kind": kind, "causes": [e.as_cause() for e in errors]}
    return ApiError(422, "Invalid", f'{kind}.meta.k8s.io "" is invalid: {summary}', details)


def apply_conflict(message: str, causes: list[dict]) -> ApiError:
    """A server-side apply that would change fields another manager owns (upstream's
    NewApplyConflict: a 409 Conflict with one FieldManagerConflict cause per field)."""
    return ApiError(409, "Conflict", message, {"causes": causes}, stage="admission")
