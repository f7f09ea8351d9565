"""Label and field selectors, parsed as kubectl sends them and matched against objects."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cluster.apiserver.errors import bad_request
from cluster.store import ColumnMatch

_LABEL_SET = re.compile(r"^\s*([^\s!=,()]+)\s+(in|notin)\s+\(([^)]*)\)\s*")
_LABEL_CMP = re.compile(r"^\s*([^\s!=,()]+)\s*(==|=|!=)\s*([^\s,()]*)\s*")
_LABEL_EXISTS = re.compile(r"^\s*(!?)\s*([^\s!=,()]+)\s*")


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case "=":
                return present and value == self.values[0]
            case "!=":
                return not present or value != self.values[0]
            case "in":
                return present and value in self.values
            case "notin":
                return not present or value not in self.values
            case "exists":
                return present
            case _:
                return not present


def parse_label_selector(text: str) -> list[LabelRequirement]:
    """Parse `app=web,tier!=db,env in (a,b),!legacy,run`."""
    requirements: list[LabelRequirement] = []
    rest = text.strip()
    while rest:
        if m := _LABEL_SET.match(rest):
            values = tuple(v.strip() for v in m.group(3).split(",") if v.strip())
            requirements.append(LabelRequirement(m.group(1), m.group(2), values))
        elif m := _LABEL_CMP.match(rest):
            operator = "=" if m.group(2) == "==" else m.group(2)
            requirements.append(LabelRequirement(m.group(1), operator, (m.group(3),)))
        elif m := _LABEL_EXISTS.match(rest):
            requirements.append(LabelRequirement(m.group(2), "!exists" if m.group(1) else "exists"))
        else:
            raise bad_request(f"unable to parse requirement: {rest!r}")
        rest = rest[m.end() :]
        if rest.startswith(","):
            rest = rest[1:]
        elif rest:
            raise bad_request(f"unable to parse requirement: found {rest!r}, expected: ','")
    return requirements


def labels_match(requirements: list[LabelRequirement], obj: dict) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    return all(r.matches(labels) for r in requirements)


@dataclass(frozen=True)
class FieldRequirement:
    path: str  # "spec.nodeName"
    value: str
    negate: bool

    def matches(self, obj: dict) -> bool:
        found: object = obj
        for part in self.path.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        actual = (
            "" if found is None else str(found).lower() if isinstance(found, bool) else str(found)
        )
        return (actual != self.value) if self.negate else (actual == self.value)


# Fields every resource supports, and the extra ones upstream lets each filter on.
COMMON_FIELDS = frozenset({"metadata.name", "metadata.namespace"})
RESOURCE_FIELDS = {
    "pods": frozenset(
        {
            "spec.nodeName",
            "status.phase",
            "spec.schedulerName",
            "spec.restartPolicy",
            "status.podIP",
        }
    ),
    "nodes": frozenset({"spec.unschedulable"}),
    "events": frozenset(
        {
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        }
    ),
    "namespaces": frozenset({"status.phase"}),
    "replicasets": frozenset({"status.replicas"}),
    "replicationcontrollers": frozenset({"status.replicas"}),
}
# Fields that map to indexed store columns, filtered in the database.
STORE_COLUMNS = {
    "metadata.name": "name",
    "metadata.namespace": "namespace",
    "spec.nodeName": "node_name",
    "status.phase": "phase",
}


def parse_field_selector(text: str, resource: str) -> list[FieldRequirement]:
    """Parse `spec.nodeName=node-1,status.phase!=Failed` (`=`, `==` and `!=`)."""
    requirements: list[FieldRequirement] = []
    allowed = COMMON_FIELDS | RESOURCE_FIELDS.get(resource, frozenset())
    for term in filter(None, (t.strip() for t in text.split(","))):
        m = re.fullmatch(r"([^!=\s]+)\s*(==|=|!=)\s*(.*)", term)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        path, operator, value = m.groups()
        if path not in allowed:
            raise bad_request(f"field label not supported: {path}")
        requirements.append(FieldRequirement(path, value.strip(), operator == "!="))
    return requirements


def store_column_matches(requirements: list[FieldRequirement], resource: str) -> list[ColumnMatch]:
    """The requirements the store can evaluate on its indexed columns."""
    matches = []
    for r in requirements:
        column = STORE_COLUMNS.get(r.path)
        # node_name and phase are pod columns; other resources match in Python.
        if column in {"node_name", "phase"} and resource != "pods":
            continue
        if column:
            matches.append(ColumnMatch(column, r.value, r.negate))
    return matches


def fields_match(requirements: list[FieldRequirement], obj: dict) -> bool:
    return all(r.matches(obj) for r in requirements)
