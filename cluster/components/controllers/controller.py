"""What every controller of the controller manager is: a named reconcile and what wakes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cluster.components.api import Clock, ClusterApi

# Reconcile(api, clock, memory): one pass comparing desired with actual state and acting
# through the API server. memory is the controller's JSON-serialisable state between passes
# (upstream keeps it in memory: expectations, rate limits, timers).
Reconcile = Callable[[ClusterApi, Clock, dict], None]

# "Asking the API server regularly", as the lesson tells it: every 5 s in poll mode.
POLL_SECONDS = 5.0


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
