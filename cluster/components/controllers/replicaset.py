"""The ReplicaSet controller: keeps spec.replicas pods matching each ReplicaSet's selector.

Upstream's pkg/controller/replicaset, run as kube-controller-manager's "replicaset"
controller under system:serviceaccount:kube-system:replicaset-controller. The work itself
is the replica manager's (replicas.py), which the ReplicationController controller shares.
"""

from __future__ import annotations

from collections.abc import Mapping

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.controller import (
    ORPHAN_RESYNC_SECONDS,
    Controller,
    pods_owned_by,
)
from cluster.components.controllers.ownership import selector_matches
from cluster.components.controllers.replicas import ReplicaKind, reconcile_replicas


def _selects(spec: Mapping, labels: Mapping) -> bool:
    return selector_matches(spec.get("selector"), labels)


REPLICA_SET = ReplicaKind(
    resource="replicasets",
    api_version="apps/v1",
    kind="ReplicaSet",
    event_source="replicaset-controller",
    selects=_selects,
)


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    reconcile_replicas(REPLICA_SET, api, clock, memory)


# Woken by its informers' changes; minReadySeconds and retries set memory["wake_at"].
CONTROLLER = Controller(
    name="replicaset",
    reconcile=reconcile,
    watches=frozenset({"replicasets", "pods"}),
    wakes_on=pods_owned_by("ReplicaSet"),
    resync_seconds=ORPHAN_RESYNC_SECONDS,
)
