"""The pages around the API: a sandbox's kubeconfig, the user's API tokens, and the
command box's answers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from cluster.models import ApiToken, Sandbox
from kubeapi.command_box.box import answer
from kubeapi.kubeconfig import issue_kubeconfig, sandbox_server_url
from sandbox.views.access import sandbox_view


@require_POST
@sandbox_view
def kubeconfig_download(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """A kubeconfig for this sandbox, with a new token (POST: it makes one), for whoever
    may change the sandbox (its owner, an administrator); the API server still decides
    each call made with it."""
    response = HttpResponse(
        issue_kubeconfig(sandbox, request.user), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="podlab-{sandbox.pk}.kubeconfig"'
    return response


@require_GET
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    sandboxes = Sandbox.objects.filter(owner=request.user).order_by("pk")
    servers = [(sandbox, sandbox_server_url(sandbox)) for sandbox in sandboxes]
    return render(request, "kubeapi/tokens.html", {"tokens": tokens, "servers": servers})


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Another user's token is not found, as if it did not exist."""
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token.delete()
    messages.success(request, f"Revoked “{token.name}”: kubectl with it now gets 401 Unauthorized.")
    return redirect("api-tokens")


@require_POST
@sandbox_view
def command_box(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """A command typed in the page's command box, for whoever may change the sandbox
    (sandbox_view has checked, before anything is read); its answer is appended to the
    box's output. Each API call it makes is authorized again by the API server."""
    reply = answer(sandbox, request.user, request.POST.get("command", ""))
    return render(request, "kubeapi/command_answer.html", {"answer": reply})
