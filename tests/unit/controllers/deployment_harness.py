"""Builders for Deployment controller tests, and a tiny cluster around the fake API: the
Deployment controller for real, the ReplicaSet controller and the kubelet simulated just
enough (each ReplicaSet's pods exist, then become ready, and deleted ones terminate)."""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.controllers.deployment import reconcile
from cluster.components.controllers.deployment_sync import DeploymentSync
from cluster.components.controllers.ownership import controller_of, controller_ref
from cluster.components.events import EventRecorder
from cluster.objects import format_time
from tests.unit.fakes import FakeClock, FakeClusterApi

START = dt.datetime(2026, 11, 26, 21, 40, tzinfo=dt.UTC)
NS = "default"


def deployment(
    name: str = "web",
    replicas: int = 4,
    *,
    image: str = "nginx:1.25",
    max_surge: int | str | None = "25%",
    max_unavailable: int | str | None = "25%",
    strategy: str = "RollingUpdate",
    **spec: object,
) -> dict:
    rolling = {}
    if max_surge is not None:
        rolling["maxSurge"] = max_surge
    if max_unavailable is not None:
        rolling["maxUnavailable"] = max_unavailable
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": (
                {"type": strategy, "rollingUpdate": rolling}
                if strategy == "RollingUpdate"
                else {"type": strategy}
            ),
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
            **spec,
        },
    }


def replica_set(
    name: str,
    replicas: int,
    *,
    created: dt.datetime = START,
    available: int = 0,
    desired: int | None = None,
    max_replicas: int | None = None,
    owner: dict | None = None,
) -> dict:
    annotations = {}
    if desired is not None:
        annotations["deployment.kubernetes.io/desired-replicas"] = str(desired)
    if max_replicas is not None:
        annotations["deployment.kubernetes.io/max-replicas"] = str(max_replicas)
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": f"uid-{name}",
            "creationTimestamp": format_time(created),
            "annotations": annotations,
            "ownerReferences": [controller_ref(owner)] if owner else [],
        },
        "spec": {"replicas": replicas, "template": {}},
        "status": {"replicas": replicas, "availableReplicas": available},
    }


def sync_for(api: FakeClusterApi, clock: FakeClock, d: dict, rss: list[dict]) -> DeploymentSync:
    """A DeploymentSync over ReplicaSets stored in the fake (so it can update them)."""
    stored = [api.put("replicasets", rs) for rs in rss]
    recorder = EventRecorder(api, clock, component="deployment-controller")
    return DeploymentSync(api, clock, recorder, d, stored)


class Cluster:
    def __init__(self) -> None:
        self.clock = FakeClock(START)
        self.api = FakeClusterApi(clock=self.clock)
        self.memory: dict = {}
        # Images whose containers never become ready (a broken rollout).
        self.broken_images: set[str] = set()

    def create(self, obj: dict) -> dict:
        return self.api.create("deployments", obj, namespace=NS)

    def edit(self, name: str, change) -> dict:
        """Change a Deployment's spec as `kubectl edit` would: get, change, update."""
        current = self.api.get("deployments", name, namespace=NS)
        change(current["spec"])
        return self.api.update("deployments", current, namespace=NS)

    def deployment(self, name: str = "web") -> dict:
        return self.api.get("deployments", name, namespace=NS)

    def replica_sets(self) -> list[dict]:
        return self.api.list("replicasets", namespace=NS)["items"]

    def pods(self) -> list[dict]:
        return self.api.list("pods", namespace=NS)["items"]

    def active_pods(self) -> list[dict]:
        return [p for p in self.pods() if not p["metadata"].get("deletionTimestamp")]

    def ready_pods(self) -> list[dict]:
        return [p for p in self.active_pods() if _ready(p)]

    # -- the loops ---------------------------------------------------------------------

    def deployment_controller(self) -> None:
        reconcile(self.api, self.clock, self.memory)

    def replicaset_controller(self) -> None:
        """Each ReplicaSet gets spec.replicas active pods (not-ready ones deleted first) and
        a status that counts them."""
        for rs in self.replica_sets():
            mine = [p for p in self.active_pods() if _owned_by(p, rs)]
            want = rs["spec"]["replicas"]
            for _ in range(want - len(mine)):
                self.api.create("pods", _pod_for(rs), namespace=NS)
            surplus = sorted(mine, key=lambda p: (_ready(p), p["metadata"]["name"]))
            for pod in surplus[: max(len(mine) - want, 0)]:
                self.api.delete("pods", pod["metadata"]["name"], namespace=NS)
            mine = [p for p in self.active_pods() if _owned_by(p, rs)]
            ready = sum(_ready(p) for p in mine)
            status = {
                "replicas": len(mine),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": rs["metadata"]["generation"],
            }
            self.api.update_status("replicasets", {**rs, "status": status}, namespace=NS)

    def kubelet(self) -> None:
        """Terminating pods finish; the others start and become ready."""
        for pod in self.pods():
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp"):
                self.api.delete("pods", name, namespace=NS, grace_period_seconds=0)
                continue
            image = pod["spec"]["containers"][0]["image"]
            if image in self.broken_images or _ready(pod):
                continue
            pod["status"] = {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
            }
            self.api.update_status("pods", pod, namespace=NS)

    def step(self, check=None) -> None:
        """One round: the Deployment controller acts, the ReplicaSets follow, pods start."""
        self.deployment_controller()
        self.replicaset_controller()
        if check:
            check(self)
        self.kubelet()
        self.replicaset_controller()
        if check:
            check(self)
        self.clock.advance(1)

    def run(self, check=None, *, steps: int = 40) -> int:
        """Steps until the Deployment is complete; returns how many it took."""
        for taken in range(1, steps + 1):
            self.step(check)
            if self.complete():
                self.deployment_controller()  # the status catches up
                return taken
        raise AssertionError(f"not complete after {steps} steps: {self.deployment()['status']}")

    def complete(self, name: str = "web") -> bool:
        d = self.deployment(name)
        want, status = d["spec"]["replicas"], d.get("status") or {}
        return (
            status.get("updatedReplicas", 0) == want
            and status.get("replicas", 0) == want
            and status.get("availableReplicas", 0) == want
            and status.get("observedGeneration") == d["metadata"]["generation"]
            and len(self.active_pods()) == want
        )

    def images_of_ready_pods(self) -> list[str]:
        return sorted(p["spec"]["containers"][0]["image"] for p in self.ready_pods())


def _pod_for(rs: dict) -> dict:
    template = copy.deepcopy(rs["spec"]["template"])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": f"{rs['metadata']['name']}-",
            "labels": template["metadata"]["labels"],
            "ownerReferences": [controller_ref(rs)],
        },
        # Bound at once, so that deleting one is graceful (it terminates first).
        "spec": {**template["spec"], "nodeName": "node-1"},
        "status": {"phase": "Pending"},
    }


def _owned_by(pod: dict, rs: dict) -> bool:
    owner = controller_of(pod)
    return owner is not None and owner["uid"] == rs["metadata"]["uid"]


def _ready(pod: dict) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
