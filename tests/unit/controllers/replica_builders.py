"""ReplicaSets, ReplicationControllers and their pods as the API server returns them."""

from __future__ import annotations

import datetime as dt

from cluster.objects import format_time

START = dt.datetime(2026, 11, 26, 21, 40, tzinfo=dt.UTC)
TEMPLATE_SPEC = {
    "containers": [{"name": "nginx", "image": "nginx:1.25", "imagePullPolicy": "IfNotPresent"}],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
}


def make_replica_set(
    name: str = "web-7d4b9",
    *,
    replicas: int = 3,
    labels: dict | None = None,
    selector: dict | None = None,
    uid: str | None = None,
    generation: int = 1,
    min_ready_seconds: int = 0,
    owner: dict | None = None,
    annotations: dict | None = None,
) -> dict:
    labels = labels or {"app": "web"}
    meta: dict = {
        "name": name,
        "namespace": "default",
        "uid": uid or f"uid-{name}",
        "generation": generation,
        "creationTimestamp": format_time(START),
    }
    if owner is not None:
        meta["ownerReferences"] = [owner]
    template_meta: dict = {"labels": dict(labels)}
    if annotations:
        template_meta["annotations"] = dict(annotations)
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "minReadySeconds": min_ready_seconds,
            "selector": selector if selector is not None else {"matchLabels": dict(labels)},
            "template": {"metadata": template_meta, "spec": dict(TEMPLATE_SPEC)},
        },
        "status": {"replicas": 0},
    }


def make_replication_controller(
    name: str = "web", *, replicas: int = 3, labels: dict | None = None, generation: int = 1
) -> dict:
    labels = labels or {"app": "web"}
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "generation": generation,
            "creationTimestamp": format_time(START),
        },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": 0,
            "selector": dict(labels),
            "template": {"metadata": {"labels": dict(labels)}, "spec": dict(TEMPLATE_SPEC)},
        },
        "status": {"replicas": 0},
    }


def owner_ref(owner: dict, *, controller: bool = True) -> dict:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def make_pod(
    name: str,
    *,
    labels: dict | None = None,
    owner: dict | None = None,
    node: str = "node-1",
    phase: str = "Running",
    ready: bool = True,
    ready_since: dt.datetime | None = START,
    created: dt.datetime | None = START,
    restarts: int = 0,
    deleting: bool = False,
    uid: str | None = None,
    annotations: dict | None = None,
) -> dict:
    meta: dict = {
        "name": name,
        "namespace": "default",
        "uid": uid or f"uid-{name}",
        "labels": dict(labels if labels is not None else {"app": "web"}),
    }
    if created is not None:
        meta["creationTimestamp"] = format_time(created)
    if owner is not None:
        meta["ownerReferences"] = [owner_ref(owner)]
    if deleting:
        meta["deletionTimestamp"] = format_time(START)
    if annotations:
        meta["annotations"] = dict(annotations)
    spec = dict(TEMPLATE_SPEC)
    if node:
        spec["nodeName"] = node
    ready_condition: dict = {"type": "Ready", "status": "True" if ready else "False"}
    if ready_since is not None:
        ready_condition["lastTransitionTime"] = format_time(ready_since)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {
            "phase": phase,
            "conditions": [ready_condition],
            "containerStatuses": [{"name": "nginx", "restartCount": restarts, "ready": ready}],
        },
    }
