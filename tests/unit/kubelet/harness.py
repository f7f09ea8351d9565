"""One node, its kubelet and a fake API server, driven tick by tick at chosen sandbox times."""

from __future__ import annotations

import datetime as dt
import json

from cluster.components.kubelet import kubelet_tick
from cluster.objects import format_micro_time, format_time
from cluster.topology import NodeShape, node_manifest
from tests.unit.fakes import FakeClock, FakeClusterApi

START = dt.datetime(2026, 11, 26, 21, 40, tzinfo=dt.UTC)
REGISTERED = START - dt.timedelta(hours=1)
NODE = "node-1"
NODE_IP = "10.0.0.2"
POD_CIDR = "10.244.1.0/24"
FIRST_POD_IP = "10.244.1.2"
SCHEDULED = {
    "type": "PodScheduled",
    "status": "True",
    "lastProbeTime": None,
    "lastTransitionTime": format_time(START - dt.timedelta(seconds=1)),
}


def at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


def stamp(seconds: float) -> str:
    """metav1.Time of START + seconds, as statuses and events write it."""
    return format_time(at(seconds))


def micro_stamp(seconds: float) -> str:
    return format_micro_time(at(seconds))


def make_node() -> dict:
    node = node_manifest(NodeShape(NODE), address=NODE_IP, now=REGISTERED)
    node["spec"]["podCIDR"] = POD_CIDR
    return node


def make_pod(
    name: str = "web",
    image: str = "nginx",
    *,
    restart_policy: str = "Always",
    memory_limit: str | None = None,
    **container: object,
) -> dict:
    """A pod the scheduler has bound to node-1, as the kubelet lists it."""
    spec: dict = {"name": "app", "image": image, **container}
    if memory_limit:
        spec["resources"] = {"limits": {"memory": memory_limit}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {"containers": [spec], "restartPolicy": restart_policy, "nodeName": NODE},
        "status": {"phase": "Pending", "conditions": [dict(SCHEDULED)]},
    }


class Node:
    """A kubelet whose state goes through JSON between ticks, as the task layer stores it."""

    def __init__(self, *pods: dict, json_between_ticks: bool = True) -> None:
        self.clock = FakeClock(START)
        self.api = FakeClusterApi(nodes=[make_node()], pods=pods, clock=self.clock)
        self.state: dict = {"podCIDR": POD_CIDR}
        self.json_between_ticks = json_between_ticks

    def tick(self, seconds: float) -> None:
        """One kubelet tick at START + seconds."""
        self.clock.current = at(seconds)
        kubelet_tick(self.api, self.clock, NODE, self.state)
        if self.json_between_ticks:
            self.state = json.loads(json.dumps(self.state))

    def ticks(self, *seconds: float) -> None:
        for moment in seconds:
            self.tick(moment)

    def add(self, pod: dict) -> None:
        self.api.put("pods", pod)

    def delete(self, seconds: float, name: str = "web", **options: object) -> None:
        """A user's `kubectl delete pod` at START + seconds (graceful unless told)."""
        self.clock.current = at(seconds)
        self.api.delete("pods", name, namespace="default", **options)

    def pod(self, name: str = "web") -> dict:
        return self.api.pod(name)

    def status(self, name: str = "web") -> dict:
        return self.api.pod(name)["status"]

    def container(self, name: str = "web") -> dict:
        [status] = self.status(name)["containerStatuses"]
        return status

    def conditions(self, name: str = "web") -> dict[str, dict]:
        return {c["type"]: c for c in self.status(name)["conditions"]}

    def events(self, name: str = "web") -> list[tuple[str, str, str]]:
        """(type, reason, message) of the pod's events, in the order first filed."""
        return [
            (e["type"], e["reason"], e["message"])
            for e in self.api.events()
            if e["involvedObject"]["name"] == name
        ]

    def event_counts(self, name: str = "web") -> dict[str, int]:
        return {
            e["message"]: e["count"]
            for e in self.api.events()
            if e["involvedObject"]["name"] == name
        }

    def forget_calls(self) -> None:
        self.api.calls.clear()
