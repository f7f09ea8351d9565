"""What a handler answers, and how stored values look to clients."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from cluster.apiserver.tracing import RecordedTrace
from cluster.store import Delete, Event, KeyValue, Put, TxnResult

WriteOp = Put | Delete


class LostRace(Exception):
    """Another writer changed the object between our read and our write; try again."""


@dataclass
class Outcome:
    body: dict
    code: int
    revision: int
    narration: str = ""  # for a call that wrote nothing; a write's trace tells its own
    events: list[Event] = field(default_factory=list)
    trace: RecordedTrace | None = None  # written with the write (Registry.write)

    @classmethod
    def of_write(
        cls, result: TxnResult, trace: RecordedTrace, body: dict, *, code: int = 200
    ) -> Outcome:
        """A write's answer: its body, the revision it took, its events and its trace."""
        return cls(body, code, result.revision, events=result.events, trace=trace)


@dataclass(frozen=True)
class WatchBatch:
    """Watch events after a resourceVersion, and where to resume from."""

    events: list[dict]
    resource_version: int


def meta_of(obj: object) -> dict:
    """An object's metadata, or {} when it has none (or not a mapping)."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta if isinstance(meta, dict) else {}


def with_revision(obj: dict, revision: int) -> dict:
    result = copy.copy(obj)
    result["metadata"] = {**obj.get("metadata", {}), "resourceVersion": str(revision)}
    return result


def object_of(kv: KeyValue) -> dict:
    """A stored value as clients see it: the store's mod_revision is its resourceVersion."""
    return with_revision(kv.value, kv.mod_revision)
