"""Reads the web layer needs, through the API server."""

from __future__ import annotations

from cluster.apiserver import ApiServer
from cluster.apiserver.errors import ApiError
from cluster.models import Sandbox


def sandbox_for_viewer(sandbox_id: int, user) -> tuple[Sandbox, int]:
    """The sandbox and its current revision, if this user may watch it (else ApiError)."""
    sandbox = Sandbox.objects.select_related("classroom").filter(pk=sandbox_id).first()
    if sandbox is None:
        raise ApiError(404, "NotFound", f'sandbox "{sandbox_id}" not found')
    # Watching the sandbox is listing its namespaces: the API server authenticates,
    # authorizes and traces it like any other read.
    namespaces = ApiServer.as_user(sandbox, user).list("namespaces")
    return sandbox, int(namespaces["metadata"]["resourceVersion"])


def sandboxes_for_user(user) -> list[Sandbox]:
    return list(Sandbox.objects.filter(owner=user).order_by("-created_at"))


def sandbox_overview(sandbox: Sandbox, user) -> dict:
    """Nodes and pods of a sandbox as this user may see them."""
    apiserver = ApiServer.as_user(sandbox, user)
    nodes = apiserver.list("nodes")
    pods = apiserver.list("pods")
    return {
        "revision": int(pods["metadata"]["resourceVersion"]),
        "nodes": nodes["items"],
        "pods": pods["items"],
    }
