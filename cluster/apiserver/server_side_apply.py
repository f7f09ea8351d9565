"""Server-side apply (kubectl apply --server-side; PATCH with Content-Type
application/apply-patch+yaml): the configuration a field manager applies is merged into
the live object, and `metadata.managedFields` records which fields each manager owns.
A pure function of the objects: the API server's apply handler (writes.apply) stores
what it returns, as any update.

As upstream's structured-merge-diff:
- the fields the configuration sets are set; maps merge key by key, associative lists
  item by item (by merge key), sets value by value; anything else is replaced whole
  (managed_fields says which is which);
- fields this manager set in its last apply and sets no more are removed, unless
  another manager owns them too;
- a field another Apply manager owns, which this apply would give another value, is a
  conflict (409, one FieldManagerConflict cause per field), unless force is set: then
  the field becomes this manager's alone;
- an apply that changes nothing leaves the object (and its managers' times) as it was.

A deliberately simplified model, and what it does differently:
- Only Apply managers own fields. Upstream records every write's manager ("kubectl-edit",
  "kube-controller-manager", operation Update), moves a field's ownership to whoever
  changed it last, and an apply conflicts with those writers too. Here other writes own
  nothing: an apply never conflicts with them, and a field another write changed stays
  its applier's (the next apply sets it back without a conflict). Their managedFields
  entries, if a client sent some, are kept as they are and count for nothing.
- The schema is strategic merge's tables (managed_fields), not the OpenAPI's:
  associative lists have one key (container ports by containerPort alone).
- Associative list items a configuration adds come in its order around the ones it
  shares with the live object; upstream interleaves more carefully.
- managedFields sent in a configuration are ignored, as upstream ignores them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from cluster.apiserver import managed_fields
from cluster.apiserver.managed_fields import ABSENT, Path, Schema
from cluster.apiserver.strategic_merge import MERGE_PRIMITIVES

APPLY = "Apply"
FIELDS_V1 = "FieldsV1"


@dataclass(frozen=True)
class Conflict:
    manager: str
    path: Path


class ApplyConflicts(Exception):
    """Fields the apply would change that other managers own, worded as upstream's."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = sorted(
            conflicts, key=lambda c: (c.manager, managed_fields.describe(c.path))
        )
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if len(self.conflicts) == 1:
            (only,) = self.conflicts
            return (
                f"Apply failed with 1 conflict: conflict with {_quoted(only.manager)}:"
                f" {managed_fields.describe(only.path)}"
            )
        lines = []
        for manager in sorted({c.manager for c in self.conflicts}):
            lines.append(f"conflicts with {_quoted(manager)}:")
            lines += [
                f"- {managed_fields.describe(c.path)}"
                for c in self.conflicts
                if c.manager == manager
            ]
        return f"Apply failed with {len(self.conflicts)} conflicts: " + "\n".join(lines)

    @property
    def causes(self) -> list[dict]:
        return [
            {
                "reason": "FieldManagerConflict",
                "message": f"conflict with {_quoted(c.manager)}",
                "field": managed_fields.describe(c.path),
            }
            for c in self.conflicts
        ]


@dataclass(frozen=True)
class Target:
    """What the object is: its kind (for its lists' keys), apiVersion, and whether its
    status is its own subresource's (then no apply through the resource owns it)."""

    kind: str
    api_version: str
    has_status: bool


def apply(
    live: dict | None, config: dict, *, manager: str, force: bool, target: Target, now: str
) -> dict:
    """The object once `manager` has applied `config` to `live` (None: to be created),
    with its managedFields. Raises ApplyConflicts. now: the time to record."""
    schema = Schema(target.kind)
    config = _configuration(config, target)
    applied = managed_fields.fields_of(config, schema, owns_status=not target.has_status)
    if live is None:
        created = copy.deepcopy(config)
        entry = _entry(manager, target.api_version, now, applied)
        created.setdefault("metadata", {})["managedFields"] = [entry] if entry else []
        _drop_empty_managed_fields(created)
        return created
    entries = [e for e in live.get("metadata", {}).get("managedFields") or [] if e]
    owners = _apply_owners(entries)
    current = _without_managed_fields(live)
    merged = _merge(current, config, "", schema)
    _settle_conflicts(current, merged, applied, manager, owners, force=force)
    previous = owners.pop(manager, set())
    kept_by_others = set().union(*owners.values()) if owners else set()
    merged = managed_fields.without(merged, previous - applied - kept_by_others)
    changed = merged != current or previous != applied
    result = merged
    result.setdefault("metadata", {})["managedFields"] = _entries(
        entries, owners, manager, applied, target.api_version, now, changed
    )
    _drop_empty_managed_fields(result)
    return result


def _configuration(config: dict, target: Target) -> dict:
    """The configuration as applied: managedFields it carries are not the client's to
    set, and the status of a kind with a status subresource is not applied here."""
    config = copy.deepcopy(config)
    meta = config.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    if target.has_status:
        config.pop("status", None)
    return config


def _apply_owners(entries: list[dict]) -> dict[str, set[Path]]:
    """Each Apply manager's field set (of the main resource)."""
    owners: dict[str, set[Path]] = {}
    for entry in filter(_is_apply, entries):
        fields = managed_fields.from_fields_v1(entry.get("fieldsV1"))
        owners.setdefault(entry["manager"], set()).update(fields)
    return owners


def _settle_conflicts(
    live: dict,
    merged: dict,
    applied: set[Path],
    manager: str,
    owners: dict[str, set[Path]],
    *,
    force: bool,
) -> None:
    """Raise for the fields others own that the apply changes; with force, take them."""
    parents = {path[:end] for path in applied for end in range(1, len(path))}
    conflicts = [
        Conflict(other, path)
        for other, owned in owners.items()
        if other != manager
        for path in sorted(applied & owned)
        if _changes(live, merged, path, has_members_below=path in parents)
    ]
    if conflicts and not force:
        raise ApplyConflicts(conflicts)
    for conflict in conflicts:
        owners[conflict.manager].discard(conflict.path)


def _changes(live: dict, merged: dict, path: Path, *, has_members_below: bool) -> bool:
    """The apply changes the field: its value, or for a map or list item whose fields are
    owned apart, whether it is there at all."""
    before, after = managed_fields.lookup(live, path), managed_fields.lookup(merged, path)
    if has_members_below:
        return (before is ABSENT) != (after is ABSENT)
    return before is ABSENT or after is ABSENT or not _equal(before, after)


def _equal(left: object, right: object) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return left == right


def _entries(
    entries: list[dict],
    owners: dict[str, set[Path]],
    manager: str,
    applied: set[Path],
    api_version: str,
    now: str,
    changed: bool,
) -> list[dict]:
    """The new managedFields: the applier's entry (its time moves only if the apply
    changed something), the other Apply managers' with what they still own, and the
    entries of other writes as they were; in upstream's order."""
    previous = {e["manager"]: e for e in filter(_is_apply, entries)}
    result = [e for e in entries if not _is_apply(e)]
    for other, owned in owners.items():
        old = previous[other]
        if entry := _entry(other, old.get("apiVersion", api_version), old.get("time"), owned):
            result.append(entry)
    time = now if changed or manager not in previous else previous[manager].get("time", now)
    if entry := _entry(manager, api_version, time, applied):
        result.append(entry)
    return sorted(result, key=_upstream_order)


def _is_apply(entry: object) -> bool:
    """An entry of an Apply manager of the main resource (the ones this model tracks)."""
    return (
        isinstance(entry, dict)
        and entry.get("operation") == APPLY
        and not entry.get("subresource")
        and isinstance(entry.get("manager"), str)
    )


def _entry(manager: str, api_version: str, time: object, owned: set[Path]) -> dict | None:
    if not owned:
        return None
    entry = {"manager": manager, "operation": APPLY, "apiVersion": api_version}
    if time:
        entry["time"] = time
    entry |= {"fieldsType": FIELDS_V1, "fieldsV1": managed_fields.to_fields_v1(owned)}
    return entry


def _upstream_order(entry: object) -> tuple:
    """As upstream's sortEncodedManagedFields: by operation, time, manager, apiVersion."""
    if not isinstance(entry, dict):
        return ("", "", "", "")
    keys = ("operation", "time", "manager", "apiVersion")
    return tuple(str(entry.get(key) or "") for key in keys)


def _without_managed_fields(obj: dict) -> dict:
    result = copy.deepcopy(obj)
    result.get("metadata", {}).pop("managedFields", None)
    return result


def _drop_empty_managed_fields(obj: dict) -> None:
    meta = obj.get("metadata", {})
    if not meta.get("managedFields"):
        meta.pop("managedFields", None)


def _merge(live: object, config: object, schema_path: str, schema: Schema) -> object:
    """config merged into live (both JSON values; live is not changed)."""
    if isinstance(config, dict) and isinstance(live, dict):
        if schema.is_atomic_map(schema_path):
            return copy.deepcopy(config)
        merged = dict(live)
        for key, value in config.items():
            if value is None:
                merged.pop(key, None)
            else:
                child = managed_fields.child_schema(schema_path, key)
                merged[key] = _merge(live.get(key, ABSENT), value, child, schema)
        return merged
    if isinstance(config, list) and isinstance(live, list):
        merge_key = schema.list_key(schema_path)
        if merge_key == MERGE_PRIMITIVES:
            return live + [item for item in config if item not in live]
        if merge_key is not None and managed_fields.keyed(config + live, merge_key):
            return _merge_items(live, config, merge_key, schema_path, schema)
    return copy.deepcopy(config)


def _merge_items(
    live: list, config: list, merge_key: str, schema_path: str, schema: Schema
) -> list:
    """An associative list: the items both have merged, the live object's others kept in
    their places, the configuration's own in its order before the next item they share."""
    item_path = managed_fields.item_schema(schema_path)

    def key_of(item: dict) -> str:
        return managed_fields.key_element(merge_key, item)

    live_by_key = {key_of(item): item for item in live}
    waiting = list(config)
    merged: list = []
    for item in live:
        if key_of(item) not in {key_of(applied) for applied in waiting}:
            if key_of(item) not in {key_of(applied) for applied in config}:
                merged.append(item)  # only the live object has it
            continue  # else the configuration's, already merged in its order
        while waiting:
            applied = waiting.pop(0)
            base = live_by_key.get(key_of(applied), {})
            merged.append(_merge(base, applied, item_path, schema))
            if key_of(applied) == key_of(item):
                break
    for applied in waiting:
        base = live_by_key.get(key_of(applied), {})
        merged.append(_merge(base, applied, item_path, schema))
    return merged


def _quoted(manager: str) -> str:
    """A manager's name as upstream quotes it (Go's %q)."""
    return '"' + manager.replace("\\", "\\\\").replace('"', '\\"') + '"'
