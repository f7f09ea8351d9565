"""Field sets: which fields of an object a manager owns, as `metadata.managedFields` keeps
them (upstream's sigs.k8s.io/structured-merge-diff fieldpath, in its FieldsV1 encoding).

A path is a tuple of FieldsV1 keys, each naming one step into the object:
`f:<field>` a map's field, `k:{"name":"web"}` the item of an associative list with that
key, `v:"x"` the item of a set. A set of paths encodes as a tree,
{"f:metadata": {"f:labels": {"f:app": {}}}}, where a path that is a member and has
members below it carries `".": {}`.

What upstream reads from the OpenAPI schema is read here from strategic_merge's tables:
a list with a merge key is associative, keyed by it alone (upstream keys container ports
by containerPort and protocol, Podlab by containerPort); one with the "" key is a set;
every other list is atomic (owned whole), as is a map named in ATOMIC_MAPS (a label
selector). Any other map is granular: each of its keys is owned apart.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping

from cluster.apiserver.strategic_merge import MERGE_KEYS, MERGE_PRIMITIVES

Path = tuple[str, ...]
FIELD, KEY, VALUE = "f:", "k:", "v:"
ITSELF = "."  # in a FieldsV1 tree: the path above is a member too
ABSENT = object()  # a path the object does not have

# Maps owned whole (upstream's +structType=atomic): a workload's label selector.
ATOMIC_MAPS: dict[str, frozenset[str]] = {
    "Deployment": frozenset({"spec.selector"}),
    "ReplicaSet": frozenset({"spec.selector"}),
}
# Fields no manager owns (upstream's stripMetaManager): the API server sets them, or
# they name the object. A resource's status is not owned through the resource either
# (its status strategy's reset fields).
UNOWNED_METADATA = frozenset(
    {
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "generation",
        "managedFields",
        "resourceVersion",
    }
)


class Schema:
    """What a kind's lists and maps are, by their path ("spec.containers[].ports")."""

    def __init__(self, kind: str) -> None:
        self.merge_keys: Mapping[str, str] = MERGE_KEYS.get(kind, {})
        self.atomic_maps = ATOMIC_MAPS.get(kind, frozenset())

    def list_key(self, schema_path: str) -> str | None:
        """The merge key of an associative list, "" for a set, None for an atomic list."""
        return self.merge_keys.get(schema_path)

    def is_atomic_map(self, schema_path: str) -> bool:
        return schema_path in self.atomic_maps


def child_schema(schema_path: str, key: str) -> str:
    return f"{schema_path}.{key}" if schema_path else key


def item_schema(schema_path: str) -> str:
    return f"{schema_path}[]"


def key_element(merge_key: str, item: dict) -> str:
    return KEY + _json({merge_key: item[merge_key]})


def value_element(value: object) -> str:
    return VALUE + _json(value)


def keyed(items: list, merge_key: str) -> bool:
    """Every item of the list carries its merge key (else it is owned whole)."""
    return all(isinstance(item, dict) and merge_key in item for item in items)


def fields_of(obj: dict, schema: Schema, *, owns_status: bool) -> set[Path]:
    """The fields an applied configuration sets (upstream's ToFieldSet, less the
    fields no manager owns). owns_status: False for a kind whose status is reset by its
    main resource."""
    paths: set[Path] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind") or (key == "status" and not owns_status):
            continue
        if key == "metadata" and isinstance(value, dict):
            owned = {k: v for k, v in value.items() if k not in UNOWNED_METADATA}
            _collect_map(owned, (FIELD + key,), key, schema, paths)
            continue
        _collect_field(value, (FIELD + key,), key, schema, paths)
    return paths


def _collect_map(obj: dict, path: Path, schema_path: str, schema: Schema, out: set[Path]):
    for key, value in obj.items():
        _collect_field(value, (*path, FIELD + key), child_schema(schema_path, key), schema, out)


def _collect_field(value: object, path: Path, schema_path: str, schema: Schema, out: set[Path]):
    if isinstance(value, dict):
        if not value or schema.is_atomic_map(schema_path):
            out.add(path)
        else:
            _collect_map(value, path, schema_path, schema, out)
    elif isinstance(value, list):
        merge_key = schema.list_key(schema_path)
        if merge_key == MERGE_PRIMITIVES:
            out.update((*path, value_element(item)) for item in value)
        elif merge_key is not None and keyed(value, merge_key):
            for item in value:
                item_path = (*path, key_element(merge_key, item))
                out.add(item_path)
                _collect_map(item, item_path, item_schema(schema_path), schema, out)
        else:
            out.add(path)
    else:
        out.add(path)


def to_fields_v1(paths: Iterable[Path]) -> dict:
    """The set as a FieldsV1 tree."""
    tree: dict = {}
    members = set(paths)
    for path in sorted(members):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    for path in members:
        node = _node(tree, path)
        if node:  # a member with members below it
            node[ITSELF] = {}
    return tree


def from_fields_v1(tree: object) -> set[Path]:
    """The set a FieldsV1 tree encodes; what is not a tree of maps encodes nothing."""
    paths: set[Path] = set()

    def walk(node: dict, path: Path) -> None:
        for element, below in node.items():
            if element == ITSELF or not isinstance(below, dict):
                continue
            child = (*path, element)
            if not below or ITSELF in below:
                paths.add(child)
            walk(below, child)

    if isinstance(tree, dict):
        walk(tree, ())
    return paths


def _node(tree: dict, path: Path) -> dict:
    for element in path:
        tree = tree[element]
    return tree


def describe(path: Path) -> str:
    """The path as upstream's messages print it: .spec.containers[name="web"].image."""
    text = []
    for element in path:
        kind, rest = element[:2], element[2:]
        if kind == FIELD:
            text.append(f".{rest}")
        elif kind == KEY:
            key = json.loads(rest)
            text.append("[" + ",".join(f"{k}={_json(v)}" for k, v in key.items()) + "]")
        else:
            text.append(f"[={rest}]")
    return "".join(text)


def lookup(obj: object, path: Path) -> object:
    """The value at path, or ABSENT."""
    for element in path:
        obj = _step(obj, element)
        if obj is ABSENT:
            return ABSENT
    return obj


def remove(obj: dict, path: Path) -> None:
    """Take the value at path out of obj (nothing if it has none), and with it the maps
    and lists that held nothing else: upstream's typed objects omit them once empty."""
    if not path:
        return
    parent = lookup(obj, path[:-1])
    element = path[-1]
    if isinstance(parent, dict) and element.startswith(FIELD):
        parent.pop(element[2:], None)
    elif isinstance(parent, list):
        parent[:] = [item for item in parent if not _is_element(item, element)]
    else:
        return
    if not parent and len(path) > 1:
        remove(obj, path[:-1])


def _step(obj: object, element: str) -> object:
    if element.startswith(FIELD):
        return obj.get(element[2:], ABSENT) if isinstance(obj, dict) else ABSENT
    if isinstance(obj, list):
        return next((item for item in obj if _is_element(item, element)), ABSENT)
    return ABSENT


def _is_element(item: object, element: str) -> bool:
    """The list item is the one a k: or v: element names."""
    wanted = json.loads(element[2:])
    if element.startswith(VALUE):
        return _same(item, wanted)
    if not isinstance(item, dict) or not isinstance(wanted, dict):
        return False
    return all(_same(item.get(key, ABSENT), value) for key, value in wanted.items())


def _same(left: object, right: object) -> bool:
    """JSON equality: of one type and equal (True is no 1)."""
    return type(left) is type(right) and left == right


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def without(obj: dict, paths: Iterable[Path]) -> dict:
    """A copy of obj with the values at paths removed (a list item whole, not its fields
    one by one: without its key it could not be found again)."""
    result = copy.deepcopy(obj)
    doomed = set(paths)
    for path in doomed:
        if not any(path[:end] in doomed for end in range(1, len(path))):
            remove(result, path)
    return result
