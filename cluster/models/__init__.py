"""Cluster tables. Only cluster.store writes the store tables (see ARCHITECTURE.md)."""

from cluster.models.components import ComponentState, SchedulingRecord
from cluster.models.store import Node, Pod, StoreEvent, StoreKey, StoreRevision
from cluster.models.tenancy import ApiToken, Classroom, Sandbox
from cluster.models.trace import Trace

__all__ = [
    "ApiToken",
    "Classroom",
    "ComponentState",
    "Node",
    "Pod",
    "Sandbox",
    "SchedulingRecord",
    "StoreEvent",
    "StoreKey",
    "StoreRevision",
    "Trace",
]
