"""What every controller of the controller manager is: a named reconcile and what wakes it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.ownership import controller_of

# Reconcile(api, clock, memory): one pass comparing desired with actual state and acting
# through the API server. memory is the controller's JSON-serialisable state between passes
# (upstream keeps it in memory: expectations, rate limits, timers).
Reconcile = Callable[[ClusterApi, Clock, dict], None]


class ClusterFacts(Protocol):
    """What a wake filter may ask of the cluster, as upstream's handlers ask their informer
    caches. Where the answer is not known it is "maybe" (True): a spare pass costs a tick,
    a missed one an object left as it was."""

    def node_may_have_no_execute_taint(self, node: str) -> bool: ...

    def a_service_may_select(self, namespace: str, labels: Mapping[str, str] | None) -> bool: ...


class KnowNothing:
    """ClusterFacts that know nothing: every answer is "maybe"."""

    def node_may_have_no_execute_taint(self, node: str) -> bool:
        return True

    def a_service_may_select(self, namespace: str, labels: Mapping[str, str] | None) -> bool:
        return True


KNOW_NOTHING = KnowNothing()

# wakes_on(resource, event, facts): whether a committed change ({"type", "key", "object",
# "previous"}) is worth a pass now. Each pass is a task on a busy machine; what a
# filter turns away is still seen at the next resync or poll.
WakeFilter = Callable[[str, dict, ClusterFacts], bool]

# "Asking the API server regularly", as the lesson tells it: every 5 s in poll mode.
POLL_SECONDS = 5.0
# Wall seconds the controllers that do not heal pods wait after a change, so that one pass
# sees a burst of them and a pod's startup (scheduler, kubelet) keeps the workers first.
WAKE_BATCH_SECONDS = 0.25
# In watch mode, how often a controller looks for orphans its wake filter let pass.
ORPHAN_RESYNC_SECONDS = 30.0


@dataclass(frozen=True)
class Controller:
    name: str  # as upstream's --controllers flag names it: "replicaset", "nodelifecycle"
    reconcile: Reconcile
    # Resources whose changes wake it in watch mode (its informers).
    watches: frozenset[str]
    # In watch mode, a pass every this many sandbox seconds even if nothing changed (timers
    # like node-monitor-period); None: only when woken.
    resync_seconds: float | None = None
    poll_seconds: float = POLL_SECONDS
    wakes_on: WakeFilter | None = None  # None: every change to what it watches
    # Wall seconds a wake-up waits so one pass handles a burst of changes, as upstream's
    # --endpointslice-updates-batch-period; 0 for the controllers that heal (ReplicaSet...).
    wake_delay: float = 0.0


def pods_owned_by(kind: str) -> WakeFilter:
    """Wake on any change to the owners, and on changes to the pods one of them controls
    (upstream's pod handlers enqueue the pod's controller). A pod without a controller
    could be an orphan to adopt: that waits for the resync, so that the many bare pods of
    a lesson do not each cost every controller a pass."""

    def wakes_on(resource: str, event: dict, facts: ClusterFacts = KNOW_NOTHING) -> bool:
        if resource != "pods":
            return True
        return any(
            (controller_of(obj) or {}).get("kind") == kind
            for obj in (event.get("object"), event.get("previous"))
            if obj
        )

    return wakes_on
