"""A small cluster on the fake API server, with kubelets whose heartbeats the test drives."""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.kubelet.node import node_status, renew_lease
from cluster.objects import format_time
from cluster.topology import NodeShape, node_manifest
from tests.unit.fakes import FakeClock, FakeClusterApi

START = dt.datetime(2026, 11, 26, 17, 0, tzinfo=dt.UTC)
RENEW_SECONDS = 10  # the kubelet's lease renewal

DEFAULT_TOLERATIONS = [
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
]


def cluster(*names: str) -> tuple[FakeClusterApi, FakeClock]:
    """Registered nodes with a Ready status and a Lease, both renewed at START."""
    clock = FakeClock(START)
    api = FakeClusterApi(clock=clock)
    for index, name in enumerate(names, start=1):
        api.create("nodes", node_manifest(NodeShape(name), address=f"10.0.0.{index}", now=START))
        renew_lease(api, name, START)
    return api, clock


def heartbeat(api: FakeClusterApi, clock: FakeClock, name: str, *, status: bool = False) -> None:
    """The kubelet renews its Lease (and, if asked, posts a Ready node status)."""
    renew_lease(api, name, clock.now())
    if status:
        node = copy.deepcopy(api.node(name))
        api.update_status("nodes", {**node, "status": node_status(node, clock.now(), [])})


def set_ready(api: FakeClusterApi, clock: FakeClock, name: str, status: str) -> None:
    """The kubelet posts Ready=status (False: the node is up but not ready)."""
    node = copy.deepcopy(api.node(name))
    stamp = format_time(clock.now())
    for condition in node["status"]["conditions"]:
        if condition["type"] == "Ready":
            if condition["status"] != status:
                condition["lastTransitionTime"] = stamp
            condition.update(status=status, lastHeartbeatTime=stamp)
            if status == "False":
                condition.update(reason="KubeletNotReady", message="container runtime is down")
    api.update_status("nodes", node)


def running_pod(name: str, node: str, *, tolerations: list[dict] | None = None, **meta) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "creationTimestamp": format_time(START),
            **meta,
        },
        "spec": {
            "nodeName": node,
            "containers": [{"name": "app", "image": "nginx:1.27"}],
            "terminationGracePeriodSeconds": 30,
            "tolerations": list(tolerations if tolerations is not None else DEFAULT_TOLERATIONS),
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": format_time(START),
                }
            ],
        },
    }


def taint_keys(api: FakeClusterApi, name: str) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in api.node(name)["spec"].get("taints") or []}


def condition(obj: dict, condition_type: str) -> dict:
    return next(c for c in obj["status"]["conditions"] if c["type"] == condition_type)
