"""Pages. Views read and change cluster state only through the API server."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cluster.apiserver import ApiError
from sandbox.selectors import sandbox_for_viewer, sandbox_overview, sandboxes_for_user


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "sandbox/home.html", {"sandboxes": sandboxes_for_user(request.user)})


@require_GET
@login_required
def sandbox_detail(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    try:
        sandbox, _ = sandbox_for_viewer(sandbox_id, request.user)
        overview = sandbox_overview(sandbox, request.user)
    except ApiError as error:
        return render(request, "sandbox/error.html", {"status": error.status()}, status=error.code)
    return render(request, "sandbox/detail.html", {"sandbox": sandbox, **overview})
