"""Nodes and pods for scheduler tests, shaped like the sandbox's real objects."""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from cluster.components.scheduler.framework import (
    CycleState,
    FilterPlugin,
    FilterResult,
    NodeInfo,
    PreFilterResult,
    ScorePlugin,
)
from cluster.topology import SHAPES, NodeShape, node_manifest

START = dt.datetime(2026, 11, 26, 21, 40, tzinfo=dt.UTC)
CONTROL_PLANE_TAINT_REASON = (
    "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
)


def make_node(
    name: str = "node-1",
    *,
    cpu: str = "2",
    memory: str = "4Gi",
    pods: str = "110",
    control_plane: bool = False,
    labels: dict | None = None,
    taints: list[dict] | None = None,
    unschedulable: bool = False,
    images: list[dict] | None = None,
) -> dict:
    shape = NodeShape(name, control_plane=control_plane, cpu=cpu, memory=memory, pods=pods)
    node = node_manifest(shape, address="10.0.0.1", now=START)
    node["metadata"]["labels"].update(labels or {})
    if taints is not None:
        node["spec"]["taints"] = taints
    if unschedulable:
        node["spec"]["unschedulable"] = True
    if images is not None:
        node["status"]["images"] = images
    return node


def lesson_nodes() -> list[dict]:
    """control-plane (tainted), node-1 and node-2, as the lesson's cluster registers them."""
    return [
        node_manifest(shape, address=f"10.0.0.{i}", now=START)
        for i, shape in enumerate(SHAPES["lesson"].nodes, start=1)
    ]


def make_pod(
    name: str = "web",
    *,
    namespace: str = "default",
    cpu: str | None = None,
    memory: str | None = None,
    node_name: str = "",
    priority: int = 0,
    created: dt.datetime = START,
    image: str = "nginx:1.27",
    **spec: object,
) -> dict:
    requests = {}
    if cpu is not None:
        requests["cpu"] = cpu
    if memory is not None:
        requests["memory"] = memory
    container: dict = {"name": "app", "image": image}
    if requests:
        container["resources"] = {"requests": requests}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{namespace}-{name}",
            "creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "spec": {
            "containers": [container],
            "schedulerName": "default-scheduler",
            "priority": priority,
            **spec,
        },
        "status": {"phase": "Pending"},
    }
    if node_name:
        pod["spec"]["nodeName"] = node_name
    return pod


def node_info(node: dict | None = None, *pods: dict) -> NodeInfo:
    return NodeInfo(node or make_node(), list(pods))


def run_filter(plugin: FilterPlugin, pod: dict, info: NodeInfo) -> FilterResult:
    """A filter plugin's answer, after its PreFilter, as the framework runs them."""
    state = CycleState()
    if isinstance(plugin, HasPreFilter) and plugin.pre_filter(state, pod).skip:
        return FilterResult.success(plugin.name)  # not run: the node passes it
    return plugin.filter(state, pod, info)


def run_score(plugin: ScorePlugin, pod: dict, info: NodeInfo, all_infos: list[NodeInfo]) -> int:
    """A score plugin's raw score for one node, after its PreScore, as the framework runs them."""
    state = CycleState()
    if isinstance(plugin, HasPreScore):
        plugin.pre_score(state, pod, [info], all_infos)
    return plugin.score(state, pod, info)


@runtime_checkable
class HasPreFilter(Protocol):
    def pre_filter(self, state: CycleState, pod: dict) -> PreFilterResult: ...


@runtime_checkable
class HasPreScore(Protocol):
    def pre_score(self, state: CycleState, pod: dict, feasible: list, all_infos: list) -> None: ...
