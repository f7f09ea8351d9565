"""Cluster tables. Only cluster.store writes the store tables (see ARCHITECTURE.md)."""

from cluster.models.store import Node, Pod, StoreEvent, StoreKey, StoreRevision
from cluster.models.tenancy import ApiToken, Classroom, Sandbox
from cluster.models.trace import Trace

__all__ = [
    "ApiToken",
    "Classroom",
    "Node",
    "Pod",
    "Sandbox",
    "StoreEvent",
    "StoreKey",
    "StoreRevision",
    "Trace",
]
