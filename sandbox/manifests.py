"""Apply YAML manifests through the API server, and find where each error points.

A Status cause names a field path such as `spec.containers[0].resources.requests[cpu]`;
`line_of` walks the YAML node tree to the line that holds it, so the page can
show the API server's message next to the line the student wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.decoding import type_meta_error
from cluster.resources import RESOURCES, ResourceType
from sandbox.manifest_yaml import YamlRefused, load_documents

KIND_TO_RESOURCE = {rt.kind: rt for rt in RESOURCES.values()}
_PATH_PART = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


@dataclass
class DocumentResult:
    index: int
    first_line: int
    summary: str = ""
    error: dict | None = None  # a Kubernetes Status
    field_lines: dict[str, int] = field(default_factory=dict)  # cause field -> line (1-based)


@dataclass
class ApplyResult:
    documents: list[DocumentResult]
    parse_error: str = ""  # a YAML syntax error: the API server never saw the text
    parse_error_line: int | None = None
    parse_error_column: int | None = None

    @property
    def errors_by_line(self) -> dict[int, list[str]]:
        by_line: dict[int, list[str]] = {}
        if self.parse_error_line:
            by_line.setdefault(self.parse_error_line, []).append(self.parse_error)
        for document in self.documents:
            for cause in (document.error or {}).get("details", {}).get("causes", []):
                line = document.field_lines.get(cause.get("field", ""), document.first_line)
                by_line.setdefault(line, []).append(f"{cause['field']}: {cause['message']}")
            if document.error and not document.error.get("details", {}).get("causes"):
                by_line.setdefault(document.first_line, []).append(document.error["message"])
        return by_line


def manifests_create(apiserver: ApiServer, text: str, *, namespace: str = "default") -> ApplyResult:
    """Create every object in the YAML text, as `kubectl create -f` does, one by one."""
    try:
        documents = load_documents(text)
    except YamlRefused as refused:
        return ApplyResult(
            [],
            parse_error=f"YAML syntax error: {refused.problem}",
            parse_error_line=refused.line,
            parse_error_column=refused.column,
        )
    results = []
    for index, (node, obj) in enumerate(documents):
        if obj is None:
            continue
        result = DocumentResult(index=index, first_line=node.start_mark.line + 1)
        results.append(result)
        try:
            rt = _resource_of(obj)
            created = apiserver.create(rt.name, obj, namespace=_namespace_of(obj) or namespace)
        except ApiError as error:
            result.error = error.status()
            for cause in result.error.get("details", {}).get("causes", []):
                if (line := line_of(node, cause.get("field", ""))) is not None:
                    result.field_lines[cause["field"]] = line
            continue
        result.summary = f"{_kubectl_name(rt)}/{created['metadata']['name']} created"
    return ApplyResult(results)


def _resource_of(obj: object) -> ResourceType:
    """The type a manifest names by kind, in its apiVersion when it gives one
    (a Deployment is apps/v1: extensions/v1beta1 is long gone); 400 as kubectl's
    decoder says it for a document it cannot place."""
    if not isinstance(obj, dict):
        raise ApiError(400, "BadRequest", "Object 'Kind' is missing")
    if (error := type_meta_error(obj)) is not None:
        raise error
    rt = KIND_TO_RESOURCE.get(obj.get("kind") or "")
    if rt is None or obj.get("apiVersion") not in (None, "", rt.api_version):
        raise _unknown_kind(obj)
    return rt


def _namespace_of(obj: dict) -> str:
    """The manifest's own namespace, if it names one as a string (the API server
    answers any other value)."""
    meta = obj.get("metadata")
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    return namespace if isinstance(namespace, str) else ""


def _kubectl_name(rt: ResourceType) -> str:
    """As kubectl names what it created: "pod", "deployment.apps"."""
    return f"{rt.singular}.{rt.group}" if rt.group else rt.singular


def _unknown_kind(obj: dict) -> ApiError:
    if not obj.get("kind"):
        return ApiError(400, "BadRequest", "Object 'Kind' is missing")
    return ApiError(
        400,
        "BadRequest",
        f'no matches for kind "{obj["kind"]}" in version "{obj.get("apiVersion", "")}"',
    )


def line_of(node: yaml.Node, path: str) -> int | None:
    """The 1-based line of the deepest node on `path` that the YAML has."""
    line = None
    for name, key in _PATH_PART.findall(path):
        part = name or key
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == part), None)
            if pair is None:
                return line
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            return line
    return line
