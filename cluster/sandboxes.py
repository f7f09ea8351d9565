"""Services that make and reset sandboxes. Every object goes in through the API server."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from cluster import informer_facts
from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.authn import caller_for_user
from cluster.apiserver.authz import write_grant
from cluster.apiserver.strategy import SYSTEM_NAMESPACES
from cluster.clock import clock_resume, clock_set_speed
from cluster.components.controllers import CONTROLLERS
from cluster.components.controllers.namespace import NAMESPACED_RESOURCES
from cluster.coordination import component_lock
from cluster.models import Classroom, ComponentState, Sandbox
from cluster.topology import NodeShape, node_manifest, template_nodes

CONTROLLER_MANAGER = "controller-manager"
# Objects every cluster has from the start (the API server's own Service).
KEPT_OBJECTS = {("default", "kubernetes")}
# A deleted sandbox leaves no trace of its own to keep the deletion in: the operator's log does.
audit = logging.getLogger("podlab.audit")
# How long a deletion waits for each component's tick in flight to finish (a tick
# holds its lock for well under a second; a crashed one's lock lapses by itself).
TICK_IN_FLIGHT_WAIT_SECONDS = 10
KUBERNETES_SERVICE_IP = "10.96.0.1"  # the first address of the service CIDR, as upstream
APISERVER_PORT = 6443


@transaction.atomic
def sandbox_create(
    *,
    owner,
    name: str,
    shape: str = "lesson",
    classroom: Classroom | None = None,
    mode: str = Sandbox.Mode.WATCH,
    nodes: tuple[NodeShape, ...] = (),
    intervals: dict[str, float] | None = None,
) -> Sandbox:
    """A new sandbox: system namespaces (from the API server itself) and registered nodes,
    its shape's or, if given, these. intervals: poll mode's periods (Sandbox.intervals)."""
    sandbox = Sandbox.objects.create(
        owner=owner,
        name=name,
        classroom=classroom,
        mode=mode,
        shape=shape,
        nodes=[node.as_json() for node in nodes],
        intervals=dict(intervals or {}),
    )
    informer_facts.start_knowing(sandbox.pk)  # before its first Service
    apiserver = ApiServer.as_component(sandbox, "kube-apiserver")
    for namespace in SYSTEM_NAMESPACES:
        apiserver.create("namespaces", {"metadata": {"name": namespace}})
    ComponentState.objects.create(sandbox=sandbox, name="scheduler")
    for name in controller_components():
        ComponentState.objects.create(sandbox=sandbox, name=name)
    for index, node in enumerate(template_nodes(shape, sandbox.nodes), start=2):
        node_add(sandbox, node, address=f"10.0.0.{index}", pod_cidr=f"10.244.{index - 2}.0/24")
    kubernetes_service_ensure(sandbox)
    return sandbox


class SandboxLimitReached(Exception):
    """The owner has as many sandboxes as one account may have."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"You already have {limit} sandbox{'' if limit == 1 else 'es'}, the most one"
            " account may have."
            " Delete one you no longer need, then create the new one."
        )


def sandbox_limit(user) -> int | None:
    """How many sandboxes this user may own; None: no limit (an administrator)."""
    return None if user.is_superuser else settings.PODLAB_MAX_SANDBOXES_PER_USER


@transaction.atomic
def sandbox_create_within_limit(*, owner, name: str, shape: str = "lesson") -> Sandbox:
    """sandbox_create for a person asking for one: refused with SandboxLimitReached when
    they own sandbox_limit() already. (Services such as the demo seed and the benchmarks
    make theirs with sandbox_create.)"""
    claim_sandbox_room(owner)
    return sandbox_create(owner=owner, name=name, shape=shape)


def claim_sandbox_room(owner) -> None:
    """Raise SandboxLimitReached if the owner has sandbox_limit() sandboxes already; call
    it in the transaction that makes the new one."""
    limit = sandbox_limit(owner)
    if limit is not None:
        # The owner's row, locked, makes two creates at once count one after the other,
        # or both would find room for one more.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        if Sandbox.objects.filter(owner=owner).count() >= limit:
            raise SandboxLimitReached(limit)


def sandbox_delete(sandbox: Sandbox, user) -> None:
    """Delete a sandbox and everything in it, for its owner or an administrator (an
    instructor who may watch it gets 403 Forbidden).

    Its components stop first, and each one's tick in flight is waited for (under the
    component's lock, as a reset does), so no tick writes into a keyspace being
    deleted; ticks still queued find no sandbox and do nothing. Then the sandbox's row
    goes, and with it, in the same transaction, its keyspace, watch log, traces and
    components' memory, as an etcd cluster's data goes with the cluster.
    """
    caller = caller_for_user(user)
    if not write_grant(caller, sandbox):
        raise ApiError(
            403,
            "Forbidden",
            f'sandbox "{sandbox.pk}" is forbidden: User "{caller.username}" cannot delete it:'
            " only its owner or an administrator may",
        )
    components = ComponentState.objects.filter(sandbox=sandbox)
    names = list(components.values_list("name", flat=True))
    components.update(running=False)
    for name in names:
        with component_lock(sandbox.pk, name, wait=TICK_IN_FLIGHT_WAIT_SECONDS):
            pass  # the tick in flight, if any, has finished; later ones find it stopped
    with transaction.atomic():
        # The row, locked first: a write still committing into the sandbox's tables (a
        # page's traced read, say) checks its foreign key against this row at commit, so
        # it either commits before the lock, and its rows go with the rest, or waits and
        # fails after the delete. Without the lock, one landing between the deletes of
        # two tables failed the whole delete.
        Sandbox.objects.select_for_update().filter(pk=sandbox.pk).first()
        Sandbox.objects.filter(pk=sandbox.pk).delete()
    informer_facts.forget(sandbox.pk)
    audit.info(
        "sandbox %s (%r, owner %s) deleted by %s",
        sandbox.pk,
        sandbox.name,
        sandbox.owner_id,
        caller.username,
    )


def kubernetes_service_ensure(sandbox: Sandbox) -> None:
    """default/kubernetes: the API server's own Service at the service CIDR's first address,
    and its Endpoints and EndpointSlice naming each control-plane node's API server, as
    kube-apiserver creates them at start (its "kubernetes" service controller and endpoint
    reconciler). Each is made if missing, so a sandbox made before one existed gets it."""
    apiserver = ApiServer.as_component(sandbox, "kube-apiserver")
    existing = {
        resource: {
            obj["metadata"]["name"]
            for obj in apiserver.list(resource, namespace="default")["items"]
        }
        for resource in ("services", "endpoints", "endpointslices")
    }
    if "kubernetes" not in existing["services"]:
        apiserver.create(
            "services",
            {
                "metadata": {
                    "name": "kubernetes",
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                "spec": {
                    "clusterIP": KUBERNETES_SERVICE_IP,
                    "ports": [{"name": "https", "port": 443, "targetPort": APISERVER_PORT}],
                },
            },
            namespace="default",
        )
    addresses = [
        address["address"]
        for node in apiserver.list("nodes")["items"]
        if "node-role.kubernetes.io/control-plane" in node["metadata"].get("labels", {})
        for address in node.get("status", {}).get("addresses", [])
        if address.get("type") == "InternalIP"
    ]
    port = {"name": "https", "port": APISERVER_PORT, "protocol": "TCP"}
    if "kubernetes" not in existing["endpoints"]:
        apiserver.create(
            "endpoints",
            {
                "metadata": {
                    "name": "kubernetes",
                    # The reconciler's Endpoints is mirrored by no slice: it writes its own.
                    "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
                },
                "subsets": [{"addresses": [{"ip": ip} for ip in addresses], "ports": [port]}]
                if addresses
                else [],
            },
            namespace="default",
        )
    if "kubernetes" not in existing["endpointslices"]:
        apiserver.create(
            "endpointslices",
            {
                "metadata": {
                    "name": "kubernetes",
                    "labels": {"kubernetes.io/service-name": "kubernetes"},
                },
                "addressType": "IPv4",
                "endpoints": [
                    {"addresses": [address], "conditions": {"ready": True}} for address in addresses
                ],
                "ports": [port],
            },
            namespace="default",
        )


def sandbox_reset(sandbox: Sandbox, user) -> None:
    """Back to the template: no pods or events, the template's nodes as new, every
    component fresh, the clock running at normal speed. Each change is an API call."""
    apiserver = ApiServer.as_user(sandbox, user)
    apiserver.fault(
        "reset", sandbox.name, apply=lambda: None, narration="reset the sandbox to its template"
    )
    clock_resume(sandbox)
    clock_set_speed(sandbox, 1.0)
    _objects_reset(apiserver)
    shape = {node.name: node for node in template_nodes(sandbox.shape, sandbox.nodes)}
    existing = {node["metadata"]["name"]: node for node in apiserver.list("nodes")["items"]}
    for service in apiserver.list("services")["items"]:
        meta = service["metadata"]
        if (meta["namespace"], meta["name"]) != ("default", "kubernetes"):
            apiserver.delete("services", meta["name"], namespace=meta["namespace"])
    for name in existing.keys() - shape.keys():
        apiserver.delete("nodes", name)
        ComponentState.objects.filter(
            sandbox=sandbox, name__in=[f"kubelet/{name}", f"kube-proxy/{name}"]
        ).delete()
    for index, (name, node) in enumerate(shape.items(), start=2):
        template = node_manifest(node, address=f"10.0.0.{index}", now=sandbox.now())
        if name in existing:
            apiserver.patch(
                "nodes",
                name,
                {"spec": {"unschedulable": None, "taints": template["spec"].get("taints")}},
            )
        else:
            node_add(sandbox, node, address=f"10.0.0.{index}", pod_cidr=f"10.244.{index - 2}.0/24")
    for name in ComponentState.objects.filter(sandbox=sandbox).values_list("name", flat=True):
        # Under the component's lock, so a tick in flight cannot save old memory over it.
        with component_lock(sandbox.pk, name, wait=10):
            row = ComponentState.objects.get(sandbox=sandbox, name=name)
            row.state = {"podCIDR": row.state["podCIDR"]} if "podCIDR" in row.state else {}
            row.running = True
            row.last_tick_at = None
            row.save(update_fields=["state", "running", "last_tick_at"])


def _objects_reset(apiserver: ApiServer) -> None:
    """Every namespaced object goes now, owners before what they own (the kubelets' leases
    and KEPT_OBJECTS stay), and the students' namespaces with them. A reset does the
    namespace controller's job itself, without waiting for grace periods or finalizers:
    it is the teacher's eraser, not a lesson."""
    namespaces = [
        namespace["metadata"]["name"]
        for namespace in apiserver.list("namespaces")["items"]
        if namespace["metadata"]["name"] not in SYSTEM_NAMESPACES
    ]
    for name in namespaces:  # Terminating first: nothing new goes in meanwhile
        _ignoring_not_found(lambda name=name: apiserver.delete("namespaces", name))
    for _, resource in NAMESPACED_RESOURCES:
        try:
            items = apiserver.list(resource)["items"]
        except ApiError as error:
            if error.code != 404:  # 404: a kind this API server does not serve
                raise
            continue
        for obj in items:
            meta = obj["metadata"]
            kept = resource == "leases" and meta["namespace"] in SYSTEM_NAMESPACES
            if kept or (meta["namespace"], meta["name"]) in KEPT_OBJECTS:
                continue
            _ignoring_not_found(
                lambda resource=resource, meta=meta: _delete_now(apiserver, resource, meta)
            )
    for name in namespaces:
        _ignoring_not_found(lambda name=name: _namespace_finalize(apiserver, name))


def _delete_now(apiserver: ApiServer, resource: str, meta: dict) -> None:
    name, namespace = meta["name"], meta["namespace"]
    left = apiserver.delete(
        resource, name, namespace=namespace, grace_period_seconds=0, propagation_policy="Background"
    )
    if left.get("metadata", {}).get("finalizers"):  # held: the reset lets it go
        apiserver.patch(resource, name, {"metadata": {"finalizers": None}}, namespace=namespace)


def _namespace_finalize(apiserver: ApiServer, name: str) -> None:
    namespace = apiserver.get("namespaces", name)
    if namespace["metadata"].get("finalizers"):
        namespace = apiserver.patch("namespaces", name, {"metadata": {"finalizers": None}})
    namespace["spec"]["finalizers"] = []
    apiserver.update("namespaces", namespace, subresource="finalize")


def _ignoring_not_found(call: Callable[[], object]) -> None:
    """Gone already (a controller got there first) is as good as done."""
    try:
        call()
    except ApiError as error:
        if error.code != 404:
            raise


def components_ensure(sandbox: Sandbox) -> None:
    """Give a sandbox made before components existed its scheduler and kubelets."""
    ComponentState.objects.get_or_create(sandbox=sandbox, name="scheduler")
    for name in controller_components():
        ComponentState.objects.get_or_create(sandbox=sandbox, name=name)
    nodes = ApiServer.as_component(sandbox, "kube-apiserver").list("nodes")["items"]
    for index, node in enumerate(nodes):
        pod_cidr = node.get("spec", {}).get("podCIDR") or f"10.244.{index}.0/24"
        ComponentState.objects.get_or_create(
            sandbox=sandbox,
            name=f"kubelet/{node['metadata']['name']}",
            defaults={"state": {"podCIDR": pod_cidr}},
        )
        ComponentState.objects.get_or_create(
            sandbox=sandbox, name=f"kube-proxy/{node['metadata']['name']}"
        )
    kubernetes_service_ensure(sandbox)


def controller_components() -> list[str]:
    """The controller manager's controllers, each a component of its own."""
    return [f"{CONTROLLER_MANAGER}/{name}" for name in CONTROLLERS]


def node_add(sandbox: Sandbox, shape: NodeShape, *, address: str, pod_cidr: str) -> None:
    """Boot a node: its kubelet registers the Node with the API server and starts ticking."""
    kubelet = f"kubelet/{shape.name}"
    manifest = node_manifest(shape, address=address, now=sandbox.now())
    manifest["spec"]["podCIDR"] = pod_cidr
    manifest["spec"]["podCIDRs"] = [pod_cidr]
    ApiServer.as_component(sandbox, kubelet).create("nodes", manifest)
    ComponentState.objects.create(sandbox=sandbox, name=kubelet, state={"podCIDR": pod_cidr})
    ComponentState.objects.create(sandbox=sandbox, name=f"kube-proxy/{shape.name}")


# -- how components learn of changes ----------------------------------------------


def mode_set(sandbox: Sandbox, mode: str) -> None:
    """Switch how components learn about changes: watch (as Kubernetes does) or poll (as
    the lesson tells it). Only this field is saved, so a clock control racing with the
    switch keeps its own change."""
    if mode not in Sandbox.Mode.values:
        raise ValueError(f"mode must be one of {', '.join(Sandbox.Mode.values)}")
    sandbox.mode = mode
    sandbox.save(update_fields=["mode"])
