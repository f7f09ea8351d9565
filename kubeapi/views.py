"""The HTTP endpoints of a sandbox's Kubernetes API: /version and discovery.

Every sandbox has its own API under /clusters/<sandbox id>/, the `server` of its
kubeconfig. Callers authenticate with a bearer token (cluster.models.ApiToken), as
kubectl and the Python client do; the object endpoints (kubeapi/objects.py) pass each
call to the sandbox's API server, which authorizes and traces it.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from cluster.apiserver import ApiError
from cluster.apiserver.authn import Caller, caller_for_token
from cluster.apiserver.errors import unauthorized, unknown_resource
from kubeapi import discovery, openapi

# kubectl 1.32 is what Podlab's API answers as: the dispatcher kubectl on these machines
# runs the bundled kubectl of the server's minor version.
VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4+podlab",
    "gitCommit": "podlab",
    "gitTreeState": "clean",
    "buildDate": "2026-12-01T00:00:00Z",
    "goVersion": "go1.23.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def json_response(body: dict, *, status: int = 200, content_type: str = "application/json"):
    return HttpResponse(json.dumps(body), status=status, content_type=content_type)


def status_response(error: ApiError) -> HttpResponse:
    return json_response(error.status(), status=error.code)


def authenticated(request: HttpRequest) -> Caller:
    """The caller a bearer token names; raises 401 Unauthorized without a valid one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    return caller_for_token(token.strip())


@csrf_exempt
@require_GET
def version(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    """GET /version: open to anyone, as upstream's system:public-info-viewer makes it."""
    return json_response(VERSION)


@csrf_exempt
@require_GET
def core_discovery(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    """GET /api: the core group, aggregated if the client asks for it."""
    try:
        authenticated(request)
    except ApiError as error:
        return status_response(error)
    if _wants_aggregated(request):
        return json_response(
            discovery.aggregated(core=True), content_type=discovery.AGGREGATED_TYPE
        )
    return json_response(discovery.api_versions(request.get_host()))


@csrf_exempt
@require_GET
def group_discovery(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    """GET /apis: the named groups, aggregated if the client asks for it."""
    try:
        authenticated(request)
    except ApiError as error:
        return status_response(error)
    if _wants_aggregated(request):
        return json_response(
            discovery.aggregated(core=False), content_type=discovery.AGGREGATED_TYPE
        )
    return json_response(discovery.api_group_list())


@csrf_exempt
@require_GET
def resource_discovery(
    request: HttpRequest, sandbox_id: int, version: str, group: str = ""
) -> HttpResponse:
    """GET /api/v1 or /apis/<group>/<version>."""
    try:
        authenticated(request)
        listed = discovery.api_resource_list(group, version)
        if listed is None:
            raise unknown_resource()
    except ApiError as error:
        return status_response(error)
    return json_response(listed)


@csrf_exempt
@require_GET
def openapi_index(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    """GET /openapi/v3: open to whoever is authenticated, as discovery is."""
    try:
        authenticated(request)
    except ApiError as error:
        return status_response(error)
    return json_response(openapi.index())


@csrf_exempt
@require_GET
def openapi_document(
    request: HttpRequest, sandbox_id: int, version: str, group: str = ""
) -> HttpResponse:
    try:
        authenticated(request)
        document = openapi.document(group, version)
        if document is None:
            raise unknown_resource()
    except ApiError as error:
        return status_response(error)
    return json_response(document)


def _wants_aggregated(request: HttpRequest) -> bool:
    return "as=APIGroupDiscoveryList" in request.headers.get("Accept", "")
