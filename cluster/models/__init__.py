"""Cluster tables.

The store's tables (StoreKey, StoreEvent, StoreRevision, and the Node and Pod views of
StoreKey) are not exported here: only the API server reaches them, through cluster.store
(see ARCHITECTURE.md), and the admin shows them as the operator's etcd view. `make lint`
checks both (import-linter contracts in pyproject.toml).
"""

# Imported for Django to register the store's tables with the app, not for use.
from cluster.models import store as _store_tables  # noqa: F401
from cluster.models.components import ComponentState, SchedulingRecord
from cluster.models.tenancy import ApiToken, Classroom, Sandbox
from cluster.models.trace import Trace

__all__ = [
    "ApiToken",
    "Classroom",
    "ComponentState",
    "Sandbox",
    "SchedulingRecord",
    "Trace",
]
