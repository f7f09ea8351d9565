"""The ReplicationController controller, the lesson's word for a ReplicaSet.

Upstream's replication manager (pkg/controller/replication) is the ReplicaSet controller
seen through conversions: a ReplicationController's map selector becomes matchLabels, and
its pods, events and status come out as a ReplicaSet's would, under its own kind and
apiVersion v1. It runs as kube-controller-manager's "replicationcontroller" controller
under system:serviceaccount:kube-system:replication-controller.
"""

from __future__ import annotations

from collections.abc import Mapping

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.controller import (
    ORPHAN_RESYNC_SECONDS,
    Controller,
    pods_owned_by,
)
from cluster.components.controllers.ownership import set_selector_matches
from cluster.components.controllers.replicas import ReplicaKind, reconcile_replicas


def _selects(spec: Mapping, labels: Mapping) -> bool:
    # The API server defaults an empty selector to the template's labels, so a stored
    # ReplicationController never selects with an empty map.
    return set_selector_matches(spec.get("selector"), labels)


REPLICATION_CONTROLLER = ReplicaKind(
    resource="replicationcontrollers",
    api_version="v1",
    kind="ReplicationController",
    event_source="replication-controller",
    selects=_selects,
)


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    reconcile_replicas(REPLICATION_CONTROLLER, api, clock, memory)


# Woken by its informers' changes; minReadySeconds and retries set memory["wake_at"].
CONTROLLER = Controller(
    name="replicationcontroller",
    reconcile=reconcile,
    watches=frozenset({"replicationcontrollers", "pods"}),
    wakes_on=pods_owned_by("ReplicationController"),
    resync_seconds=ORPHAN_RESYNC_SECONDS,
)
