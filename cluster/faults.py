"""Faults a lesson injects outside the Kubernetes API, each traced by the API server.

Faults that are API calls (delete a pod, cordon, taint, remove a node) are
just API calls; these are the ones that happen on a node or to a component:
a container crashes, a kubelet or the scheduler stops and starts again, a
new worker node boots.
"""

from __future__ import annotations

from contextlib import ExitStack

from cluster import tasks
from cluster.apiserver import ApiError, ApiServer
from cluster.components.runtime import ContainerRuntime
from cluster.coordination import component_lock
from cluster.models import ComponentState, Sandbox
from cluster.sandboxes import CONTROLLER_MANAGER, node_add
from cluster.topology import NodeShape


class FaultError(ApiError):
    """The fault cannot happen now (no such container, node already there...): a 409."""

    def __init__(self, message: str):
        super().__init__(409, "Conflict", message)


def container_crash(
    sandbox: Sandbox, user, *, namespace: str, pod: str, container: str, exit_code: int = 1
) -> None:
    """The container's process dies with exit_code; its kubelet notices on its next tick."""
    apiserver = ApiServer.as_user(sandbox, user)
    manifest = apiserver.get("pods", pod, namespace=namespace)
    node = manifest["spec"].get("nodeName")
    if not node:
        raise FaultError(f"pod {namespace}/{pod} is not on a node yet")
    kubelet = f"kubelet/{node}"

    def crash() -> None:
        row = ComponentState.objects.get(sandbox=sandbox, name=kubelet)
        uid = manifest["metadata"]["uid"]
        memory = row.state.get("pods", {}).get(uid, {})
        container_id = memory.get("containers", {}).get(container, {}).get("current")
        if not container_id:
            raise FaultError(_not_running(manifest, container))
        runtime = ContainerRuntime(row.state.setdefault("runtime", {}), node)
        if runtime.container_status(container_id, sandbox.now()).state != "running":
            raise FaultError(_not_running(manifest, container))
        runtime.crash_container(container_id, exit_code, sandbox.now())
        row.state["wake_at"] = None
        row.save(update_fields=["state"])

    # The kubelet's lock is held until the fault's transaction has committed: a tick that
    # took it between the crash's write and its commit would read the memory from before
    # the crash and save it over it (the container then runs on, never restarted).
    # A tick holds the lock for milliseconds: wait for it, as node_stop does, rather than
    # refuse a lesson's crash (its run would fail on a "busy").
    with component_lock(sandbox.pk, kubelet, wait=10) as locked:
        if not locked:
            raise FaultError(f"{kubelet} is busy; try again")
        apiserver.fault(
            "crash",
            pod,
            resource="pods",
            namespace=namespace,
            apply=crash,
            narration=f"crashed container {container} of pod {namespace}/{pod} on {node}"
            f" with exit code {exit_code}",
        )
    tasks.wake(sandbox.pk, kubelet)


def _not_running(pod: dict, container: str) -> str:
    """Why a container has no process to crash, in its pod's status words."""
    meta = pod["metadata"]
    what = f"container {container} of pod {meta['namespace']}/{meta['name']} is not running"
    statuses = pod.get("status", {}).get("containerStatuses", [])
    state = next((c.get("state", {}) for c in statuses if c["name"] == container), {})
    if reason := state.get("waiting", {}).get("reason"):
        if reason == "CrashLoopBackOff":
            return (
                f"{what}: it is waiting in {reason} (the kubelet restarts it when the back-off"
                " ends), so there is no process to crash; crash it again once it is running"
            )
        return f"{what}: it is waiting ({reason}), so there is no process to crash yet"
    if reason := state.get("terminated", {}).get("reason"):
        return f"{what}: it has terminated ({reason}), so there is no process to crash"
    return f"{what}, so there is no process to crash"


def component_stop(sandbox: Sandbox, user, component: str) -> None:
    """Stop the scheduler, a kubelet or the controller manager (all its controllers): it
    makes no more API calls until started."""
    _set_running(sandbox, user, component, running=False)


def component_start(sandbox: Sandbox, user, component: str) -> None:
    for name in _set_running(sandbox, user, component, running=True):
        tasks.wake(sandbox.pk, name)


def _component_rows(sandbox: Sandbox, component: str):
    rows = ComponentState.objects.filter(sandbox=sandbox)
    if component == CONTROLLER_MANAGER:
        return rows.filter(name__startswith=f"{CONTROLLER_MANAGER}/")
    return rows.filter(name=component)


def _set_running(sandbox: Sandbox, user, component: str, *, running: bool) -> list[str]:
    rows = _component_rows(sandbox, component)
    names = list(rows.values_list("name", flat=True))
    if not names:
        raise ApiError(404, "NotFound", f"there is no {component} in this sandbox")
    verb = "start" if running else "stop"
    ApiServer.as_user(sandbox, user).fault(
        verb,
        component,
        apply=lambda: rows.update(running=running),
        narration=f"started {component}" if running else f"stopped {component}",
    )
    return names


def node_stop(sandbox: Sandbox, user, *, name: str) -> None:
    """The node powers off: its kubelet, container runtime and kube-proxy stop, and its
    containers are gone. Nothing tells the API server: the node just stops reporting, and
    the node lifecycle controller finds out when its Lease is not renewed."""
    rows = _node_rows(sandbox, name)
    if not rows:
        raise ApiError(404, "NotFound", f'nodes "{name}" not found')

    def power_off() -> None:
        for row_name in rows:
            row = ComponentState.objects.get(sandbox=sandbox, name=row_name)
            if row_name.startswith("kubelet/"):
                runtime_state = row.state.get("runtime") or {}
                if runtime_state:
                    ContainerRuntime(runtime_state, name).power_off()
                # What the kubelet kept in memory is lost; the podCIDR is configuration.
                row.state = {"podCIDR": row.state.get("podCIDR"), "runtime": runtime_state}
            else:
                row.state = {}
            row.running = False
            row.save(update_fields=["state", "running"])

    # Each component's lock is held until the fault's transaction has committed, as for a
    # crash: a tick in between would save the memory from before over the powered-off one.
    with ExitStack() as held:
        for row_name in rows:
            if not held.enter_context(component_lock(sandbox.pk, row_name, wait=10)):
                raise FaultError(f"{row_name} is busy; try again")
        ApiServer.as_user(sandbox, user).fault(
            "stop",
            name,
            resource="nodes",
            apply=power_off,
            narration=f"powered off node {name}: its kubelet, container runtime and kube-proxy"
            " stopped, and its containers are gone",
        )


def node_start(sandbox: Sandbox, user, *, name: str) -> None:
    """The node boots again: its kubelet reports to the API server and starts the pods
    still bound to it; kube-proxy rebuilds its rules."""
    rows = _node_rows(sandbox, name)
    if not rows:
        raise ApiError(404, "NotFound", f'nodes "{name}" not found')
    ApiServer.as_user(sandbox, user).fault(
        "start",
        name,
        resource="nodes",
        apply=lambda: ComponentState.objects.filter(sandbox=sandbox, name__in=rows).update(
            running=True
        ),
        narration=f"powered on node {name}: its kubelet and kube-proxy start again",
    )
    for row_name in rows:
        tasks.wake(sandbox.pk, row_name)


def _node_rows(sandbox: Sandbox, name: str) -> list[str]:
    """The components that run on a node: its kubelet (with the runtime) and kube-proxy."""
    return list(
        ComponentState.objects.filter(
            sandbox=sandbox, name__in=[f"kubelet/{name}", f"kube-proxy/{name}"]
        ).values_list("name", flat=True)
    )


def worker_remove(sandbox: Sandbox, user, *, name: str) -> None:
    """A worker node leaves for good: its Node is deleted and its kubelet stops.

    Its pods stay bound to a node that is gone, as in a real cluster until the
    pod garbage collector removes them.
    """
    node_components = ComponentState.objects.filter(
        sandbox=sandbox, name__in=[f"kubelet/{name}", f"kube-proxy/{name}"]
    )
    ApiServer.as_user(sandbox, user).delete("nodes", name)
    node_components.delete()


def worker_add(sandbox: Sandbox, user, *, name: str, cpu: str = "2", memory: str = "4Gi") -> None:
    """Boot a new worker node; its kubelet registers it with the API server."""
    if ComponentState.objects.filter(sandbox=sandbox, name=f"kubelet/{name}").exists():
        raise FaultError(f"node {name} already exists")
    count = ComponentState.objects.filter(sandbox=sandbox, name__startswith="kubelet/").count()
    shape = NodeShape(name, cpu=cpu, memory=memory)
    ApiServer.as_user(sandbox, user).fault(
        "boot",
        name,
        resource="nodes",
        apply=lambda: None,
        narration=f"booted a new worker node {name} ({cpu} CPU, {memory})",
    )
    node_add(sandbox, shape, address=f"10.0.0.{count + 2}", pod_cidr=f"10.244.{count}.0/24")
