"""Services that make and reset sandboxes. Every object goes in through the API server."""

from __future__ import annotations

from django.db import transaction

from cluster.apiserver import ApiServer
from cluster.apiserver.server import SYSTEM_NAMESPACES
from cluster.models import Classroom, Sandbox
from cluster.topology import SHAPES, node_manifest


@transaction.atomic
def sandbox_create(
    *, owner, name: str, shape: str = "lesson", classroom: Classroom | None = None
) -> Sandbox:
    """A new sandbox: system namespaces (from the API server itself) and registered nodes."""
    cluster_shape = SHAPES[shape]
    sandbox = Sandbox.objects.create(owner=owner, name=name, classroom=classroom)
    apiserver = ApiServer.as_component(sandbox, "kube-apiserver")
    for namespace in SYSTEM_NAMESPACES:
        apiserver.create("namespaces", {"metadata": {"name": namespace}})
    for index, node in enumerate(cluster_shape.nodes, start=2):
        kubelet = ApiServer.as_component(sandbox, f"kubelet/{node.name}")
        kubelet.create("nodes", node_manifest(node, address=f"10.0.0.{index}", now=sandbox.now()))
    return sandbox
