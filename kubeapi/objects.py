"""The object endpoints of a sandbox's Kubernetes API: get, list, create, update, patch
and delete, as kubectl and the Python client call them.

Each request is one call to the sandbox's API server (cluster/apiserver), made as the
token's user, labelled with the kubectl command that sent it (its Kubectl-Command
header): the call is authorized, validated, traced and shown on the diagram as a click
on the page is. This module only translates HTTP to those calls and back: the path to a
resource, the query to its options, the answer to JSON (or to the Table kubectl prints).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import partial
from urllib.parse import parse_qs

import yaml
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.authn import Caller
from cluster.apiserver.authz import authorize
from cluster.apiserver.errors import (
    bad_request,
    method_not_allowed,
    unknown_resource,
    unsupported_media_type,
)
from cluster.apiserver.options import APPLY, WriteOptions
from cluster.models import Sandbox
from cluster.resources import RESOURCES, ResourceType
from kubeapi import logs_follow, openapi, printers, protobuf, watch
from kubeapi.views import authenticated, json_response, status_response

# Request bodies kubectl and the Python client send, by Content-Type.
JSON_TYPES = ("application/json", "")
PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": APPLY,
}
TABLE_ACCEPT = "as=Table"
# The pod subresources that connect to a container's process (upstream's "connect"
# verbs). Podlab's containers are simulated: each is answered with why, not a 404.
CONNECT_SUBRESOURCES = {
    "exec": "run a command in",
    "attach": "attach to",
    "portforward": "forward a port to",
}


@dataclass(frozen=True)
class Target:
    """What a request's path names: a resource, in a namespace or not, and maybe one
    object of it and a subresource."""

    rt: ResourceType
    namespace: str = ""
    name: str = ""
    subresource: str = ""


def parse_target(group: str, version: str, rest: str) -> Target:
    """'namespaces/default/pods/web/status' -> Target(pods, default, web, status).
    Raises 404 for a path naming no resource this API serves."""
    parts = [part for part in rest.split("/") if part]
    namespace = ""
    # namespaces/<ns>/<resource>..., unless it is a namespace's own subresource
    # (namespaces/<ns>/status, namespaces/<ns>/finalize), as upstream reads it.
    if len(parts) >= 3 and parts[0] == "namespaces" and parts[2] not in ("status", "finalize"):
        namespace, parts = parts[1], parts[2:]
    if parts == ["bindings"] and namespace and (group, version) == ("", "v1"):
        # POST namespaces/<ns>/bindings, the pod named in the body: upstream's older path
        # to a pod's binding (the Python client's create_namespaced_binding).
        return Target(RESOURCES["pods"], namespace, "", "binding")
    if not parts or len(parts) > 3:
        raise unknown_resource()
    rt = RESOURCES.get(parts[0])
    if rt is None or (rt.group, rt.version) != (group, version):
        raise unknown_resource()
    if namespace and not rt.namespaced:
        raise unknown_resource()
    name = parts[1] if len(parts) > 1 else ""
    subresource = parts[2] if len(parts) > 2 else ""
    connects = rt.name == "pods" and subresource in CONNECT_SUBRESOURCES
    if subresource and subresource not in rt.subresources and not connects:
        raise unknown_resource()
    return Target(rt, namespace, name, subresource)


@csrf_exempt
def objects(request: HttpRequest, sandbox_id: int, version: str, rest: str, group: str = ""):
    try:
        caller = authenticated(request)
        target = parse_target(group, version, rest)
        api = _api_server(request, sandbox_id, caller, target)
        return _serve(request, api, target)
    except ApiError as error:
        return status_response(error)


def _api_server(request: HttpRequest, sandbox_id: int, caller: Caller, target: Target):
    """The sandbox's API server, calling as this caller with their client's name."""
    caller = replace(caller, user_agent=request.headers.get("User-Agent", "")[:200])
    sandbox = Sandbox.objects.select_related("classroom").filter(pk=sandbox_id).first()
    if sandbox is None:
        # Refused as another's sandbox is, so that which numbers exist is not told.
        authorize(
            caller,
            Sandbox(pk=sandbox_id),
            verb=_verb(request, target),
            rt=target.rt,
            namespace=target.namespace,
            name=target.name,
            subresource=target.subresource,
        )
        raise unknown_resource()  # an administrator: there is no such sandbox
    command = request.headers.get("Kubectl-Command", "")
    return ApiServer(sandbox, lambda: caller, command=command)


def _verb(request: HttpRequest, target: Target) -> str:
    method = request.method or "GET"
    if method == "GET":
        return "get" if target.name else "watch" if _query(request, "watch") else "list"
    if method == "DELETE" and not target.name:
        return "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, method.lower()
    )


def _serve(request: HttpRequest, api: ApiServer, target: Target) -> HttpResponse:
    rt, method = target.rt, request.method
    if target.subresource in CONNECT_SUBRESOURCES:
        return _connect(api, target)
    if target.subresource == "binding" and method != "POST":
        raise method_not_allowed(rt, (method or "").lower())  # a binding is only created
    if method == "GET" and not target.name:
        return _list(request, api, target)
    if method == "GET" and target.subresource == "log":
        return _log(request, api, target)
    if method == "GET":
        obj = api.get(
            rt.name, target.name, namespace=target.namespace, subresource=target.subresource
        )
        return _answer(request, api, rt, [obj], single=obj)
    if method == "POST" and target.subresource == "binding":
        body = _body(request)
        pod_name = target.name or str((body.get("metadata") or {}).get("name") or "")
        api.create_binding(body, namespace=target.namespace, pod_name=pod_name)
        return json_response(_binding_created(body), status=201)
    if method == "POST" and not target.name:
        body = _checked(request, rt, _body(request))
        created = api.create(rt.name, body, namespace=target.namespace, options=_options(request))
        return _with_warnings(json_response(created, status=201), request)
    if method == "POST" and target.subresource == "eviction":
        answer = api.evict(target.name, _body(request), namespace=target.namespace)
        return json_response(answer, status=201)
    if method == "PUT" and target.name:
        body = _body(request)
        if not target.subresource:
            body = _checked(request, rt, body)
        updated = api.update(
            rt.name,
            body,
            namespace=target.namespace,
            subresource=target.subresource,
            options=_options(request),
        )
        return _with_warnings(json_response(updated), request)
    if method == "PATCH" and target.name:
        patched, created = _patch(request, api, target)
        return _with_warnings(json_response(patched, status=201 if created else 200), request)
    if method == "DELETE":
        return json_response(_delete(request, api, target))
    raise method_not_allowed(rt, (method or "").lower())


def _connect(api: ApiServer, target: Target) -> HttpResponse:
    """kubectl exec, attach, port-forward: the pod is read as the caller (authorized and
    traced; a missing pod is upstream's 404), then the request is refused with why."""
    api.get("pods", target.name, namespace=target.namespace)
    doing = CONNECT_SUBRESOURCES[target.subresource]
    raise bad_request(
        f"Podlab's containers are simulated: there is no process in pod {target.name} to"
        f" {doing}. `kubectl logs {target.name}` shows what its containers wrote, and"
        f" `kubectl describe pod {target.name}` what they are doing"
    )


def _list(request: HttpRequest, api: ApiServer, target: Target) -> HttpResponse:
    if _query(request, "watch") in ("true", "1"):
        return _watch(request, api, target)
    limit = _query(request, "limit")
    listed = api.list(
        target.rt.name,
        namespace=target.namespace,
        label_selector=_query(request, "labelSelector"),
        field_selector=_query(request, "fieldSelector"),
        limit=int(limit) if limit.isdigit() and int(limit) > 0 else None,
        continue_token=_query(request, "continue"),
    )
    return _answer(request, api, target.rt, listed["items"], listing=listed)


def _answer(request, api, rt, items, *, single=None, listing=None) -> HttpResponse:
    """The object or list as JSON, or as the Table kubectl asked for."""
    if TABLE_ACCEPT not in request.headers.get("Accept", ""):
        return json_response(single if single is not None else listing)
    metadata = (listing or {}).get("metadata") or {}
    revision = metadata.get("resourceVersion") or (single or {}).get("metadata", {}).get(
        "resourceVersion", ""
    )
    try:
        table = printers.table(
            rt.name,
            items,
            now=api.sandbox.now(),
            resource_version=str(revision),
            continue_token=metadata.get("continue", ""),
            include_object=_query(request, "includeObject") or "Metadata",
        )
    except ValueError as error:
        raise bad_request(str(error)) from error
    return json_response(table)


def _log(request: HttpRequest, api: ApiServer, target: Target) -> HttpResponse:
    tail = _query(request, "tailLines")
    options = {
        "namespace": target.namespace,
        "container": _query(request, "container"),
        "previous": _query(request, "previous") in ("true", "1"),
        "timestamps": _query(request, "timestamps") in ("true", "1"),
    }
    first = api.pod_log(target.name, tail_lines=int(tail) if tail.isdigit() else None, **options)
    if _query(request, "follow") not in ("true", "1"):
        return HttpResponse(first.text, content_type="text/plain; charset=utf-8")
    more = partial(api.pod_log, target.name, **options)
    response = StreamingHttpResponse(
        logs_follow.stream(first, more), content_type="text/plain; charset=utf-8"
    )
    response["X-Accel-Buffering"] = "no"
    return response


def _watch(request: HttpRequest, api: ApiServer, target: Target) -> HttpResponse:
    timeout = _query(request, "timeoutSeconds")
    wanted = watch.WatchRequest(
        rt=target.rt,
        namespace=target.namespace,
        resource_version=_query(request, "resourceVersion") or "0",
        label_selector=_query(request, "labelSelector"),
        field_selector=_query(request, "fieldSelector"),
        timeout_seconds=int(timeout) if timeout.isdigit() else watch.DEFAULT_TIMEOUT_SECONDS,
    )
    first = watch.start(api, wanted)  # a refusal is still an HTTP error, with its Status
    as_table = TABLE_ACCEPT in request.headers.get("Accept", "")

    def encode(event: dict, first_line: bool) -> dict:
        if not as_table:
            return event
        obj = event["object"]
        revision = (obj.get("metadata") or {}).get("resourceVersion", "")
        row = printers.table(
            target.rt.name,
            [obj],
            now=api.sandbox.now(),
            resource_version=revision,
            include_object=_query(request, "includeObject") or "Metadata",
            first=first_line,
        )
        return {"type": event["type"], "object": row}

    response = StreamingHttpResponse(
        watch.stream(api, wanted, first, encode), content_type="application/json"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each line on as it comes
    return response


def _patch(request: HttpRequest, api: ApiServer, target: Target) -> tuple[dict, bool]:
    """The patched object, and whether the patch created it (a server-side apply may)."""
    content_type = _content_type(request)
    patch_type = PATCH_TYPES.get(content_type)
    if patch_type is None:
        raise unsupported_media_type(content_type)
    where = {"namespace": target.namespace, "subresource": target.subresource}
    if patch_type == APPLY:
        # JSON is YAML too: kubectl and the Python client send JSON.
        config = _yaml(request.body)
        if isinstance(config, dict):
            config = _checked(request, target.rt, config)
        return api.apply(target.rt.name, target.name, config, options=_options(request), **where)
    patched = api.patch(
        target.rt.name,
        target.name,
        _json(request.body),
        patch_type=patch_type,
        options=_options(request),
        **where,
    )
    return patched, False


def _delete(request: HttpRequest, api: ApiServer, target: Target) -> dict:
    """A delete of one object, or of those of a collection the selectors match
    (deletecollection)."""
    options = _json(request.body) if request.body else {}
    if not isinstance(options, dict):
        raise bad_request("the body of a delete must be DeleteOptions")
    grace = options.get("gracePeriodSeconds", _query(request, "gracePeriodSeconds") or None)
    common = {
        "namespace": target.namespace,
        "grace_period_seconds": int(grace) if grace is not None else None,
        "propagation_policy": options.get("propagationPolicy")
        or _query(request, "propagationPolicy")
        or None,
        "options": _options(request, options),
    }
    if not target.name:
        return api.delete_collection(
            target.rt.name,
            label_selector=_query(request, "labelSelector"),
            field_selector=_query(request, "fieldSelector"),
            **common,
        )
    return api.delete(
        target.rt.name, target.name, preconditions=options.get("preconditions"), **common
    )


def _checked(request: HttpRequest, rt: ResourceType, body: dict) -> dict:
    """fieldValidation (kubectl's --validate): Strict refuses a field the kind does not
    have, as upstream's strict decoding does; Warn lets it through with a warning kubectl
    prints; Ignore (the default here, as for clients that send none) says nothing."""
    mode = _query(request, "fieldValidation") or "Ignore"
    if mode not in ("Strict", "Warn", "Ignore"):
        raise bad_request(
            f"fieldValidation parameter unsupported: {mode}. Valid values: Ignore, Warn, Strict"
        )
    unknown = [] if mode == "Ignore" else openapi.unknown_fields(rt, body)
    if unknown and mode == "Strict":
        listed = ", ".join(f'unknown field "{field}"' for field in unknown)
        raise bad_request(
            f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}:'
            f" strict decoding error: {listed}"
        )
    request.podlab_warnings = [f'unknown field "{field}"' for field in unknown]
    return body


def _with_warnings(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """Warnings as upstream sends them; kubectl prints each as "Warning: ..."."""
    for warning in getattr(request, "podlab_warnings", []):
        response.headers.setdefault("Warning", "")
        line = f'299 - "{warning}"'
        response.headers["Warning"] = ", ".join(filter(None, [response.headers["Warning"], line]))
    return response


def _body(request: HttpRequest) -> dict:
    content_type = _content_type(request)
    if content_type == protobuf.MEDIA_TYPE:
        try:
            return protobuf.decode(request.body)
        except protobuf.ProtobufError as error:
            raise bad_request(str(error)) from error
    if content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise unsupported_media_type(content_type)
    body = _json(request.body)
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    return body


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request(f"the body is not JSON: {error}") from error


def _yaml(raw: bytes) -> object:
    """A server-side apply's body: YAML (JSON is YAML), read as JSON values only."""
    try:
        return yaml.load(raw or b"null", Loader=_JsonValuesLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as error:
        raise bad_request(f"error decoding YAML: {error}") from error


class _JsonValuesLoader(yaml.SafeLoader):
    """YAML's safe loader, less the timestamps it would make dates of: an object holds
    JSON values, and a date stays the string it was written as (as upstream's decoder)."""


_JsonValuesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _options(request: HttpRequest, body: dict | None = None) -> WriteOptions:
    """The write's options from the query (and a delete's DeleteOptions body): dryRun,
    fieldManager, force. The API server checks them."""
    query = parse_qs(request.META.get("QUERY_STRING", ""))
    dry_run = query.get("dryRun") or []
    if body and "dryRun" in body:
        sent = body["dryRun"]
        if not isinstance(sent, list) or not all(isinstance(value, str) for value in sent):
            raise bad_request(
                "json: cannot unmarshal into Go struct field DeleteOptions.dryRun of type []string"
            )
        dry_run = dry_run + sent
    force = _query(request, "force")
    if force not in ("", "true", "false", "1", "0"):
        raise bad_request(f'strconv.ParseBool: parsing "{force}": invalid syntax')
    return WriteOptions(
        dry_run=tuple(dry_run),
        field_manager=_query(request, "fieldManager"),
        force=None if force == "" else force in ("true", "1"),
    )


def _content_type(request: HttpRequest) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


def _query(request: HttpRequest, name: str) -> str:
    # parse_qs, not request.GET: a field selector's "!=" and "," must come through as sent.
    return (parse_qs(request.META.get("QUERY_STRING", "")).get(name) or [""])[0]


def _binding_created(binding: dict) -> dict:
    """Upstream answers a binding with Status Success, which kubectl reads as such; the
    Python client reads the answer as a V1Binding, whose `target` is required, and fails
    on a bare Status (kubernetes-client/python #825). The Status also carries the
    binding's target, which the client takes and kubectl ignores."""
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    return {**status, "code": 201, "target": binding.get("target")}
