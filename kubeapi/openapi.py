"""OpenAPI v3 for kubectl: `apply -f`, `create -f` and `replace -f` fetch it before they
send anything (to learn that the server checks fields itself: the fieldValidation
parameter of each write), and `kubectl explain` reads its schemas.

The schemas are generated from the official Python client's models (the `kubernetes`
package is built from upstream's own OpenAPI document): their JSON names, types,
required fields and descriptions. The same schemas check a write's fields under
fieldValidation=Strict (unknown_fields), as upstream's strict decoding does.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache

from kubernetes.client import models as client_models

from cluster.resources import ResourceType
from kubeapi import discovery

SCHEMA_REF = "#/components/schemas/"
# V1Container, CoreV1Event, V2HorizontalPodAutoscaler: the client's version prefix.
_VERSION_PREFIX = re.compile(r"^(?:[A-Z][a-z]+)*V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])")
_LIST = re.compile(r"^List\[(.+)\]$")
_DICT = re.compile(r"^Dict\[str, (.+)\]$")
_SCALARS = {
    "str": {"type": "string"},
    "int": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "double"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "object": {},  # IntOrString, RawExtension: anything goes
}


def index() -> dict:
    """GET /openapi/v3: where each group-version's document is, with its hash (kubectl
    caches a document by it)."""
    paths = {}
    for group, versions in discovery.group_versions().items():
        for version in versions:
            name = _gv_path(group, version)
            paths[name] = {"serverRelativeURL": f"/openapi/v3/{name}?hash={_hash(group, version)}"}
    return {"paths": paths}


@cache
def document(group: str, version: str) -> dict | None:
    """GET /openapi/v3/api/v1, /openapi/v3/apis/apps/v1; None for one not served."""
    served = discovery.resources_of(group, version)
    if not served:
        return None
    schemas: dict[str, dict] = {}
    paths: dict[str, dict] = {}
    for rt in served:
        name = model_name(rt)
        _add_schema(name, schemas)
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        schemas[schema_name(name)]["x-kubernetes-group-version-kind"] = [gvk]
        for list_name in (f"{name}List",):
            if hasattr(client_models, list_name):
                _add_schema(list_name, schemas)
        paths.update(_paths(rt, name, gvk))
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (Podlab)", "version": "v1.32.4"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def model_name(rt: ResourceType) -> str:
    """The Python client's model of a kind: V1Pod, or CoreV1Event where groups share a kind."""
    for name in (f"V1{rt.kind}", f"CoreV1{rt.kind}"):
        if hasattr(client_models, name):
            return name
    raise LookupError(f"no model for {rt.kind}")


def schema_name(model: str) -> str:
    """The schema of a client model, named as upstream's are (a dotted path whose last
    part is the type's name, which `kubectl explain` shows: "<[]Container>"); the
    model's name in the path keeps a core Event apart from an events.k8s.io one."""
    return f"io.podlab.{model}.{_VERSION_PREFIX.sub('', model)}"


def unknown_fields(rt: ResourceType, body: dict) -> list[str]:
    """The fields of body its kind's schema does not have, as upstream's strict decoding
    names them ("spec.containers[0].imagee")."""
    found: list[str] = []
    _walk(model_name(rt), body, "", found)
    return found


def _walk(model: str, value: object, path: str, found: list[str]) -> None:
    cls = getattr(client_models, model, None)
    if cls is None or not isinstance(value, dict):
        return
    by_json = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        attr = by_json.get(key)
        if attr is None:
            found.append(where)
            continue
        kind = cls.openapi_types[attr]
        if match := _LIST.match(kind):
            for index, element in enumerate(item if isinstance(item, list) else []):
                _walk(match.group(1), element, f"{where}[{index}]", found)
        elif match := _DICT.match(kind):
            for entry_key, element in (item if isinstance(item, dict) else {}).items():
                _walk(match.group(1), element, f"{where}[{entry_key}]", found)
        else:
            _walk(kind, item, where, found)


def _add_schema(model: str, schemas: dict[str, dict]) -> None:
    """The model's schema and, once each, those of the models it holds."""
    if schema_name(model) in schemas or not hasattr(client_models, model):
        return
    cls = getattr(client_models, model)
    schema: dict = {"type": "object", "properties": {}}
    schemas[schema_name(model)] = schema
    required = []
    for attr, kind in cls.openapi_types.items():
        json_name = cls.attribute_map[attr]
        field = cls.model_fields.get(attr)
        prop = _type_schema(kind, schemas)
        if field is not None and field.description:
            prop["description"] = field.description
        schema["properties"][json_name] = prop
        if field is not None and field.is_required():
            required.append(json_name)
    if required:
        schema["required"] = required


def _type_schema(kind: str, schemas: dict[str, dict]) -> dict:
    if kind in _SCALARS:
        return dict(_SCALARS[kind])
    if match := _LIST.match(kind):
        return {"type": "array", "items": _type_schema(match.group(1), schemas)}
    if match := _DICT.match(kind):
        return {"type": "object", "additionalProperties": _type_schema(match.group(1), schemas)}
    _add_schema(kind, schemas)
    return {"allOf": [{"$ref": f"{SCHEMA_REF}{schema_name(kind)}"}]}


def _paths(rt: ResourceType, model: str, gvk: dict) -> dict:
    base = f"/{_gv_path(rt.group, rt.version)}"
    collection = (
        f"{base}/namespaces/{{namespace}}/{rt.name}" if rt.namespaced else f"{base}/{rt.name}"
    )
    ref = {"$ref": f"{SCHEMA_REF}{schema_name(model)}"}

    def operation(action: str, *, writes: bool) -> dict:
        op: dict = {
            "operationId": f"{action}{rt.kind}",
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
            "responses": {"200": {"content": {"application/json": {"schema": ref}}}},
        }
        if writes:
            # The parameters kubectl looks for to leave the checks to the server.
            op["parameters"] = [
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
            ]
            op["requestBody"] = {"content": {"application/json": {"schema": ref}}}
        return op

    return {
        collection: {
            "get": operation("list", writes=False),
            "post": operation("post", writes=True),
        },
        f"{collection}/{{name}}": {
            "get": operation("get", writes=False),
            "put": operation("put", writes=True),
            "patch": operation("patch", writes=True),
            "delete": operation("delete", writes=False),
        },
    }


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


@cache
def _hash(group: str, version: str) -> str:
    text = json.dumps(document(group, version), sort_keys=True).encode()
    return hashlib.sha512(text).hexdigest()[:32].upper()
