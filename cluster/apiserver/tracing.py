"""Traces: each API call recorded with its stages and told in one plain sentence."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import orjson
from django.db import connection
from django.utils import timezone

from cluster.models import Sandbox, Trace
from cluster.models.trace import TRACE_FIELDS, trace_message
from cluster.resources.keys import object_key
from cluster.resources.types import ResourceType
from cluster.store import Rider, TxnResult
from cluster.store_sql import statement_cursor

# In the texts of a write's trace, the revision the write is given: only the store's
# statement knows it, and fills it in (a name, a uid or a user name never holds braces).
REVISION = "{revision}"


@dataclass
class Request:
    verb: str
    rt: ResourceType
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    actor: str = "anonymous"  # who is calling, once authenticated
    user_agent: str = ""  # the client they call through, once authenticated
    command: str = ""  # the kubectl command a user's click stands for (ApiServer.as_user)
    # dryRun=All: every stage runs, the store is only read (Registry.write).
    dry_run: bool = False
    # The field manager of a server-side apply, told in the call's narration.
    applied_by: str = ""
    received: float = field(default_factory=time.perf_counter)

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
        return object_key(self.rt, self.namespace, self.name)


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


_COLUMNS = ", ".join(TRACE_FIELDS)

_INSERT_TRACE = (
    f"INSERT INTO {Trace._meta.db_table} (sandbox_id, {_COLUMNS})"
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
        **_call_fields(request, actor, code, reason),
        "revision": revision,
        "duration_ms": duration_ms,
        "narration": narration,
        "stages": stages.entries,
        **_timestamps(sandbox),
    }
    columns = _column_values(fields)
    params = [sandbox.pk, *(columns[name] for name in TRACE_FIELDS)]
    with statement_cursor() as cursor:
        cursor.execute(_INSERT_TRACE, params)
        (trace_id,) = cursor.fetchone()
    return RecordedTrace(trace_id, actor, trace_message(trace_id, fields))


class WriteTrace:
    """The trace of a write, sent with it as the store's Rider, so the two commit together
    in one statement.

    Its narration and stages name the revision as REVISION, which the statement
    fills in. Its duration runs to the moment the write is sent, plus, on
    PostgreSQL, the statement's own time in the database before the trace row.
    """

    def __init__(
        self, *, sandbox: Sandbox, request: Request, code: int, narration: str, stages: list[dict]
    ):
        self.sandbox = sandbox
        self.request = request
        self.fields: dict = {
            **_call_fields(request, request.actor, code, ""),
            "narration": narration,
            "stages": stages,
        }

    def rider(self) -> Rider:
        return Rider(_rider_sql(connection.vendor), self._params)

    def recorded(self, result: TxnResult) -> RecordedTrace:
        """The trace as written, with the revision filled in."""
        trace_id, duration_ms = result.rider_row
        revision = str(result.revision)
        fields = {
            **self.fields,
            "revision": result.revision,
            "duration_ms": duration_ms,
            "narration": self.fields["narration"].replace(REVISION, revision),
            "stages": [
                {**entry, "detail": entry["detail"].replace(REVISION, revision)}
                for entry in self.fields["stages"]
            ],
        }
        return RecordedTrace(trace_id, self.request.actor, trace_message(trace_id, fields))

    def _params(self) -> dict[str, object]:
        self.fields |= _timestamps(self.sandbox)
        self.fields["duration_ms"] = (time.perf_counter() - self.request.received) * 1000
        params = {f"trace_{name}": value for name, value in _column_values(self.fields).items()}
        params["trace_sandbox"] = self.sandbox.pk
        return params


def _call_fields(request: Request, actor: str, code: int, reason: str) -> dict:
    return fit_columns(
        {
            "actor": actor,
            "user_agent": request.user_agent,
            "verb": request.verb,
            "resource": request.rt.name,
            "subresource": request.subresource,
            "namespace": request.namespace,
            "name": request.name,
            "code": code,
            "reason": reason,
            "command": request.command,
        }
    )


# The trace table's bounded text columns and their lengths.
_COLUMN_LENGTHS = {
    field.name: field.max_length
    for field in Trace._meta.get_fields()
    if getattr(field, "max_length", None) and field.name in TRACE_FIELDS
}
TRUNCATED = "…"


def fit_columns(fields: dict) -> dict:
    """Each text the trace records, cut to its column's length (the cut marked with "…").

    A trace records what was asked, and a refused call may name a namespace, a name or a
    URL part of any length: recording it must never fail the call (PostgreSQL refuses a
    value longer than its column; SQLite would keep it whole)."""
    fitted = dict(fields)
    for name, length in _COLUMN_LENGTHS.items():
        value = fitted.get(name)
        if isinstance(value, str) and len(value) > length:
            fitted[name] = value[: length - len(TRUNCATED)] + TRUNCATED
        elif not isinstance(value, str):
            fitted[name] = "" if value is None else str(value)[:length]
    return fitted


def storable_text(text: str) -> str:
    """The text with what a database column cannot hold spelled out: NUL (PostgreSQL
    refuses it) and lone surrogates (no UTF-8 bytes exist for them). A refused call's
    message may quote them from its body."""
    if text.isascii() and "\x00" not in text:
        return text
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode()


def _timestamps(sandbox: Sandbox) -> dict:
    return {"created_at": timezone.now(), "sandbox_time": sandbox.now()}


def _column_values(fields: dict) -> dict:
    """The trace's fields as the database takes them: stages as JSON text, times adapted."""
    adapt_time = connection.ops.adapt_datetimefield_value
    stages = [
        {**entry, "detail": storable_text(str(entry.get("detail", "")))}
        for entry in fields["stages"]
    ]
    return {
        **{
            name: storable_text(value) if isinstance(value, str) else value
            for name, value in fields.items()
        },
        "stages": orjson.dumps(stages).decode(),
        "created_at": adapt_time(fields["created_at"]),
        "sandbox_time": adapt_time(fields["sandbox_time"]),
    }


@functools.cache
def _rider_sql(vendor: str) -> str:
    """The trace's INSERT for a Rider, in the database's dialect."""
    if vendor == "postgresql":
        revision_text = "new_revision.revision::text"
        duration = (
            "%(trace_duration_ms)s"
            " + 1000 * extract(epoch FROM clock_timestamp() - statement_timestamp())"
        )
        stages = f"replace(%(trace_stages)s, '{REVISION}', {revision_text})::jsonb"
    else:
        revision_text = "CAST(new_revision.revision AS TEXT)"
        duration = "%(trace_duration_ms)s"
        stages = f"replace(%(trace_stages)s, '{REVISION}', {revision_text})"
    values = {name: f"%(trace_{name})s" for name in TRACE_FIELDS} | {
        "revision": "new_revision.revision",
        "duration_ms": duration,
        "narration": f"replace(%(trace_narration)s, '{REVISION}', {revision_text})",
        "stages": stages,
    }
    return (
        f"INSERT INTO {Trace._meta.db_table} (sandbox_id, {_COLUMNS})"
        f" SELECT %(trace_sandbox)s, {', '.join(values[name] for name in TRACE_FIELDS)}"
        " FROM new_revision RETURNING id, duration_ms"
    )


def failure_narration(actor: str, request: Request, code: int, reason: str, message: str) -> str:
    return (
        f"the API server refused {actor}'s {request.verb} of {request.target}:"
        f" {' '.join(filter(None, (str(code), reason)))} ({message})"
    )


# The oldest trace to forget: the newest one past the newest `rows` traces, or past the
# newest `bytes` of their texts (narration, stages and command, the columns that grow:
# a refusal's stages carry every cause). One scan of the sandbox's traces, newest first.
_OLDEST_TRACE_FORGOTTEN = (
    "SELECT id FROM (SELECT id, ROW_NUMBER() OVER newest AS newer_rows,"
    " SUM(LENGTH(narration) + LENGTH(CAST(stages AS TEXT)) + LENGTH(command)) OVER newest"
    " AS newer_bytes"
    f" FROM {Trace._meta.db_table} WHERE sandbox_id = %s"
    " WINDOW newest AS (ORDER BY id DESC ROWS UNBOUNDED PRECEDING)) AS kept"
    " WHERE newer_rows > %s OR newer_bytes > %s ORDER BY id DESC LIMIT 1"
)


def trim_traces(sandbox_id: int, *, keep_rows: int, keep_bytes: int) -> int:
    """Forget the sandbox's oldest traces, keeping at most the newest `keep_rows` and at
    most `keep_bytes` of their texts. Returns how many went."""
    with connection.cursor() as cursor:
        cursor.execute(_OLDEST_TRACE_FORGOTTEN, [sandbox_id, keep_rows, keep_bytes])
        row = cursor.fetchone()
    if row is None:
        return 0
    deleted, _ = Trace.objects.filter(sandbox_id=sandbox_id, id__lte=row[0]).delete()
    return deleted
