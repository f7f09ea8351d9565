"""The HTTP endpoints of a sandbox's Kubernetes API: /version and discovery.

Every sandbox has its own API under /clusters/<sandbox id>/, the `server` of its
kubeconfig. Callers authenticate with a bearer token (cluster.models.ApiToken), as
kubectl and the Python client do; the object endpoints (kubeapi/objects.py) pass each
call to the sandbox's API server, which authorizes and traces it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

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


def discovery_view(view: Callable[..., dict | HttpResponse]) -> Callable[..., HttpResponse]:
    """A GET open to whoever is authenticated (discovery and OpenAPI, as upstream's
    system:discovery role): the view returns its body, an ApiError its Status."""

    @csrf_exempt
    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, sandbox_id: int, **kwargs) -> HttpResponse:
        try:
            authenticated(request)
            answer = view(request, **kwargs)
        except ApiError as error:
            return status_response(error)
        return answer if isinstance(answer, HttpResponse) else json_response(answer)

    return wrapper


@discovery_view
def core_discovery(request: HttpRequest) -> dict | HttpResponse:
    """GET /api: the core group, aggregated if the client asks for it."""
    if _wants_aggregated(request):
        aggregated = discovery.aggregated(core=True)
        return json_response(aggregated, content_type=discovery.AGGREGATED_TYPE)
    return discovery.api_versions(request.get_host())


@discovery_view
def group_discovery(request: HttpRequest) -> dict | HttpResponse:
    """GET /apis: the named groups, aggregated if the client asks for it."""
    if _wants_aggregated(request):
        aggregated = discovery.aggregated(core=False)
        return json_response(aggregated, content_type=discovery.AGGREGATED_TYPE)
    return discovery.api_group_list()


@discovery_view
def resource_discovery(request: HttpRequest, version: str, group: str = "") -> dict:
    """GET /api/v1 or /apis/<group>/<version>."""
    return _found(discovery.api_resource_list(group, version))


@discovery_view
def openapi_index(request: HttpRequest) -> dict:
    """GET /openapi/v3."""
    return openapi.index()


@discovery_view
def openapi_document(request: HttpRequest, version: str, group: str = "") -> dict:
    """GET /openapi/v3/api/v1, /openapi/v3/apis/<group>/<version>."""
    return _found(openapi.document(group, version))


def _found(body: dict | None) -> dict:
    if body is None:
        raise unknown_resource()
    return body


def _wants_aggregated(request: HttpRequest) -> bool:
    return "as=APIGroupDiscoveryList" in request.headers.get("Accept", "")
