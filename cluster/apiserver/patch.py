"""Patches the API server accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
strategic merge patch (strategic_merge)."""

from __future__ import annotations

import copy

import jsonpatch

from cluster.apiserver.decoding import json_type
from cluster.apiserver.errors import ApiError, bad_request, unsupported_media_type
from cluster.apiserver.strategic_merge import StrategicMergeError, strategic_merge

MERGE = "application/merge-patch+json"
JSON = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
PATCH_TYPES = {
    "merge": MERGE,
    "json": JSON,
    "strategic": STRATEGIC,
    MERGE: MERGE,
    JSON: JSON,
    STRATEGIC: STRATEGIC,
}


def merge_patch(target: object, patch: object) -> object:
    """RFC 7386: objects merge key by key, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply_patch(obj: dict, patch: object, patch_type: str) -> dict:
    kind = PATCH_TYPES.get(patch_type)
    if kind is None:
        raise unsupported_media_type(patch_type)
    if kind == MERGE:
        if not isinstance(patch, dict):
            raise bad_request("json: cannot unmarshal a merge patch that is not a JSON object")
        patched = merge_patch(obj, patch)
    elif kind == STRATEGIC:
        patched = _strategic_patch(obj, patch)
    else:
        if not isinstance(patch, list):
            raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        try:
            patched = jsonpatch.JsonPatch(patch).apply(obj)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as e:
            raise ApiError(
                422,
                "Invalid",
                f"the server rejected our request due to an error in our request: {e}",
            ) from e
    if not isinstance(patched, dict):
        raise bad_request("the patch does not leave an object")
    return patched


def _strategic_patch(obj: dict, patch: object) -> dict:
    """The object's kind says which lists merge, and by which key."""
    if not isinstance(patch, dict):
        # Upstream decodes the patch into a map first, with Go's wording for anything else.
        raise bad_request(
            f"json: cannot unmarshal {json_type(patch)} into Go value of type"
            " map[string]interface {}"
        )
    try:
        return strategic_merge(obj, patch, str(obj.get("kind", "")))
    except StrategicMergeError as e:
        if e.malformed:
            raise bad_request(str(e)) from e
        # Upstream answers most of these as an error that is no Status (a 500); a patch
        # the server cannot apply is the client's to fix, so Podlab says 422.
        raise ApiError(422, "Invalid", str(e)) from e
