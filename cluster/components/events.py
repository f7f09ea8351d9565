"""Recording core/v1 Events, as client-go's event recorder does, repeats counted.

Names. An Event is named as client-go names it, `<object name>.<hex of UnixNano>`
at the moment it is first recorded (fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())).
A list of events comes back in name order, so the events of one object list in
the order they were recorded; `kubectl describe` sorts them by lastTimestamp
(whole seconds) and keeps that list order within a second, so Scheduled shows
before Pulling, and Created before Started, even when they share a second.

Repeats. A repeat of an event (upstream's aggregation key: the same source, object,
part of the object, type, reason and message) bumps `count` and `lastTimestamp` of
one Event, so `kubectl describe` shows "(x3 over 5m)". The component's memory
(its state, saved between ticks) maps the key to the Event's name and count: a
repeat is one patch.

A memory that does not know the key. The Event's name comes from a time, so it
cannot be worked out again: a restart, a tick killed before its memory was saved
and run again, or an entry forgotten to keep the memory small, would file a
second Event for what one already counts. Nothing a component holds can tell
such a miss from a new event, so on a miss the recorder asks the API server, with
one list of the object's events (by `involvedObject.name`, as `kubectl describe`
asks, then matched on the whole key), kept for the rest of the tick: every other
event about that object in the tick reads the same answer, so a pod that is
pulled, created and started in one tick costs one list, not one per event, and a
repeat the memory knows (a BackOff every few seconds) costs no list at all. A list
per event would draw a call more on the diagram for every event; a list of all of
a component's events, an answer that grows with objects it is not working on.
(Upstream's recorders keep their cache in process and file afresh after a
restart; a node's kubelet may not even list events. Ours live from tick to tick,
and a lesson must not count a start twice.)

Occurrences. An event about one occurrence (Started: this container, not another
start of the same name) names it, and the Event keeps it in an annotation: told
again by a recorder whose memory does not know the Event (a tick run again), it
is recognised there and not counted again. A repeat the memory knows is counted:
the memory patches the count it remembers plus one, so a tick run again from that
memory writes the same count again rather than counting twice, and a reporter may
name one occurrence in events it means to count (a pull retried for one container).

Same nanosecond. The sandbox clock stands still while paused and stepped, so events
recorded one after another can share a nanosecond, in one tick or across ticks and
components (and workers on two machines may read it a little apart). A new Event is
named by now, or by the nanosecond after the newest of the events listed for the
object's name (or filed in this tick) when that one is named by now or later, so it
lists after them; a name taken all the same (two long names cut to one prefix)
answers 409 AlreadyExists, and the next nanosecond is tried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import TypedDict

from cluster.components.api import Clock, ClusterApi
from cluster.objects import format_time

# How many recorded events a component remembers, so a repeat is a patch at once
# instead of a list of the object's events and then a patch.
REMEMBERED_EVENTS = 500
# What an Event counts last: the occurrence its reporter named (a container's id).
OCCURRENCE_ANNOTATION = "podlab.io/occurrence"
# An Event's name is a DNS subdomain: a long object name is cut to leave room for
# "." and 16 hex digits (an int64 of nanoseconds since 1970 from 2004 on).
MAX_NAME_LENGTH = 253
TIME_HEX_DIGITS = 16
TIME_HEX = re.compile(f"[0-9a-f]{{{TIME_HEX_DIGITS}}}")
# Creates tried for a new Event whose name another object's Event took in the same
# nanosecond: one is plenty in practice, a few keep a burst from losing the event.
CREATE_TRIES = 5
# How far ahead of this component's clock another's may have named an event (workers
# on several machines): a name further ahead is not a time (an older Podlab's hash).
CLOCK_AHEAD_NANOS = 60 * 1_000_000_000
UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class FiledEvent(TypedDict):
    """What the memory keeps of an Event it filed (plain JSON, in the component's state)."""

    name: str
    count: int


class _FoundEvent(FiledEvent):
    """An Event found among the object's, and the occurrence it counted last."""

    occurrence: str


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
        """memory: the component's own record of events it filed (aggregation key ->
        FiledEvent), kept in its state between ticks. A recorder lives for one tick."""
        self.api = api
        self.clock = clock
        self.memory = memory if memory is not None else {}
        _forget_entries_of_another_shape(self.memory)
        self.source = {"component": component, **({"host": host} if host else {})}
        self.component = component
        # This tick's answer to "which events does this object have?", by object, with
        # the Events this recorder filed since: asked once, on the first memory miss.
        self._object_events: dict[tuple[str, str], list[dict]] = {}
        # Names this recorder filed in this tick, as (namespace, name): an object whose
        # long name is cut to the same prefix takes the next nanosecond without a 409.
        self._names_filed: set[tuple[str, str]] = set()

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
        now = self.clock.now()
        event = self._event(obj, event_type, reason, message, format_time(now))
        if field_path:
            event["involvedObject"]["fieldPath"] = field_path
        if occurrence:
            event["metadata"]["annotations"] = {OCCURRENCE_ANNOTATION: occurrence}
        key = aggregation_key(event)
        try:
            filed = self._file(event, key, now, occurrence)
        except Exception as error:  # an ApiError; a repeat of an Event gone is filed afresh
            self.memory.pop(key, None)
            return _lost(error)
        if filed is not None:
            self._remember(key, filed)

    def _file(self, event: dict, key: str, now: dt.datetime, occurrence: str) -> FiledEvent | None:
        """File the event as a repeat or a new Event: what the memory keeps of it then."""
        remembered = self.memory.get(key)
        if remembered is not None:
            return self._repeat(event, remembered, occurrence)
        found = self._filed_before(event, key)
        if found is None:
            return self._create(event, now)  # None: every name tried was taken, lost
        if occurrence and found["occurrence"] == occurrence:
            return found  # told already, by a tick whose memory was not saved
        return self._repeat(event, found, occurrence)

    def _filed_before(self, event: dict, key: str) -> _FoundEvent | None:
        """The Event with this aggregation key among the object's events, if any (the
        newest, should there be two), with the occurrence it counted last."""
        same = [e for e in self._events_of_object(event) if aggregation_key(e) == key]
        if not same:
            return None
        found = same[-1]
        annotations = found["metadata"].get("annotations") or {}
        return {
            "name": found["metadata"]["name"],
            "count": int(found.get("count") or 1),
            "occurrence": annotations.get(OCCURRENCE_ANNOTATION, ""),
        }

    def _events_of_object(self, event: dict) -> list[dict]:
        """The events about objects of this one's name (its own, and those of a namesake:
        a Service web, a pod web deleted and made again, the node's as the node lifecycle
        controller names it by uid and the kubelet by name), whose Events' names start
        alike: listed once per tick, then kept up to date by _create."""
        namespace = event["metadata"]["namespace"]
        name = event["involvedObject"]["name"]
        if (namespace, name) not in self._object_events:
            selector = f"involvedObject.name={name}"
            listed = self.api.list("events", namespace=namespace, field_selector=selector)
            self._object_events[namespace, name] = listed["items"]
        return self._object_events[namespace, name]

    def _create(self, event: dict, now: dt.datetime) -> FiledEvent | None:
        namespace = event["metadata"]["namespace"]
        object_name = event["involvedObject"]["name"]
        object_events = self._events_of_object(event)  # read already, by _filed_before
        names = [e["metadata"]["name"] for e in object_events]
        nanos = _naming_nanos(unix_nanos(now), names, object_name)
        taken = {(namespace, name) for name in names} | self._names_filed
        for _ in range(CREATE_TRIES):
            while (namespace, event_name(object_name, nanos)) in taken:
                nanos += 1
            name = event["metadata"]["name"] = event_name(object_name, nanos)
            try:
                created = self.api.create("events", event, namespace=namespace)
            except Exception as error:  # AlreadyExists: another object's event, this name
                if getattr(error, "code", None) != 409:
                    raise
                taken.add((namespace, name))
                continue
            object_events.append(created)
            self._names_filed.add((namespace, name))
            return {"name": name, "count": 1}
        return None

    def _repeat(self, event: dict, filed: FiledEvent, occurrence: str) -> FiledEvent:
        count = filed["count"] + 1
        patch: dict = {"count": count, "lastTimestamp": event["lastTimestamp"]}
        if occurrence:
            patch["metadata"] = {"annotations": {OCCURRENCE_ANNOTATION: occurrence}}
        namespace = event["metadata"]["namespace"]
        self.api.patch("events", filed["name"], patch, namespace=namespace)
        return {"name": filed["name"], "count": count}

    def _remember(self, key: str, filed: FiledEvent) -> None:
        self.memory.pop(key, None)
        self.memory[key] = {"name": filed["name"], "count": filed["count"]}
        while len(self.memory) > REMEMBERED_EVENTS:
            self.memory.pop(next(iter(self.memory)))

    def _event(self, obj: dict, event_type: str, reason: str, message: str, now: str) -> dict:
        """The Event to file, named when it is created."""
        meta = obj["metadata"]
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"namespace": meta.get("namespace") or "default"},
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


def aggregation_key(event: dict) -> str:
    """What makes two events one, as upstream's getEventKey: source, object, part of the
    object, type, reason and message (hashed: it is the memory's key)."""
    source = event.get("source") or {}
    involved = event.get("involvedObject") or {}
    fields = [
        source.get("component", ""),
        source.get("host", ""),
        *(
            involved.get(field, "")
            for field in ("kind", "namespace", "name", "fieldPath", "uid", "apiVersion")
        ),
        event.get("type", ""),
        event.get("reason", ""),
        event.get("message", ""),
    ]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]


def event_name(object_name: str, nanos: int) -> str:
    """client-go's `<name>.<hex of UnixNano>`, zero-padded so that names sort by time."""
    return f"{_name_prefix(object_name)}.{max(nanos, 0):0{TIME_HEX_DIGITS}x}"


def _name_prefix(object_name: str) -> str:
    """The object's name, cut (at a character a DNS subdomain may end with) to leave room
    for the time."""
    room = MAX_NAME_LENGTH - 1 - TIME_HEX_DIGITS
    return object_name if len(object_name) <= room else object_name[:room].rstrip("-.")


def _naming_nanos(now_nanos: int, names: list[str], object_name: str) -> int:
    """The time a new event of the object is named by: now, or just after the newest of its
    events when one is named by now or later (the clock stood still, or another worker's
    clock ran a little ahead), so that it lists after them. A name that does not read as a
    time near now (an older Podlab named events by a hash) is passed over."""
    newest = now_nanos - 1
    prefix = _name_prefix(object_name)
    for name in names:
        head, _, time_hex = name.rpartition(".")
        if head == prefix and TIME_HEX.fullmatch(time_hex):
            recorded = int(time_hex, 16)
            if recorded <= now_nanos + CLOCK_AHEAD_NANOS:
                newest = max(newest, recorded)
    return newest + 1


def unix_nanos(moment: dt.datetime) -> int:
    """Go's Time.UnixNano, exactly (a float of seconds would lose the last digits)."""
    since = moment.astimezone(dt.UTC) - UNIX_EPOCH
    return (since.days * 86_400 + since.seconds) * 1_000_000_000 + since.microseconds * 1_000


def _forget_entries_of_another_shape(memory: dict) -> None:
    """A memory saved by an older Podlab (event name -> count) names no key this one asks
    for; dropping it keeps the room for entries that do."""
    for key in [key for key, filed in memory.items() if not isinstance(filed, dict)]:
        del memory[key]


def _lost(error: Exception) -> None:
    """Like client-go's recorder, a lost event never fails the work it describes;
    anything but an API error (a bug) still surfaces."""
    if getattr(error, "code", None) is None:
        raise error
