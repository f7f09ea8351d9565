"""Strategic merge patch: what kubectl sends for apply, edit, set image, taint and cordon,
and the Python client for a dict body. The server half of upstream's
k8s.io/apimachinery/pkg/util/strategicpatch, on plain JSON values.

A JSON merge patch replaces a list whole. This one knows, from the API types' tags
(MERGE_KEYS), which lists merge: a container in the patch updates the container of the
same name and leaves the others be. Null deletes a key; `$patch: delete` deletes a map
(upstream leaves `{}`, which its typed objects omit) or a merging list's element.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

PATCH = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"

# patchStrategy "merge" with no patchMergeKey: a set of primitives (finalizers).
MERGE_PRIMITIVES = ""

# The merge keys of core/v1 and apps/v1 types.go (and kubectl 1.32's compiled-in tags).
# A list not named here is replaced whole, as upstream: tolerations, taints, readinessGates,
# containerStatuses, a namespace's spec.finalizers, Endpoints' subsets, EndpointSlices'
# endpoints. Deployment's spec.strategy is "retainKeys", which only tells a client to
# send `$retainKeys`; the server applies that directive wherever it finds it.
_OBJECT_META = {"finalizers": MERGE_PRIMITIVES, "ownerReferences": "uid"}
_CONTAINER = {
    "ports": "containerPort",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
}
_POD_SPEC = {
    **dict.fromkeys(["containers", "initContainers", "ephemeralContainers", "volumes"], "name"),
    **dict.fromkeys(["imagePullSecrets", "schedulingGates", "resourceClaims"], "name"),
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}
_CONDITIONS = {"status.conditions": "type"}


def _under(prefix: str, fields: Mapping[str, str]) -> dict[str, str]:
    return {f"{prefix}.{path}": merge_key for path, merge_key in fields.items()}


def _pod_spec(prefix: str) -> dict[str, str]:
    fields = _under(prefix, _POD_SPEC)
    for containers in ("containers", "initContainers", "ephemeralContainers"):
        fields |= _under(f"{prefix}.{containers}[]", _CONTAINER)
    return fields


_WORKLOAD = (
    _under("spec.template.metadata", _OBJECT_META) | _pod_spec("spec.template.spec") | _CONDITIONS
)
_POD_STATUS = {"status.resourceClaimStatuses": "name"} | _CONDITIONS
_POD_IPS = dict.fromkeys(["status.podIPs", "status.hostIPs"], "ip")
MERGE_KEYS: dict[str, dict[str, str]] = {
    kind: _under("metadata", _OBJECT_META) | fields
    for kind, fields in {
        "Pod": _pod_spec("spec") | _POD_IPS | _POD_STATUS,
        "Node": {"spec.podCIDRs": MERGE_PRIMITIVES, "status.addresses": "type"} | _CONDITIONS,
        "Service": {"spec.ports": "port"} | _CONDITIONS,
        "Namespace": _CONDITIONS,
        "ReplicaSet": _WORKLOAD,
        "Deployment": _WORKLOAD,
        "ReplicationController": _WORKLOAD,
        **dict.fromkeys(["Endpoints", "EndpointSlice", "Event", "Lease"], {}),  # metadata's only
    }.items()
}


class StrategicMergeError(ValueError):
    """A patch that cannot be applied, worded as upstream's. `malformed` marks the
    directives upstream answers 400 BadRequest (interpretStrategicMergePatchError)."""

    def __init__(self, message: str, *, malformed: bool = False) -> None:
        super().__init__(message)
        self.malformed = malformed


ABSENT = object()  # a key the map does not have (None is JSON's null)


def strategic_merge(original: dict, patch: dict, kind: str) -> dict:
    """original with patch merged in; neither is changed. A kind not in MERGE_KEYS has no
    merging lists: every list in its patch replaces the one it has, as in a merge patch."""
    merger = _Merger(MERGE_KEYS.get(kind, {}))
    return merger.merge_map(copy.deepcopy(original), patch, "") or {}


class _Merger:
    def __init__(self, merge_keys: Mapping[str, str]) -> None:
        self.merge_keys = merge_keys

    def merge_map(self, original: dict, patch: dict, path: str) -> dict | None:
        """original (ours to change) with patch merged in; None for `$patch: delete`."""
        if PATCH in patch:
            directive = patch[PATCH]
            if directive == "delete":
                return None
            if directive == "replace":
                return self.merge_map({}, {k: v for k, v in patch.items() if k != PATCH}, path)
            raise _unknown_patch_type(directive, patch)
        if RETAIN_KEYS in patch:
            _retain_keys(original, patch)
        ordered = self._merge_ordered_lists(original, patch, path)
        deletions: list[tuple[str, object]] = []
        for key, value in patch.items():
            if key in ordered or key == RETAIN_KEYS or key.startswith(SET_ELEMENT_ORDER):
                continue
            if key.startswith(DELETE_FROM_PRIMITIVE_LIST):
                deletions.append((_field_of(key, DELETE_FROM_PRIMITIVE_LIST), value))
            elif value is None:
                original.pop(key, None)
            else:
                merged = self._merge_value(original.get(key, ABSENT), value, _child(path, key))
                if merged is ABSENT:
                    original.pop(key, None)
                else:
                    original[key] = merged
        # After the additions: kubectl never sends a value in both, and Go's map order
        # leaves upstream's choice unspecified.
        for field, doomed in deletions:
            current = original.get(field)
            if isinstance(current, list) and isinstance(doomed, list):
                original[field] = [item for item in current if not _contains(doomed, item)]
        return original

    def _merge_value(self, current: object, value: object, path: str) -> object:
        if isinstance(value, dict):
            base = current if isinstance(current, dict) else {}
            merged = self.merge_map(base, value, path)
            return ABSENT if merged is None else merged
        if isinstance(value, list):
            if isinstance(current, list):
                return self._merge_list(current, value, path)
            return self._fresh_list(value, path)
        return value

    def _fresh_list(self, items: list, path: str) -> list:
        """A list with nothing to merge into, its directives spent: an element that
        carries one is dropped (upstream's removeDirectives), nulls in maps go."""
        fresh = []
        for item in items:
            if isinstance(item, dict):
                if PATCH in item:
                    continue
                item = self.merge_map({}, item, f"{path}[]")
            elif isinstance(item, list):
                item = self._fresh_list(item, f"{path}[]")
            fresh.append(item)
        return fresh

    def _merge_list(self, current: list, patch: list, path: str) -> list:
        merge_key = self.merge_keys.get(path)
        if merge_key is None:
            return self._fresh_list(patch, path)
        element_type = _element_type(current, patch)
        if element_type is None:
            return current
        if merge_key == MERGE_PRIMITIVES:
            if element_type == _MAP:
                raise StrategicMergeError("cannot merge lists without merge key for type string")
            return _ordered(_unique(current + patch), patch, current, MERGE_PRIMITIVES)
        if element_type != _MAP:
            raise StrategicMergeError(_expected(_MAP, (current + patch)[0]))
        return self._merge_by_key(current, patch, merge_key, path)

    def _merge_by_key(self, current: list, patch: list, merge_key: str, path: str) -> list:
        kept, updates, replace = current, [], False
        for item in patch:
            directive = item.get(PATCH, ABSENT)
            if directive is ABSENT:
                updates.append(item)
            elif directive == "delete":
                _require_merge_keys([item], merge_key)
                kept = [e for e in kept if not _same(e.get(merge_key, ABSENT), item[merge_key])]
            elif directive == "replace":
                replace = True
            elif directive == "merge":
                raise StrategicMergeError("merging lists cannot yet be specified in the patch")
            else:
                raise _unknown_patch_type(directive, item)
        if replace:
            return self._fresh_list(updates, path)
        merged = list(kept)
        for item in updates:  # none carries `$patch`, so merge_map gives a map
            _require_merge_keys([item], merge_key)
            if (at := _index(merged, item, merge_key)) is None:
                merged.append(self.merge_map({}, item, f"{path}[]") or {})
            else:
                merged[at] = self.merge_map(merged[at], item, f"{path}[]") or {}
        return _ordered(merged, updates, kept, merge_key)

    def _merge_ordered_lists(self, original: dict, patch: dict, path: str) -> set[str]:
        """Merges each list a `$setElementOrder/<field>` names, in that order; the fields
        merged, so that they are not merged again."""
        merged_fields = set()
        for directive, order in patch.items():
            if not directive.startswith(SET_ELEMENT_ORDER):
                continue
            field = _field_of(directive, SET_ELEMENT_ORDER)
            field_path = _child(path, field)
            merge_key = self.merge_keys.get(field_path)
            if merge_key is None:
                continue  # not a merging list: the patch's list replaces, in its own order
            current, given = original.get(field, ABSENT), patch.get(field, ABSENT)
            for value in (order, current, given):
                if value is not ABSENT and not isinstance(value, list):
                    raise StrategicMergeError(_expected("[]interface {}", value))
            if merge_key:
                _require_merge_keys(order, merge_key)
            if isinstance(given, list):
                _check_order(given, order, merge_key)
            if current is ABSENT and given is ABSENT:
                continue
            merged = current if given is ABSENT else self._merge_value(current, given, field_path)
            if merge_key:
                _require_merge_keys(merged, merge_key)
            server_order = current if isinstance(current, list) else []
            original[field] = _ordered(merged, order, server_order, merge_key)
            merged_fields.add(field)
        return merged_fields


def _ordered(merged: list, patch_order: list, server_order: list, merge_key: str) -> list:
    """The merged list in upstream's order (normalizeElementOrder): the elements the patch
    names in the patch's order, the others in the server's, the two interleaved where the
    server's order relates them; a new element comes before the server's that follow it."""
    named = [e for e in merged if _index(patch_order, e, merge_key) is not None]
    others = [e for e in merged if _index(patch_order, e, merge_key) is None]
    named.sort(key=lambda e: _index(patch_order, e, merge_key))
    end = len(server_order)
    others.sort(key=lambda e: at if (at := _index(server_order, e, merge_key)) is not None else end)
    result: list = []
    while others or named:
        take_other = not named
        if others and named:
            other_at = _index(server_order, others[0], merge_key)
            named_at = _index(server_order, named[0], merge_key)
            take_other = other_at is not None and named_at is not None and other_at < named_at
        result.append((others if take_other else named).pop(0))
    return result


def _check_order(patch_list: list, order: list, merge_key: str) -> None:
    """Upstream's validatePatchWithSetOrderList: the patch's elements (directives aside)
    come in the order `$setElementOrder` gives them."""
    position = 0
    for item in patch_list:
        if isinstance(item, dict) and PATCH in item:
            continue
        while position < len(order) and not _same_element(item, order[position], merge_key):
            position += 1
        if position == len(order):
            raise StrategicMergeError(
                f"the order in patch list:\n{_go(patch_list)}\n doesn't match"
                f" {SET_ELEMENT_ORDER} list:\n{_go(order)}"
            )
        position += 1


def _retain_keys(original: dict, patch: dict) -> None:
    """`$retainKeys`: the map keeps only the keys listed, and the patch may set no other."""
    retained = patch[RETAIN_KEYS]
    malformed = StrategicMergeError("invalid patch format of retainKeys", malformed=True)
    if not isinstance(retained, list):
        raise malformed
    for key, value in patch.items():
        directive = key.startswith((RETAIN_KEYS, SET_ELEMENT_ORDER, DELETE_FROM_PRIMITIVE_LIST))
        if value is not None and not directive and not _contains(retained, key):
            raise malformed
    for key in [key for key in original if not _contains(retained, key)]:
        del original[key]


def _field_of(directive: str, prefix: str) -> str:
    """The list a `<prefix>/<field>` directive is about."""
    head, slash, field = directive.partition("/")
    if head != prefix or not slash:
        what = "primitive list" if prefix == DELETE_FROM_PRIMITIVE_LIST else "setElementOrder list"
        raise StrategicMergeError(f"invalid patch format of {what}", malformed=True)
    return field


_MAP = "map[string]interface {}"


def _child(path: str, key: str) -> str:
    """A field's path, as MERGE_KEYS spells it."""
    return f"{path}.{key}" if path else key


def _go_type(value: object) -> str:
    """A JSON value's Go type, as upstream's messages name it (every number is a float64)."""
    go_types = {
        dict: _MAP,
        list: "[]interface {}",
        type(None): "<nil>",
        bool: "bool",
        str: "string",
    }
    return go_types.get(type(value), "float64")


def _go(value: object) -> str:
    """A JSON value as Go's %v prints it."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{_go(item)}" for key, item in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go(item) for item in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def _unknown_patch_type(directive: object, where: dict) -> StrategicMergeError:
    return StrategicMergeError(f"unknown patch type: {_go(directive)} in map: {_go(where)}")


def _expected(go_type: str, value: object) -> str:
    return f"expected a {go_type}, but received a {_go_type(value)}"


def _element_type(*lists: list) -> str | None:
    """The one Go type of the lists' elements (upstream's sliceElementType); None if empty."""
    types = {_go_type(item) for items in lists for item in items}
    if "[]interface {}" in types:
        raise StrategicMergeError("lists of lists are not supported")
    if len(types) > 1:
        listed = " ".join(_go(items) for items in lists)
        raise StrategicMergeError(f"list element types are not identical: [{listed}]")
    return types.pop() if types else None


def _require_merge_keys(items: list, merge_key: str) -> None:
    for item in items:
        if not isinstance(item, dict):
            raise StrategicMergeError(_expected(_MAP, item))
        if merge_key not in item:
            raise StrategicMergeError(
                f"map: {_go(item)} does not contain declared merge key: {merge_key}"
            )


def _same(left: object, right: object) -> bool:
    """Go's == on two JSON values: of one type, and equal (True is no 1 there)."""
    if left is ABSENT or right is ABSENT:
        return left is right
    return _go_type(left) == _go_type(right) and left == right


def _same_element(left: object, right: object, merge_key: str) -> bool:
    """Two list elements are the same one: by merge key, or by value for primitives."""
    if not merge_key:
        return _same(left, right)
    left_key = left.get(merge_key, ABSENT) if isinstance(left, dict) else ABSENT
    right_key = right.get(merge_key, ABSENT) if isinstance(right, dict) else ABSENT
    return _same(left_key, right_key)


def _index(items: list, element: object, merge_key: str) -> int | None:
    return next(
        (at for at, item in enumerate(items) if _same_element(item, element, merge_key)), None
    )


def _contains(items: list, value: object) -> bool:
    return any(_same(item, value) for item in items)


def _unique(items: list) -> list:
    return [item for at, item in enumerate(items) if not _contains(items[:at], item)]
