"""Cluster shapes a sandbox can start from, and the Node objects their kubelets register."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cluster.objects import format_time

CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane"
KUBELET_VERSION = "v1.32.4"
CONTAINER_RUNTIME_VERSION = "podlab-cri://1.0.0"


@dataclass(frozen=True)
class NodeShape:
    name: str
    control_plane: bool = False
    cpu: str = "2"
    memory: str = "4Gi"
    pods: str = "110"


@dataclass(frozen=True)
class ClusterShape:
    slug: str
    title: str
    description: str
    nodes: tuple[NodeShape, ...]


def _workers(count: int, **sizes: str) -> tuple[NodeShape, ...]:
    return tuple(NodeShape(f"node-{i}", **sizes) for i in range(1, count + 1))


SHAPES: dict[str, ClusterShape] = {
    shape.slug: shape
    for shape in (
        ClusterShape(
            "lesson",
            "The lesson's cluster",
            "One control-plane node and two worker nodes, as in the lesson.",
            (NodeShape("control-plane", control_plane=True), *_workers(2)),
        ),
        ClusterShape(
            "ha",
            "Highly available control plane",
            "Three control-plane nodes, as production wants, and two workers.",
            (
                *(NodeShape(f"control-plane-{i}", control_plane=True) for i in (1, 2, 3)),
                *_workers(2),
            ),
        ),
        ClusterShape(
            "big",
            "A bigger cluster",
            "One control-plane node and eight workers of mixed sizes.",
            (
                NodeShape("control-plane", control_plane=True),
                *_workers(4),
                *(NodeShape(f"node-{i}", cpu="8", memory="32Gi") for i in range(5, 9)),
            ),
        ),
    )
}


def node_manifest(shape: NodeShape, *, address: str, now: dt.datetime) -> dict:
    """The Node a kubelet registers: labels, taints, capacity and nodeInfo."""
    labels = {
        "kubernetes.io/hostname": shape.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
    }
    spec: dict = {}
    if shape.control_plane:
        labels[CONTROL_PLANE_ROLE] = ""
        spec["taints"] = [{"key": CONTROL_PLANE_ROLE, "effect": "NoSchedule"}]
    capacity = {"cpu": shape.cpu, "memory": shape.memory, "pods": shape.pods}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": shape.name, "labels": labels},
        "spec": spec,
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": format_time(now),
                    "lastTransitionTime": format_time(now),
                },
            ],
            "addresses": [
                {"type": "InternalIP", "address": address},
                {"type": "Hostname", "address": shape.name},
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "osImage": "Podlab simulated Linux",
                "kernelVersion": "6.1.0-podlab",
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": KUBELET_VERSION,
                "containerRuntimeVersion": CONTAINER_RUNTIME_VERSION,
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
        },
    }
