"""Full pages: the home page, a new sandbox, the live sandbox page, reset, delete."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cluster.models import Sandbox
from cluster.sandboxes import (
    SandboxLimitReached,
    sandbox_create_within_limit,
    sandbox_delete,
    sandbox_limit,
    sandbox_reset,
)
from cluster.topology import SHAPES
from sandbox.selectors import sandbox_snapshot, sandboxes_for_user, sandboxes_taught
from sandbox.views.access import sandbox_view
from sandbox.views.controls import SPEEDS

# The live page's script modules, preloaded in parallel from the page's head:
# otherwise the browser finds each import only after fetching its importer.
LIVE_PAGE_MODULES = tuple(
    sorted(
        f"js/podlab/{path.name}" for path in (settings.BASE_DIR / "static/js/podlab").glob("*.js")
    )
)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render_home(request)


def render_home(request: HttpRequest, *, limit_error: str = "", status: int = 200) -> HttpResponse:
    sandboxes = sandboxes_for_user(request.user)
    limit = sandbox_limit(request.user)
    return render(
        request,
        "sandbox/home.html",
        {
            "sandboxes": sandboxes,
            "taught": sandboxes_taught(request.user),
            "shapes": SHAPES.values(),
            "sandbox_limit": limit,
            "at_limit": limit is not None and len(sandboxes) >= limit,
            "limit_error": limit_error,
        },
        status=status,
    )


@require_POST
@login_required
def sandbox_new(request: HttpRequest) -> HttpResponse:
    shape = request.POST.get("shape", "lesson")
    if shape not in SHAPES:
        return HttpResponse(f"Unknown cluster shape {shape!r}", status=400)
    try:
        sandbox = sandbox_create_within_limit(
            owner=request.user, name=SHAPES[shape].title, shape=shape
        )
    except SandboxLimitReached as refused:
        return render_home(request, limit_error=str(refused), status=403)
    return redirect("sandbox-detail", sandbox_id=sandbox.pk)


@require_GET
@sandbox_view
def sandbox_detail(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    snapshot = sandbox_snapshot(sandbox, request.user)
    base = f"/sandboxes/{sandbox.pk}/"
    return render(
        request,
        "sandbox/detail.html",
        {
            "sandbox": sandbox,
            "snapshot": snapshot,
            "panel_base": base,
            "history_url": f"{base}history/",
            "ws_path": f"/ws/sandboxes/{sandbox.pk}/",
            "speeds": SPEEDS,
            "live_modules": LIVE_PAGE_MODULES,
        },
    )


@require_POST
@sandbox_view
def sandbox_reset_view(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    sandbox_reset(sandbox, request.user)
    return redirect("sandbox-detail", sandbox_id=sandbox.pk)


@require_POST
@sandbox_view
def sandbox_delete_view(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    name = sandbox.name
    sandbox_delete(sandbox, request.user)
    messages.success(request, f"Sandbox “{name}” deleted.")
    return redirect("home")
