"""Kubernetes-shaped nodes, pods, traces and change batches for the browser tests,
shaped like the API server's real snapshot (see sandbox/selectors.py)."""

from __future__ import annotations

import copy
import itertools

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
BASE_TIME = "2026-11-26T22:27:00"

_uids = itertools.count(1)
_trace_ids = itertools.count(1000)


def node(
    name: str,
    *,
    ready: bool = True,
    control_plane: bool = False,
    unschedulable: bool = False,
    taints: list[dict] | None = None,
    cpu: str = "2",
    memory: str = "4Gi",
) -> dict:
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    spec: dict = {}
    if control_plane:
        labels[CONTROL_PLANE_LABEL] = ""
        taints = [{"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"}, *(taints or [])]
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    condition = {
        "type": "Ready",
        "status": "True" if ready else "Unknown",
        "reason": "KubeletReady" if ready else "NodeStatusUnknown",
        "message": "kubelet is posting ready status"
        if ready
        else "Kubelet stopped posting node status.",
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "uid": f"node-uid-{name}",
            "resourceVersion": "1",
        },
        "spec": spec,
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [condition],
            "nodeInfo": {
                "containerRuntimeVersion": "podlab-cri://1.0.0",
                "kubeletVersion": "v1.32.4",
            },
        },
    }


def pod(
    name: str,
    *,
    node_name: str | None = None,
    phase: str = "Pending",
    state: dict | None = None,
    restarts: int = 0,
    ready: bool = False,
    cpu: str | None = None,
    memory: str | None = None,
    terminating: bool = False,
    created: int = 0,
    namespace: str = "default",
) -> dict:
    """A pod; state is a container state such as {"running": {}} or
    {"waiting": {"reason": "CrashLoopBackOff"}}."""
    requests = {key: value for key, value in (("cpu", cpu), ("memory", memory)) if value}
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"pod-uid-{next(_uids)}",
            "creationTimestamp": f"{BASE_TIME[:-2]}{created:02d}Z",
            "resourceVersion": "1",
        },
        "spec": {
            "containers": [{"name": "app", "image": "nginx", "resources": {"requests": requests}}],
            "restartPolicy": "Always",
        },
        "status": {"phase": phase},
    }
    if terminating:
        manifest["metadata"]["deletionTimestamp"] = f"{BASE_TIME}Z"
    if node_name:
        manifest["spec"]["nodeName"] = node_name
        manifest["status"]["conditions"] = [{"type": "PodScheduled", "status": "True"}]
    if state is not None:
        manifest["status"]["containerStatuses"] = [
            {
                "name": "app",
                "image": "nginx",
                "imageID": "",
                "ready": ready,
                "restartCount": restarts,
                "state": state,
            },
        ]
    return manifest


def running(name: str, node_name: str, **extra) -> dict:
    return pod(
        name, node_name=node_name, phase="Running", state={"running": {}}, ready=True, **extra
    )


def trace(
    actor: str,
    verb: str,
    resource: str,
    name: str,
    revision: int,
    *,
    subresource: str = "",
    namespace: str = "default",
    code: int | None = None,
    reason: str = "",
    narration: str = "",
    second: int = 0,
    user_agent: str = "",
) -> dict:
    if code is None:
        code = 201 if verb == "create" else 200
    ok = code < 400
    return {
        "id": next(_trace_ids),
        "revision": revision,
        "actor": actor,
        "user_agent": user_agent,
        "verb": verb,
        "resource": resource,
        "subresource": subresource,
        "namespace": namespace if resource not in ("nodes", "components") else "",
        "name": name,
        "code": code,
        "reason": reason,
        "duration_ms": 1.5,
        "narration": narration or f"{actor} {verb} {resource} {name} (revision {revision})",
        "stages": [
            {"stage": "authentication", "ok": True, "detail": f"{actor} is known"},
            {"stage": "authorization", "ok": ok, "detail": "allowed" if ok else reason},
        ],
        "sandbox_time": f"2026-11-26T22:28:{second:02d}.000000+00:00",
    }


def pod_key(manifest: dict) -> str:
    return f"/registry/pods/{manifest['metadata']['namespace']}/{manifest['metadata']['name']}"


def snapshot(
    nodes: list[dict],
    pods: list[dict],
    *,
    revision: int = 10,
    components: dict[str, bool] | None = None,
    traces: list[dict] | None = None,
    paused: bool = False,
    speed: float = 1.0,
    mode: str = "watch",
) -> dict:
    if components is None:
        components = {"scheduler": True} | {f"kubelet/{n['metadata']['name']}": True for n in nodes}
    return {
        "type": "snapshot",
        "revision": revision,
        "sandbox": {
            "id": 1,
            "name": "lesson",
            "mode": mode,
            "paused": paused,
            "speed": speed,
            "now": "2026-11-26T22:28:00+00:00",
        },
        "nodes": nodes,
        "pods": pods,
        "components": [{"name": name, "running": up} for name, up in components.items()],
        "traces": traces or [],
    }


def changes(revision: int, events: list[dict], traces: list[dict]) -> dict:
    return {"type": "changes", "revision": revision, "events": events, "traces": traces}


def modified(before: dict, revision: int, change) -> tuple[dict, dict]:
    """The MODIFIED event that applies change(copy) to before, and the new object."""
    after = copy.deepcopy(before)
    change(after)
    after["metadata"]["resourceVersion"] = str(revision)
    event = {
        "type": "MODIFIED",
        "key": pod_key(before),
        "revision": revision,
        "object": after,
        "previous": before,
    }
    return event, after


def added(manifest: dict, revision: int) -> dict:
    stored = copy.deepcopy(manifest)
    stored["metadata"]["resourceVersion"] = str(revision)
    return {
        "type": "ADDED",
        "key": pod_key(manifest),
        "revision": revision,
        "object": stored,
        "previous": None,
    }


def mixed_cluster() -> dict:
    """Three workers, a dozen pods in every state, a NotReady node and a stopped scheduler."""
    nodes = [
        node("control-plane", control_plane=True),
        node("node-1", cpu="4", memory="8Gi"),
        node(
            "node-2",
            cpu="4",
            memory="8Gi",
            unschedulable=True,
            taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}],
        ),
        node(
            "node-3",
            ready=False,
            taints=[
                {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
            ],
        ),
    ]
    pods = [
        running("web-7d4b9", "node-1", cpu="500m", memory="256Mi", created=1),
        running("api-5f6c8", "node-1", cpu="1", memory="1Gi", created=2),
        pod(
            "worker-crash",
            node_name="node-1",
            phase="Running",
            restarts=4,
            cpu="250m",
            memory="128Mi",
            state={
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": "back-off 40s restarting failed container",
                }
            },
            created=3,
        ),
        pod(
            "cache",
            node_name="node-1",
            phase="Pending",
            cpu="250m",
            memory="512Mi",
            state={"waiting": {"reason": "ContainerCreating"}},
            created=4,
        ),
        running("db-0", "node-2", cpu="1500m", memory="2Gi", created=5),
        pod(
            "old-job",
            node_name="node-2",
            phase="Succeeded",
            state={"terminated": {"reason": "Completed", "exitCode": 0}},
            created=6,
        ),
        pod(
            "typo-image",
            node_name="node-2",
            phase="Pending",
            cpu="100m",
            state={
                "waiting": {
                    "reason": "ImagePullBackOff",
                    "message": 'Back-off pulling image "ngnix"',
                }
            },
            created=7,
        ),
        running("legacy", "node-3", cpu="500m", memory="512Mi", terminating=True, created=8),
        pod(
            "oom",
            node_name="node-3",
            phase="Running",
            restarts=1,
            memory="64Mi",
            state={"terminated": {"reason": "OOMKilled", "exitCode": 137}},
            created=9,
        ),
        pod("batch-1", created=10),
        pod("batch-2", created=11),
        pod("too-big", cpu="16", created=12),
    ]
    pods[-1]["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/4 nodes are available: "
            "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
            "1 node(s) were unschedulable, "
            "1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, "
            "1 Insufficient cpu.",
        }
    ]
    components = {
        "scheduler": False,
        "kubelet/control-plane": True,
        "kubelet/node-1": True,
        "kubelet/node-2": True,
        "kubelet/node-3": False,
    }
    traces = [
        trace(
            "student",
            "create",
            "pods",
            "batch-1",
            40,
            narration="student created pod default/batch-1: the API server stored "
            "/registry/pods/default/batch-1 in etcd at revision 40",
            second=1,
        ),
        trace(
            "student",
            "create",
            "pods",
            "batch-2",
            41,
            narration="student created pod default/batch-2: the API server stored "
            "/registry/pods/default/batch-2 in etcd at revision 41",
            second=2,
        ),
        trace(
            "student",
            "stop",
            "components",
            "scheduler",
            41,
            narration="student stopped scheduler",
            second=3,
        ),
        trace(
            "kubelet/node-1",
            "update",
            "pods",
            "worker-crash",
            42,
            subresource="status",
            narration="kubelet/node-1 updated status of pod default/worker-crash; "
            "stored at revision 42",
            second=4,
        ),
        trace(
            "student",
            "delete",
            "pods",
            "db-0",
            42,
            code=403,
            reason="Forbidden",
            narration="the API server refused student's delete of pod default/db-0: 403 Forbidden",
            second=5,
        ),
    ]
    return snapshot(nodes, pods, revision=42, components=components, traces=traces)
