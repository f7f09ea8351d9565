"""The registry of resource types the API server serves.

Each resource module describes one type: its names, how it is defaulted on
create and how it is validated. A later resource (replicasets, services...)
is one more module and one more line in RESOURCES.
"""

from __future__ import annotations

from cluster.resources import (
    configmaps,
    deployments,
    endpoints,
    endpointslices,
    events,
    leases,
    namespaces,
    nodes,
    pods,
    replicasets,
    replicationcontrollers,
    services,
)
from cluster.resources.keys import resource_of_key
from cluster.resources.types import ResourceType

RESOURCES: dict[str, ResourceType] = {
    rt.name: rt
    for rt in (
        namespaces.RESOURCE,
        nodes.RESOURCE,
        pods.RESOURCE,
        events.RESOURCE,
        leases.RESOURCE,
        services.RESOURCE,
        endpoints.RESOURCE,
        endpointslices.RESOURCE,
        configmaps.RESOURCE,
    )
}
# The workloads (apps/v1, and core/v1's ReplicationController).
RESOURCES |= {
    rt.name: rt
    for rt in (replicasets.RESOURCE, deployments.RESOURCE, replicationcontrollers.RESOURCE)
}


def resource_type(name: str) -> ResourceType:
    """Look a resource up by plural name; KeyError if the sandbox does not serve it."""
    return RESOURCES[name]


__all__ = ["RESOURCES", "ResourceType", "resource_of_key", "resource_type"]
