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
    poll_seconds: float = 5,
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
            "pollSeconds": poll_seconds,
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


# --- Workloads: Deployments, ReplicaSets, ReplicationControllers, Services ----------

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def owner_ref(owner: dict) -> dict:
    """The ownerReference a controller puts on what it creates (controller: true)."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned(manifest: dict, owner: dict) -> dict:
    """manifest, owned by owner; a pod also gets the Ready condition its state says."""
    manifest = copy.deepcopy(manifest)
    manifest["metadata"]["ownerReferences"] = [owner_ref(owner)]
    statuses = manifest.get("status", {}).get("containerStatuses")
    if manifest.get("kind") == "Pod" and statuses is not None:
        ready = all(status["ready"] for status in statuses)
        conditions = manifest["status"].setdefault("conditions", [])
        conditions.append({"type": "Ready", "status": "True" if ready else "False"})
    return manifest


def _template(image: str, labels: dict) -> dict:
    return {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def deployment(name: str, *, replicas: int = 3, image: str = "nginx:1.27.3") -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"deploy-uid-{next(_uids)}",
            "resourceVersion": "1",
            "generation": 1,
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": _template(image, labels),
        },
        "status": {},
    }


def replicaset(
    name: str,
    *,
    replicas: int = 3,
    image: str = "nginx:1.27.3",
    revision: int | None = None,
    owner: dict | None = None,
    kind: str = "ReplicaSet",
) -> dict:
    """A ReplicaSet (or, with kind="ReplicationController", an RC), owned by owner."""
    labels = {"app": name.rsplit("-", 1)[0]}
    manifest = {
        "apiVersion": "apps/v1" if kind == "ReplicaSet" else "v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"rs-uid-{next(_uids)}",
            "resourceVersion": "1",
            "annotations": {},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels} if kind == "ReplicaSet" else labels,
            "template": _template(image, labels),
        },
        "status": {"replicas": replicas, "readyReplicas": replicas},
    }
    if revision is not None:
        manifest["metadata"]["annotations"][REVISION_ANNOTATION] = str(revision)
    return owned(manifest, owner) if owner else manifest


def service(name: str, *, cluster_ip: str = "10.96.0.12", port: int = 80) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default", "uid": f"svc-uid-{next(_uids)}"},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": name},
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "ports": [{"protocol": "TCP", "port": port, "targetPort": port}],
        },
        "status": {"loadBalancer": {}},
    }


def endpointslice(svc: dict, endpoints: list[tuple[str, bool]], *, suffix: str = "abcde") -> dict:
    """The EndpointSlice of svc: endpoints as (pod IP, ready)."""
    name = svc["metadata"]["name"]
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{name}-{suffix}",
            "namespace": "default",
            "uid": f"slice-uid-{next(_uids)}",
            "labels": {SERVICE_NAME_LABEL: name},
        },
        "addressType": "IPv4",
        "endpoints": [
            {"addresses": [ip], "conditions": {"ready": ready}} for ip, ready in endpoints
        ],
        "ports": [{"port": svc["spec"]["ports"][0]["port"], "protocol": "TCP"}],
    }


def store_key(manifest: dict) -> str:
    """Where the API server keeps it, as upstream does."""
    prefixes = {
        "Deployment": "deployments",
        "ReplicaSet": "replicasets",
        "ReplicationController": "controllers",
        "Service": "services/specs",
        "EndpointSlice": "endpointslices",
        "Pod": "pods",
    }
    meta = manifest["metadata"]
    return f"/registry/{prefixes[manifest['kind']]}/{meta['namespace']}/{meta['name']}"


def event(kind: str, manifest: dict | None, revision: int, previous: dict | None = None) -> dict:
    """A store event (ADDED, MODIFIED, DELETED) of any object."""
    about = manifest or previous
    return {
        "type": kind,
        "key": store_key(about),
        "revision": revision,
        "object": manifest,
        "previous": previous,
    }


def rollout_cluster() -> dict:
    """Mid-rollout: Deployment web from nginx:1.25 (rev 1, 1 pod left) to nginx:1.27.3 (rev 2,
    2 of 3 pods, one still creating), an old scaled-down ReplicaSet; a ReplicaSet of its own;
    a ReplicationController short of a pod; Services with endpoints, one not ready yet."""
    nodes = [
        node("control-plane", control_plane=True),
        node("node-1", cpu="4", memory="8Gi"),
        node("node-2", cpu="4", memory="8Gi"),
    ]
    web = deployment("web", replicas=3)
    ancient = replicaset("web-59d6c", replicas=0, image="nginx:1.24", revision=1, owner=web)
    old = replicaset("web-7d4b9", replicas=1, image="nginx:1.25", revision=2, owner=web)
    new = replicaset("web-5c8f6", replicas=3, image="nginx:1.27.3", revision=3, owner=web)
    cache = replicaset("cache-6b7f9", replicas=2, image="redis:7.4")
    legacy = replicaset("legacy", replicas=2, image="httpd:2.4", kind="ReplicationController")
    pods = [
        owned(running("web-7d4b9-kx2lp", "node-1", cpu="100m", created=1), old),
        owned(running("web-5c8f6-x2x7q", "node-2", cpu="100m", created=5), new),
        owned(
            pod(
                "web-5c8f6-r8m4d",
                node_name="node-1",
                state={"waiting": {"reason": "ContainerCreating"}},
                cpu="100m",
                created=6,
            ),
            new,
        ),
        owned(running("cache-6b7f9-8zq2w", "node-1", cpu="250m", created=2), cache),
        owned(running("cache-6b7f9-p4j9n", "node-2", cpu="250m", created=3), cache),
        owned(running("legacy-9tq4c", "node-2", created=4), legacy),
        running("debug", "node-1", created=7),
    ]
    web_svc = service("web")
    kubernetes = service("kubernetes", cluster_ip="10.96.0.1", port=443)
    extra = {
        "deployments": [web],
        "replicasets": [ancient, old, new, cache],
        "replicationcontrollers": [legacy],
        "services": [kubernetes, web_svc],
        "endpointslices": [
            endpointslice(
                web_svc, [("10.244.1.3", True), ("10.244.2.4", True), ("10.244.1.5", False)]
            ),
            endpointslice(kubernetes, [("192.168.49.2", True)], suffix="kube"),
        ],
    }
    return snapshot(nodes, pods, revision=60) | extra


def rollout_scene() -> tuple[dict, dict]:
    """The rollout cluster, and the batch in which the ReplicaSet controller, seeing 2 of
    its 3 pods, creates the third."""
    cluster = rollout_cluster()
    new = next(rs for rs in cluster["replicasets"] if rs["metadata"]["name"] == "web-5c8f6")
    created = owned(pod("web-5c8f6-m2v8k", created=8), new)
    narration = (
        "controller-manager/replicaset: replicaset default/web-5c8f6 wants 3, sees 2: "
        "creating 1; created pod default/web-5c8f6-m2v8k: the API server stored "
        "/registry/pods/default/web-5c8f6-m2v8k in etcd at revision 61"
    )
    acted = changes(
        61,
        [event("ADDED", created, 61)],
        [
            trace(
                "controller-manager/replicaset",
                "create",
                "pods",
                "web-5c8f6-m2v8k",
                61,
                narration=narration,
                second=30,
            )
        ],
    )
    return cluster, acted
