"""How a sandbox view is entered: log in, authorize (sandbox_for, and for a POST the right
to change the sandbox) before anything is read, and answer the API server's refusal (an
ApiError) with its Kubernetes Status."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cluster.apiserver import ApiError
from cluster.models import Sandbox
from sandbox.selectors import sandbox_changeable, sandbox_for, sandbox_writable

# Every sandbox URL that changes something is a POST; the others only read.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def authorized_sandbox(request: HttpRequest, sandbox_id: int) -> Sandbox:
    """The one authorization step of every sandbox URL: 401 anonymous, 404 for a sandbox
    this user may not see (as for a missing one), 403 for a change by a read-only viewer."""
    sandbox = sandbox_for(request.user, sandbox_id)
    if request.method in WRITE_METHODS:
        sandbox_changeable(sandbox, request.user)
    return sandbox


def with_retry_after(response: HttpResponse, error: ApiError) -> HttpResponse:
    """A 429's wait, as the Retry-After header clients and browsers understand."""
    if retry_after := error.details.get("retryAfterSeconds"):
        response["Retry-After"] = str(retry_after)
    return response


def sandbox_view(view: Callable) -> Callable:
    """For pages and htmx partials: an ApiError becomes an error page or a status partial.

    Sets request.may_write (may this user change this sandbox?), so that pages and
    panels show only the controls the user may use; the API server still decides."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, sandbox_id: int, *args, **kwargs) -> HttpResponse:
        try:
            sandbox = authorized_sandbox(request, sandbox_id)
            request.may_write = sandbox_writable(sandbox, request.user)
            return view(request, sandbox, *args, **kwargs)
        except ApiError as error:
            template = "sandbox/partials/status.html" if request.htmx else "sandbox/error.html"
            response = render(request, template, {"status": error.status()}, status=error.code)
            return with_retry_after(response, error)

    return wrapper


def sandbox_json_view(view: Callable) -> Callable:
    """For the page's script: JSON answers, and an ApiError as its Status object,
    as the Kubernetes API would send it (no redirect to the login page either)."""

    @wraps(view)
    def wrapper(request: HttpRequest, sandbox_id: int, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            error = ApiError(401, "Unauthorized", "Unauthorized: log in first")
            return JsonResponse(error.status(), status=401)
        try:
            sandbox = authorized_sandbox(request, sandbox_id)
            return view(request, sandbox, *args, **kwargs)
        except ApiError as error:
            return with_retry_after(JsonResponse(error.status(), status=error.code), error)

    return wrapper
