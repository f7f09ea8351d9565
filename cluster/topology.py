"""Cluster shapes a sandbox can start from, and the Node objects their kubelets register."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from cluster.objects import format_time

CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane"
KUBELET_VERSION = "v1.32.4"
CONTAINER_RUNTIME_VERSION = "podlab-cri://1.0.0"
# The kubelet says at registration that the attach/detach controller attaches its volumes.
ATTACH_DETACH_ANNOTATION = "volumes.kubernetes.io/controller-managed-attach-detach"
# Where a simulated machine's identities come from: the same node name, the same machine.
_MACHINES = uuid.UUID("6f1c63f2-5d0c-4d0e-9a53-7a9f0c2b1d40")


@dataclass(frozen=True)
class NodeShape:
    name: str
    control_plane: bool = False
    cpu: str = "2"
    memory: str = "4Gi"
    pods: str = "110"
    # What its kubelet registers it with (--node-labels, --register-with-taints): a
    # lesson's nodes with a zone or a disk type, or a taint to be tolerated.
    labels: tuple[tuple[str, str], ...] = ()
    taints: tuple[tuple[str, str, str], ...] = ()  # (key, value, effect)

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "controlPlane": self.control_plane,
            "cpu": self.cpu,
            "memory": self.memory,
            "pods": self.pods,
            "labels": dict(self.labels),
            "taints": [{"key": k, "value": v, "effect": e} for k, v, e in self.taints],
        }

    @classmethod
    def from_json(cls, node: dict) -> NodeShape:
        """From a lesson's cluster.nodes entry (or as_json's)."""
        return cls(
            name=node["name"],
            control_plane=bool(node.get("controlPlane", False)),
            cpu=str(node.get("cpu", "2")),
            memory=str(node.get("memory", "4Gi")),
            pods=str(node.get("pods", "110")),
            labels=tuple(sorted((node.get("labels") or {}).items())),
            taints=tuple(
                (t["key"], t.get("value", ""), t["effect"]) for t in node.get("taints") or []
            ),
        )


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


def template_nodes(shape: str, nodes: list[dict]) -> tuple[NodeShape, ...]:
    """The nodes a sandbox starts from (and a reset brings back): its own list when it
    has one (a lesson's cluster), else its shape's."""
    if nodes:
        return tuple(NodeShape.from_json(node) for node in nodes)
    return SHAPES[shape].nodes


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
    taints = []
    if shape.control_plane:
        labels[CONTROL_PLANE_ROLE] = ""
        taints.append({"key": CONTROL_PLANE_ROLE, "effect": "NoSchedule"})
    labels.update(shape.labels)
    for key, value, effect in shape.taints:
        taints.append({"key": key, **({"value": value} if value else {}), "effect": effect})
    if taints:
        spec["taints"] = taints
    capacity = {"cpu": shape.cpu, "memory": shape.memory, "pods": shape.pods}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": shape.name,
            "labels": labels,
            "annotations": {ATTACH_DETACH_ANNOTATION: "true"},
        },
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
                # /etc/machine-id, the firmware's UUID and this boot's, as a kubelet reads them.
                "machineID": uuid.uuid5(_MACHINES, f"machine-id/{shape.name}").hex,
                "systemUUID": str(uuid.uuid5(_MACHINES, f"system-uuid/{shape.name}")),
                "bootID": str(uuid.uuid5(_MACHINES, f"boot-id/{shape.name}")),
            },
        },
    }
