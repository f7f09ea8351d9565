"""The sandbox's history for the page's replay, as JSON (see sandbox/history.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from cluster.models import Sandbox
from sandbox import rate_limits
from sandbox.history import PAGE_REVISIONS, sandbox_history
from sandbox.views.access import sandbox_json_view


@require_GET
@sandbox_json_view
def history_page(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """GET ?to=<revision>&revisions=<how many>: the page of history that ends at `to`."""
    rate_limits.count_call(request.user, rate_limits.HISTORY)
    try:
        to = int(request.GET["to"]) if request.GET.get("to") else None
        revisions = int(request.GET.get("revisions") or PAGE_REVISIONS)
    except ValueError:
        return JsonResponse({"message": "to and revisions must be whole numbers"}, status=400)
    return JsonResponse(sandbox_history(sandbox, request.user, to=to, revisions=revisions))
