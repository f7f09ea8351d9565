"""Traces: each API call recorded with its stages and told in one plain sentence."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from django.db import connection
from django.utils import timezone

from cluster.models import Sandbox, Trace
from cluster.models.trace import TRACE_FIELDS, trace_message
from cluster.resources.types import ResourceType


@dataclass
class Request:
    verb: str
    rt: ResourceType
    namespace: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def target(self) -> str:
        """'pod default/web', 'pods in default', 'nodes', 'binding of pod default/web'."""
        if not self.name:
            where = f" in {self.namespace}" if self.namespace else ""
            return f"{self.rt.name}{where}"
        ref = f"{self.namespace}/{self.name}" if self.namespace else self.name
        thing = f"{self.rt.singular} {ref}"
        return f"{self.subresource} of {thing}" if self.subresource else thing

    @property
    def key(self) -> str:
        if self.namespace and self.rt.namespaced:
            return f"/registry/{self.rt.name}/{self.namespace}/{self.name}"
        return f"/registry/{self.rt.name}/{self.name}"


@dataclass
class Stages:
    """What each stage of the request pipeline decided, in order."""

    entries: list[dict] = field(default_factory=list)

    def passed(self, stage: str, detail: str) -> None:
        self.entries.append({"stage": stage, "ok": True, "detail": detail})

    def failed(self, stage: str, detail: str) -> None:
        self.entries.append({"stage": stage, "ok": False, "detail": detail})


@dataclass(frozen=True)
class RecordedTrace:
    """A trace as written: its id, who called, and the message the live page receives."""

    id: int
    actor: str
    message: dict


_INSERT_TRACE = (
    f"INSERT INTO {Trace._meta.db_table} (sandbox_id, {', '.join(TRACE_FIELDS)})"
    f" VALUES (%s{', %s' * len(TRACE_FIELDS)}) RETURNING id"
)


def record_trace(
    *,
    sandbox: Sandbox,
    actor: str,
    request: Request,
    code: int,
    reason: str,
    revision: int,
    narration: str,
    stages: Stages,
    duration_ms: float,
) -> RecordedTrace:
    """Write the trace in the caller's transaction, so it commits with the call's writes.

    One plain INSERT: every API call writes one, and the ORM's save costs more
    CPU than the database takes to store the row.
    """
    fields = {
        "revision": revision,
        "actor": actor,
        "verb": request.verb,
        "resource": request.rt.name,
        "subresource": request.subresource,
        "namespace": request.namespace,
        "name": request.name,
        "code": code,
        "reason": reason,
        "duration_ms": duration_ms,
        "narration": narration,
        "stages": stages.entries,
        "created_at": timezone.now(),
        "sandbox_time": sandbox.now(),
    }
    adapt_time = connection.ops.adapt_datetimefield_value
    columns = {
        **fields,
        "stages": orjson.dumps(stages.entries).decode(),
        "created_at": adapt_time(fields["created_at"]),
        "sandbox_time": adapt_time(fields["sandbox_time"]),
    }
    params = [sandbox.pk, *(columns[name] for name in TRACE_FIELDS)]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_TRACE, params)
        (trace_id,) = cursor.fetchone()
    return RecordedTrace(trace_id, actor, trace_message(trace_id, fields))


def failure_narration(actor: str, request: Request, code: int, reason: str, message: str) -> str:
    return (
        f"the API server refused {actor}'s {request.verb} of {request.target}:"
        f" {code} {reason} ({message})"
    )
