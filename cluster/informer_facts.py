"""What the controllers' wake filters know of a sandbox, as upstream's informer caches do.

Upstream's handlers look at their caches before they enqueue anything: the taint
eviction controller ignores a pod whose node has no NoExecute taint, the EndpointSlice
controller a pod no Service selects. Podlab's filters run in the publisher thread, with
no database, for every committed change; this module keeps the two facts they need in
Redis, learnt from the same changes (note_changes, before the filters ask):

- per node, whether it carries a NoExecute taint (a node never heard of: it might);
- per Service with a selector, that selector, once the sandbox's Services are all known
  (since its creation; a Redis that lost its memory knows nothing, and every pod change
  then wakes the controller, as before).

Where it does not know, a fact answers "maybe", and the controller is woken: a spare pass
costs one tick, a missed one a pod never evicted or an endpoint never listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from django.conf import settings

from cluster.components.controllers.ownership import set_selector_matches
from cluster.components.controllers.taints import no_execute_taints
from cluster.coordination import redis_client
from cluster.resources import resource_of_key

ALL_SERVICES_KNOWN = "*"  # the field of the selectors hash that says it is complete


def _key(kind: str, sandbox_id: int) -> str:
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:facts:{kind}:{sandbox_id}"


def start_knowing(sandbox_id: int) -> None:
    """A new sandbox has no Service yet: from now on, every one is heard of."""
    redis_client().hset(_key("selectors", sandbox_id), ALL_SERVICES_KNOWN, 1)


def forget(sandbox_id: int) -> None:
    redis_client().delete(_key("selectors", sandbox_id), _key("no-execute", sandbox_id))


def note_changes(sandbox_id: int, events: Iterable[dict]) -> None:
    """Learn from committed changes: nodes' NoExecute taints, Services' selectors."""
    pipeline = redis_client().pipeline(transaction=False)
    for event in events:
        rt = resource_of_key(event["key"])
        if rt is None or rt.name not in ("nodes", "services"):
            continue
        gone = event.get("type") == "DELETED"
        obj = (event.get("previous") if gone else event.get("object")) or {}
        meta = obj.get("metadata") or {}
        if rt.name == "nodes":
            key = _key("no-execute", sandbox_id)
            if gone:
                pipeline.hdel(key, meta.get("name", ""))
            else:
                pipeline.hset(key, meta.get("name", ""), int(bool(no_execute_taints(obj))))
            continue
        key, field = _key("selectors", sandbox_id), f"{meta.get('namespace')}/{meta.get('name')}"
        selector = (obj.get("spec") or {}).get("selector")
        if gone or not selector:
            pipeline.hdel(key, field)
        else:
            pipeline.hset(key, field, json.dumps(selector))
    if len(pipeline):
        pipeline.execute()


class SandboxFacts:
    """The facts of one sandbox, read from Redis at most once each (a publish's changes)."""

    def __init__(self, sandbox_id: int) -> None:
        self.sandbox_id = sandbox_id
        self._tainted: dict[str, bool] = {}
        self._selectors: dict[str, list[dict]] | None = None  # namespace -> selectors

    def node_may_have_no_execute_taint(self, node: str) -> bool:
        if node not in self._tainted:
            value = redis_client().hget(_key("no-execute", self.sandbox_id), node)
            self._tainted[node] = value != b"0"
        return self._tainted[node]

    def a_service_may_select(self, namespace: str, labels: Mapping[str, str] | None) -> bool:
        if self._selectors is None:
            self._selectors = self._read_selectors()
        if ALL_SERVICES_KNOWN not in self._selectors:
            return True
        return any(
            set_selector_matches(selector, labels)
            for selector in self._selectors.get(namespace, [])
        )

    def _read_selectors(self) -> dict[str, list[dict]]:
        by_namespace: dict[str, list[dict]] = {}
        for field, value in redis_client().hgetall(_key("selectors", self.sandbox_id)).items():
            name = field.decode()
            if name == ALL_SERVICES_KNOWN:
                by_namespace[ALL_SERVICES_KNOWN] = []
                continue
            by_namespace.setdefault(name.partition("/")[0], []).append(json.loads(value))
        return by_namespace
