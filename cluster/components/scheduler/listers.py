"""The objects beyond nodes and pods the scheduler reads, listed through the API server.

Upstream keeps informers on Services, ReplicaSets, ReplicationControllers,
StatefulSets and Namespaces (PodTopologySpread's default selector and
InterPodAffinity's namespaceSelector read them). Podlab lists a resource the
first time a plugin asks for it in a tick, once per tick. A resource the API
server does not serve (404) has no objects.
"""

from __future__ import annotations

from cluster.components.api import ClusterApi

NOT_FOUND = 404


class ApiListers:
    def __init__(self, api: ClusterApi) -> None:
        self._api = api
        self._listed: dict[str, list[dict]] = {}

    def list(self, resource: str, namespace: str = "") -> list[dict]:
        if resource not in self._listed:
            try:
                self._listed[resource] = self._api.list(resource)["items"]
            except Exception as error:
                # Duck-typed, as components do not import the server's errors.
                if getattr(error, "code", None) != NOT_FOUND:
                    raise
                self._listed[resource] = []
        items = self._listed[resource]
        if not namespace:
            return items
        return [obj for obj in items if (obj.get("metadata") or {}).get("namespace") == namespace]
