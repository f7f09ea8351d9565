"""Decoding a request body, as upstream's JSON serializer does before any handler runs.

kube-apiserver reads a body as JSON into Go structs, and refuses one it cannot read
with 400 BadRequest: an array where a string belongs, a number too big for an int64.
Our bodies arrive as Python values (from the page, the lessons, the components), which
can hold what JSON cannot: keys that are not strings, integers of any size, NaN, dates,
bytes, values nested thousands deep, and one value shared many times over (a YAML
alias) that would expand to gigabytes when written out, far past the 3 MiB of a
request. Each is refused here, before anything is copied, traced or stored, with
upstream's wording where upstream has one.

A refusal carries the field it is about as a cause (ours: upstream's decode errors name
it only in the message), so the page's YAML editor can show it next to that line.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from cluster.apiserver import errors
from cluster.apiserver.errors import ApiError
from cluster.apiserver.limits import MAX_REQUEST_BODY_BYTES
from cluster.resources.types import ResourceType

MIN_INT64, MAX_INT64 = -(2**63), 2**63 - 1
# Ours: no Kubernetes object nests deeper than a few dozen levels, and the store's JSON
# encoder stops at 254; a body deeper than this is refused before anything walks it.
MAX_DEPTH = 100
# The metadata fields the API server itself reads (the key, the trace, generateName):
# each must be a string, as ObjectMeta's Go fields are.
_STRING_META_FIELDS = ("name", "generateName", "namespace", "uid", "resourceVersion")


class BodyProblem(NamedTuple):
    field: str  # the path of the bad value, as a field error names it ("spec.priority")
    detail: str  # what is wrong, in the words of Go's JSON decoder where it has them


def json_type(value: object) -> str:
    """The JSON type of a value as Go's decoder names it in its errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def number_text(value: int) -> str:
    """An integer as an error message may print it: Python refuses str() past 4300 digits,
    and nobody reads a number that long anyway."""
    if value.bit_length() <= 256:
        return str(value)
    return f"{'-' if value < 0 else ''}(a {value.bit_length()}-bit number)"


def child_path(path: str, key: object) -> str:
    """A field path one step down: `spec.containers`, `metadata.labels[app.kubernetes.io/name]`."""
    if not isinstance(key, str):
        return f"{path}[{key}]"
    text = key
    if text and all(c.isalnum() or c in "-_" for c in text) and not text[0].isdigit():
        return f"{path}.{text}" if path else text
    return f"{path}[{text}]"


def body_problem(body: object) -> BodyProblem | None:
    """The first value in body that JSON, or the store, cannot carry; None if there is none.

    Raises 413 RequestEntityTooLarge once the body, written out, would exceed what
    kube-apiserver reads of a request (counting each shared value every time it appears,
    as its JSON would), so an alias bomb is refused after a bounded walk, never expanded.

    Every write's body passes here, so the walk is lean: a value's place is kept as a
    link to its parent's, and spelled out as a field path only for a problem.
    """
    # An explicit stack, not recursion: the body may be nested past Python's limit.
    # Each entry: the value, its place (None at the root, else (parent's place, key)),
    # and its depth.
    stack: list[tuple[object, tuple | None, int]] = [(body, None, 0)]
    size = 0  # a lower bound of the body's size as JSON, in bytes
    while stack:
        value, place, depth = stack.pop()
        if depth > MAX_DEPTH:
            return BodyProblem(_path(place), f"json: exceeded max depth of {MAX_DEPTH}")
        size += 2
        if size > MAX_REQUEST_BODY_BYTES:
            raise errors.too_large(MAX_REQUEST_BODY_BYTES)
        kind = type(value)
        if kind is str:
            size += len(value)
            suspect = not value.isascii() or "\x00" in value
            if suspect and (problem := _string_problem(value)):
                return BodyProblem(_path(place), problem)
        elif kind is dict:
            for key, item in value.items():
                if type(key) is not str:
                    return BodyProblem(
                        _path((place, key)),
                        f"json: object keys must be strings, not {json_type(key)} {key!r}",
                    )
                size += len(key) + 1
                if (not key.isascii() or "\x00" in key) and (problem := _string_problem(key)):
                    return BodyProblem(_path((place, key)), f"{problem} (in a key)")
                stack.append((item, (place, key), depth + 1))
        elif kind is list:
            stack.extend((item, (place, index), depth + 1) for index, item in enumerate(value))
        elif kind is int:
            if not MIN_INT64 <= value <= MAX_INT64:
                return BodyProblem(
                    _path(place),
                    f"json: cannot unmarshal number {number_text(value)} into an int64",
                )
        elif kind is float:
            if not math.isfinite(value):
                return BodyProblem(_path(place), f"json: unsupported value: {_go_float(value)}")
        elif value is not None and kind is not bool:
            # Not one of JSON's types (subclasses of them included: the store's encoder
            # writes exactly these).
            return BodyProblem(_path(place), f"json: unsupported type: {kind.__name__}")
    return None


def _path(place: tuple | None) -> str:
    """A place in the body (body_problem's parent links) as a field path."""
    keys: list[object] = []
    while place is not None:
        place, key = place
        keys.append(key)
    path = ""
    for key in reversed(keys):
        path = child_path(path, key)
    return path


def _string_problem(text: str) -> str:
    """What makes a string one the store cannot keep: a lone surrogate is not Unicode
    (JSON's UTF-8 has no bytes for it), and PostgreSQL's JSON cannot hold NUL."""
    if "\x00" in text:
        return "json: strings may not hold the NUL character (\\u0000)"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "json: invalid UTF-8 in string"
    return ""


def _go_float(value: float) -> str:
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def check_body(rt: ResourceType, body: object) -> None:
    """400 BadRequest for a body JSON cannot carry (body_problem)."""
    if (problem := body_problem(body)) is not None:
        raise cannot_decode(rt, problem)


def check_patch(patch: object) -> None:
    """400 BadRequest for a patch JSON cannot carry, before it is applied."""
    if (problem := body_problem(patch)) is not None:
        where = f" at {problem.field}" if problem.field else ""
        raise errors.bad_request(f"error decoding patch: {problem.detail}{where}")


def type_meta_error(body: dict) -> ApiError | None:
    """apiVersion and kind are read first, to know what the body is (upstream's
    SimpleMetaFactory.Interpret): 400 if either is not a string."""
    for key in ("apiVersion", "kind"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            return ApiError(
                400,
                "BadRequest",
                "couldn't get version/kind; json parse error: json: cannot unmarshal"
                f" {json_type(value)} into Go struct field .{key} of type string",
                _causes(key, "must be a string"),
            )
    return None


def check_type_meta(rt: ResourceType, body: dict) -> None:
    """apiVersion and kind must be strings (type_meta_error), and rt's."""
    if (error := type_meta_error(body)) is not None:
        raise error
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if api_version and api_version != rt.api_version:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API"
            f" version ({rt.api_version})"
        )
    if kind and kind != rt.kind:
        raise errors.bad_request(
            f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
        )


def check_object_meta(rt: ResourceType, body: dict) -> None:
    """metadata must be an object, and the fields the API server reads must be strings."""
    meta = body.get("metadata")
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise cannot_decode(
            rt,
            BodyProblem(
                "metadata",
                f"json: cannot unmarshal {json_type(meta)} into Go struct field"
                f" {rt.kind}.metadata of type v1.ObjectMeta",
            ),
        )
    for key in _STRING_META_FIELDS:
        value = meta.get(key)
        if value is not None and not isinstance(value, str):
            raise cannot_decode(
                rt,
                BodyProblem(
                    f"metadata.{key}",
                    f"json: cannot unmarshal {json_type(value)} into Go struct field"
                    f" ObjectMeta.metadata.{key} of type string",
                ),
            )


def cannot_decode(rt: ResourceType, problem: BodyProblem) -> ApiError:
    """Upstream's answer to a body its decoder refused (transformDecodeError)."""
    where = (
        f" (at {problem.field})" if problem.field and problem.field not in problem.detail else ""
    )
    message = (
        f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}:'
        f" {problem.detail}{where}"
    )
    return ApiError(400, "BadRequest", message, _causes(problem.field, problem.detail))


def _causes(field: str, detail: str) -> dict:
    return {"causes": [{"reason": "FieldValueInvalid", "message": detail, "field": field}]}
