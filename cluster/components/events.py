"""Recording core/v1 Events, as client-go's event recorder does, repeats counted.

A repeat of the same reason and message about the same object bumps `count`
and `lastTimestamp` of one Event, so `kubectl describe` shows "(x3 over 5m)".

A tick killed before its memory was saved is run again from the memory before
it, and files its events again. An event about one occurrence (Started: this
container, not another start of the same name) names it, and a repeat of the
same occurrence is recognised on the Event itself and not counted again.
"""

from __future__ import annotations

import hashlib

from cluster.components.api import Clock, ClusterApi
from cluster.objects import format_time

# How many recorded events a component remembers, so a repeat is a patch at once
# instead of a create the API server refuses (409) and then a patch.
REMEMBERED_EVENTS = 500
# What an Event counts last: the occurrence its reporter named (a container's id).
OCCURRENCE_ANNOTATION = "podlab.io/occurrence"


class EventRecorder:
    def __init__(
        self,
        api: ClusterApi,
        clock: Clock,
        *,
        component: str,
        host: str = "",
        memory: dict | None = None,
    ):
        """memory: the component's own record of events it filed (name -> count),
        kept in its state between ticks."""
        self.api = api
        self.clock = clock
        self.memory = memory if memory is not None else {}
        self.source = {"component": component, **({"host": host} if host else {})}
        self.component = component

    def normal(
        self, obj: dict, reason: str, message: str, *, occurrence: str = "", field_path: str = ""
    ) -> None:
        self.record(obj, "Normal", reason, message, occurrence=occurrence, field_path=field_path)

    def warning(
        self, obj: dict, reason: str, message: str, *, occurrence: str = "", field_path: str = ""
    ) -> None:
        self.record(obj, "Warning", reason, message, occurrence=occurrence, field_path=field_path)

    def record(
        self,
        obj: dict,
        event_type: str,
        reason: str,
        message: str,
        *,
        occurrence: str = "",
        field_path: str = "",
    ) -> None:
        """occurrence: what this event is about, when a repeat of it is the same happening
        told twice (a container started), not a new one (another start): counted once.
        field_path: the part of the object it is about ("spec.containers{web}"), which
        kubectl shows as the event's SUBOBJECT; as in upstream's aggregation key, events
        about two parts are two events."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        about = f"{meta.get('uid')}|{reason}|{message}" + (f"|{field_path}" if field_path else "")
        digest = hashlib.sha256(about.encode()).hexdigest()
        name = f"{meta['name']}.{digest[:16]}"
        now = format_time(self.clock.now())
        key = f"{namespace}/{name}"
        if key in self.memory:
            self._repeat(namespace, name, key, now, occurrence)
            return
        event = self._event(obj, name, event_type, reason, message, now)
        if field_path:
            event["involvedObject"]["fieldPath"] = field_path
        if occurrence:
            event["metadata"]["annotations"] = {OCCURRENCE_ANNOTATION: occurrence}
        try:
            self.api.create("events", event, namespace=namespace)
        except Exception as error:  # an ApiError: AlreadyExists means "a repeat"
            if getattr(error, "code", None) != 409:
                return _lost(error)
            existing = self.api.get("events", name, namespace=namespace)
            self.memory[key] = int(existing.get("count", 1))
            annotations = existing.get("metadata", {}).get("annotations") or {}
            if occurrence and annotations.get(OCCURRENCE_ANNOTATION) == occurrence:
                self._remember(key, self.memory[key])  # told already, by a tick not saved
                return
            self._repeat(namespace, name, key, now, occurrence)
            return
        self._remember(key, 1)

    def _repeat(self, namespace: str, name: str, key: str, now: str, occurrence: str) -> None:
        count = self.memory[key] + 1
        patch: dict = {"count": count, "lastTimestamp": now}
        if occurrence:
            patch["metadata"] = {"annotations": {OCCURRENCE_ANNOTATION: occurrence}}
        try:
            self.api.patch("events", name, patch, namespace=namespace)
        except Exception as error:
            self.memory.pop(key, None)  # gone (deleted, reset): the next one creates afresh
            return _lost(error)
        self._remember(key, count)

    def _remember(self, key: str, count: int) -> None:
        self.memory.pop(key, None)
        self.memory[key] = count
        while len(self.memory) > REMEMBERED_EVENTS:
            self.memory.pop(next(iter(self.memory)))

    def _event(
        self, obj: dict, name: str, event_type: str, reason: str, message: str, now: str
    ) -> dict:
        meta = obj["metadata"]
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": meta.get("namespace") or "default"},
            "involvedObject": {
                "apiVersion": obj.get("apiVersion", "v1"),
                "kind": obj.get("kind", "Pod"),
                "name": meta["name"],
                "namespace": meta.get("namespace", ""),
                "uid": meta.get("uid", ""),
                "resourceVersion": meta.get("resourceVersion", ""),
            },
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": self.source,
            "reportingComponent": self.component,
            "reportingInstance": self.source.get("host", ""),
            "firstTimestamp": now,
            "lastTimestamp": now,
            "eventTime": None,
            "count": 1,
        }


def _lost(error: Exception) -> None:
    """Like client-go's recorder, a lost event never fails the work it describes;
    anything but an API error (a bug) still surfaces."""
    if getattr(error, "code", None) is None:
        raise error
