"""How a sandbox view is entered: log in, load the sandbox, and answer the API
server's refusal (an ApiError) with its Kubernetes Status."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cluster.apiserver import ApiError
from sandbox.selectors import sandbox_for, sandbox_writable


def sandbox_view(view: Callable) -> Callable:
    """For pages and htmx partials: an ApiError becomes an error page or a status partial.

    Sets request.may_write (may this user change this sandbox?), so that pages and
    panels show only the controls the user may use; the API server still decides."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, sandbox_id: int, *args, **kwargs) -> HttpResponse:
        try:
            sandbox = sandbox_for(request.user, sandbox_id)
            request.may_write = sandbox_writable(sandbox, request.user)
            return view(request, sandbox, *args, **kwargs)
        except ApiError as error:
            template = "sandbox/partials/status.html" if request.htmx else "sandbox/error.html"
            return render(request, template, {"status": error.status()}, status=error.code)

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
            sandbox = sandbox_for(request.user, sandbox_id)
            return view(request, sandbox, *args, **kwargs)
        except ApiError as error:
            return JsonResponse(error.status(), status=error.code)

    return wrapper
