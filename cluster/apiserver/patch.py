"""Patches the API server accepts: JSON merge patch (RFC 7386) and JSON patch (RFC 6902)."""

from __future__ import annotations

import copy

import jsonpatch

from cluster.apiserver.errors import ApiError, bad_request, unsupported_media_type

MERGE = "application/merge-patch+json"
JSON = "application/json-patch+json"
PATCH_TYPES = {"merge": MERGE, "json": JSON, MERGE: MERGE, JSON: JSON}


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
