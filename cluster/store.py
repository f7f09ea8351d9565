"""The etcd-like store: one keyspace per sandbox, revisions, compare-and-swap, a watch log.

Only the API server calls this module (ARCHITECTURE.md, "the one rule"). It
knows keys, JSON values and revisions, nothing of Kubernetes semantics.

Revisions follow etcd: one counter per sandbox, bumped once per write
transaction inside that transaction. The bump is an UPDATE of the sandbox's
counter row, which every writer of the sandbox must take first, so writers
queue behind each other and revision order is commit order with no gaps.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum

from cluster import store_sql
from cluster.models.store import StoreEvent, StoreRevision
from cluster.resources.keys import split_key

MAX_VALUE_BYTES = 1536 * 1024  # etcd's default request limit: 1.5 MiB


class StoreError(Exception):
    pass


class CompareFailed(StoreError):
    """A compare on mod_revision did not hold; nothing was written."""

    def __init__(self, key: str, expected: int, actual: KeyValue | None):
        super().__init__(f"compare failed on {key}: expected mod_revision {expected}")
        self.key = key
        self.expected = expected
        self.actual = actual


class KeyMissing(StoreError):
    def __init__(self, key: str):
        super().__init__(f"no such key: {key}")
        self.key = key


class TooOld(StoreError):
    def __init__(self, requested: int, compacted: int):
        super().__init__(
            f"required revision {requested} has been compacted (oldest kept: {compacted})"
        )
        self.requested = requested
        self.compacted = compacted


class RequiredKeyMissing(StoreError):
    """A key the transaction requires (an etcd compare on another key) does not exist."""

    def __init__(self, key: str):
        super().__init__(f"required key is missing: {key}")
        self.key = key


class QuotaExceeded(StoreError):
    """A create over the keyspace's quota of keys (Store's max_objects); nothing was
    written."""

    def __init__(self, key: str, used: int, limit: int):
        super().__init__(f"cannot create {key}: {used} of {limit} keys used")
        self.key = key
        self.used = used
        self.limit = limit


class ValueTooLarge(StoreError):
    def __init__(self, key: str, size: int):
        super().__init__(f"value of {key} is {size} bytes, over the limit of {MAX_VALUE_BYTES}")
        self.key = key
        self.size = size


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: dict
    create_revision: int
    mod_revision: int
    version: int


@dataclass(frozen=True)
class Event:
    type: str  # "PUT" or "DELETE"
    key: str
    revision: int
    value: dict | None
    prev_value: dict | None


@dataclass(frozen=True)
class Put:
    """Write key. expect_mod_revision: None = unconditional, 0 = must not exist."""

    key: str
    value: dict
    expect_mod_revision: int | None = None


@dataclass(frozen=True)
class Delete:
    key: str
    expect_mod_revision: int | None = None


@dataclass(frozen=True)
class Required:
    """A key a transaction requires (etcd's compare on another key): it must exist, and
    when mod_revision is given, be unchanged since that revision."""

    key: str
    mod_revision: int | None = None


def _requirements(requires: Sequence[str | Required]) -> list[Required]:
    return [r if isinstance(r, Required) else Required(r) for r in requires]


def _pins(requires: Sequence[Required]) -> tuple[bool, ...]:
    return tuple(required.mod_revision is not None for required in requires)


@dataclass(frozen=True)
class Rider:
    """A statement that commits with a write, and only if the write happens: the API
    server's trace of the call.

    `sql` is an INSERT ... SELECT ... FROM new_revision RETURNING ..., where
    new_revision is a one-row table holding the revision written, in the
    database's own dialect (cluster.store knows no table but its own).
    `params` gives its named parameters when the statement is about to be sent.
    On PostgreSQL a single-key write carries it inside its one statement;
    elsewhere it runs after the writes, in their transaction.
    """

    sql: str
    params: Callable[[], dict[str, object]]


@dataclass(frozen=True)
class TxnResult:
    revision: int
    events: list[Event]
    kvs: dict[str, KeyValue]  # the written keys as they now are (deleted ones absent)
    rider_row: tuple | None = None  # what the rider's RETURNING gave


@dataclass(frozen=True)
class RangeResult:
    items: list[KeyValue]
    revision: int
    more: bool


@dataclass(frozen=True)
class ColumnMatch:
    """A filter on an indexed column of the key (namespace, name, node_name, phase).

    An empty value matches a column that is empty or absent from the object.
    """

    column: str
    value: str
    negate: bool = False

    def as_sql(self) -> tuple[str, list[str]]:
        """The condition on the key table (alias k), NULL meaning "absent" as for ""."""
        if self.column not in {"namespace", "name", "node_name", "phase"}:
            raise ValueError(f"cannot filter on {self.column}")
        column = f"k.{self.column}"
        if self.value == "":
            if self.negate:
                return f"{column} <> ''", []
            return f"({column} = '' OR {column} IS NULL)", []
        if self.negate:
            return f"({column} IS NULL OR {column} <> %s)", [self.value]
        return f"{column} = %s", [self.value]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while decoding many values.

    Decoding thousands of JSON objects allocates enough containers to trigger
    collections over and over, which doubled the time of a 5,000-pod list.
    Decoded JSON holds no reference cycles, so nothing is lost by waiting.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def revisions(sandbox_ids: Iterable[int]) -> dict[int, int]:
    """The revision each of these keyspaces has reached, in one read (a keyspace never
    written is left out)."""
    return dict(
        StoreRevision.objects.filter(sandbox_id__in=set(sandbox_ids)).values_list(
            "sandbox_id", "revision"
        )
    )


def storable(key: str) -> bool:
    """Whether a key could be in the store: PostgreSQL's text holds no NUL, and UTF-8 no
    lone surrogate. A key that could not is in no keyspace (a read of it finds nothing,
    rather than failing the database statement)."""
    if "\x00" in key:
        return False
    try:
        key.encode()
    except UnicodeEncodeError:
        return False
    return True


def _is_create(op: Put | Delete) -> bool:
    return isinstance(op, Put) and op.expect_mod_revision == 0


def _one_statement(ops: list[Put | Delete], requires: Sequence[Required]) -> bool:
    """Whether PostgreSQL can do this write in one statement: a single create (with
    or without required keys), or a single compare-and-swap update or delete."""
    if len(ops) != 1:
        return False
    op = ops[0]
    if _is_create(op):
        return True
    if requires:
        return False
    return isinstance(op, Delete) or op.expect_mod_revision is not None


def _encode(op: Put) -> str:
    """The value as the JSON text both the key and its log entry store, size-checked."""
    encoded = orjson.dumps(op.value)
    if len(encoded) > MAX_VALUE_BYTES:
        raise ValueTooLarge(op.key, len(encoded))
    return encoded.decode()


def _encode_json(value: dict | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _decode(text: str | bytes | dict | None) -> dict | None:
    if text is None or isinstance(text, dict):
        return text
    return orjson.loads(text)


class Store:
    """The keyspace of one sandbox.

    max_objects: how many keys it may hold (None: any number), not counting keys under
    uncounted_prefixes; a create past it raises QuotaExceeded. The count is kept on the
    revision row by the writes themselves, so a quota costs no COUNT at each create.
    """

    def __init__(
        self,
        sandbox_id: int,
        *,
        max_objects: int | None = None,
        uncounted_prefixes: tuple[str, ...] = (),
    ):
        self.sandbox_id = sandbox_id
        self.max_objects = max_objects
        self.uncounted_prefixes = uncounted_prefixes

    def counts(self, key: str) -> bool:
        """Whether this key counts against max_objects."""
        return not key.startswith(self.uncounted_prefixes)

    # -- reads -------------------------------------------------------------

    def revision(self) -> int:
        return self._revisions()[0]

    def compacted_revision(self) -> int:
        return self._revisions()[1]

    def exists(self, key: str) -> bool:
        if not storable(key):
            return False
        with store_sql.statement_cursor() as cursor:
            cursor.execute(store_sql.KEY_EXISTS, [self.sandbox_id, key])
            return cursor.fetchone() is not None

    def get(self, key: str) -> KeyValue | None:
        if not storable(key):
            return None
        with store_sql.statement_cursor() as cursor:
            return self._read_rows(cursor, [key]).get(key)

    def range(
        self,
        prefix: str,
        *,
        limit: int | None = None,
        start_after: str = "",
        where: Sequence[ColumnMatch] = (),
    ) -> RangeResult:
        """Keys under prefix in key order; `more` says a next page starts after the last.

        One statement, so the revision and the rows come from one snapshot on both
        databases, with no transaction around them.
        """
        if not storable(prefix) or not storable(start_after):
            return RangeResult([], self.revision(), False)
        statement, params = store_sql.range_keys(
            self.sandbox_id,
            prefix,
            start_after=start_after,
            where=[match.as_sql() for match in where],
            limit=limit + 1 if limit else None,
        )
        with store_sql.statement_cursor() as cursor:
            cursor.execute(statement, params)
            with collector_paused():
                rows = cursor.fetchall()
                items = [
                    KeyValue(key, orjson.loads(value), create, mod, version)
                    for _, key, value, create, mod, version in rows
                    if key is not None  # the revision's row when no key matched
                ]
        revision = rows[0][0] if rows else 0
        more = bool(limit) and len(items) > limit
        return RangeResult(items[:limit] if limit else items, revision, more)

    def events_since(
        self, revision: int, *, prefix: str = "", limit: int | None = None
    ) -> list[Event]:
        """The events after `revision`, oldest first. Raises TooOld if compacted away."""
        compacted = self.compacted_revision()
        if revision < compacted:
            raise TooOld(revision, compacted)
        if not storable(prefix):
            return []
        rows = StoreEvent.objects.filter(sandbox_id=self.sandbox_id, revision__gt=revision)
        if prefix:
            rows = rows.filter(key__startswith=prefix)
        rows = rows.order_by("revision", "id").values_list(
            "type", "key", "revision", "value", "prev_value"
        )
        if limit:
            rows = rows[:limit]
        return [Event(*row) for row in rows]

    def key_history(self, key: str) -> list[Event]:
        """The changes of one key still in the watch log, oldest first."""
        if not storable(key):
            return []
        rows = StoreEvent.objects.filter(sandbox_id=self.sandbox_id, key=key).order_by("revision")
        return [
            Event(*row)
            for row in rows.values_list("type", "key", "revision", "value", "prev_value")
        ]

    # -- writes ------------------------------------------------------------

    def put(
        self,
        key: str,
        value: dict,
        *,
        expect_mod_revision: int | None = None,
        requires: Sequence[str | Required] = (),
        rider: Rider | None = None,
    ) -> TxnResult:
        return self.txn([Put(key, value, expect_mod_revision)], requires=requires, rider=rider)

    def delete(
        self,
        key: str,
        *,
        expect_mod_revision: int | None = None,
        rider: Rider | None = None,
    ) -> TxnResult:
        return self.txn([Delete(key, expect_mod_revision)], rider=rider)

    def txn(
        self,
        ops: Iterable[Put | Delete],
        *,
        requires: Sequence[str | Required] = (),
        rider: Rider | None = None,
    ) -> TxnResult:
        """Apply all ops at one new revision, or none of them.

        requires: keys that must exist (etcd's compare on create_revision > 0),
        checked in the same transaction; RequiredKeyMissing names the first
        missing one, CompareFailed a Required key pinned to a mod_revision it
        has moved on from. Raises CompareFailed when an expectation does not hold,
        ValueTooLarge for an oversized value, KeyMissing for a delete of a
        missing key, QuotaExceeded for creates past max_objects; nothing is
        written then, not even the rider.

        On PostgreSQL a single-key write is one statement, which needs no
        transaction of its own: in autocommit it commits in the same round trip.
        """
        ops = list(ops)
        requires = _requirements(requires)
        encoded = {op.key: _encode(op) for op in ops if isinstance(op, Put)}
        written = None
        if connection.vendor == "postgresql" and _one_statement(ops, requires):
            written = self._write_one_postgres(ops[0], encoded, requires, rider)
        if written is None:  # or the keyspace's first write, which creates its counter
            with transaction.atomic():
                written = self._write_portable(ops, encoded, requires, rider)
        result, compacted, history_bytes = written
        history = settings.PODLAB_STORE_HISTORY
        # Compact in batches of a tenth of the history, so the cost is spread thin.
        if result.revision - compacted > history + max(history // 10, 1):
            self.compact(result.revision - history)
        elif history_bytes > settings.PODLAB_STORE_HISTORY_BYTES:
            # The log is bounded in bytes too (a few big objects rewritten often would
            # fill it long before its count): down to nine tenths, for the same reason.
            self.compact_to_bytes(history_bytes, settings.PODLAB_STORE_HISTORY_BYTES * 9 // 10)
        return result

    def compact(self, revision: int) -> None:
        """Forget the watch log up to and including `revision`."""
        with transaction.atomic():
            self._compact(revision)

    def compact_to_bytes(self, history_bytes: int, keep: int) -> None:
        """Forget the oldest entries of a watch log of `history_bytes`, until at most
        `keep` bytes are left."""
        with store_sql.statement_cursor() as cursor:
            cursor.execute(store_sql.OLDEST_BYTES, [self.sandbox_id, history_bytes - keep])
            row = cursor.fetchone()
        if row is not None:
            self.compact(row[0])

    # -- internals ---------------------------------------------------------

    def _write_one_postgres(
        self,
        op: Put | Delete,
        encoded: dict[str, str],
        requires: Sequence[Required],
        rider: Rider | None,
    ) -> tuple[TxnResult, int, int] | None:
        """One key, one statement, one round trip (cluster.store_sql): the result, the
        compacted revision and the watch log's bytes after it; None when the keyspace
        has no revision counter yet."""
        counted = self.counts(op.key)
        params: dict[str, object] = {
            "sandbox": self.sandbox_id,
            "key": op.key,
            "counted": counted,
            "max_objects": self.max_objects,
            "object_delta": (-1 if isinstance(op, Delete) else 1) if counted else 0,
            "value_bytes": len(encoded[op.key]) if isinstance(op, Put) else 0,
        }
        rider_sql = rider.sql if rider else ""
        if isinstance(op, Delete):
            statement = store_sql.postgres_delete(rider_sql)
            params["expected"] = op.expect_mod_revision
        elif _is_create(op):
            statement = store_sql.postgres_create(_pins(requires), rider_sql)
            resource, namespace, name = split_key(op.key)
            params |= {"resource": resource, "namespace": namespace, "name": name}
            for i, required in enumerate(requires):
                params[f"required{i}"] = required.key
                params[f"required{i}_revision"] = required.mod_revision
        else:
            statement = store_sql.postgres_update(rider_sql)
            params["expected"] = op.expect_mod_revision
        if isinstance(op, Put):
            params["value"] = encoded[op.key]
        if rider:
            params |= rider.params()
        with store_sql.statement_cursor() as cursor:
            cursor.execute(statement, params)
            row = cursor.fetchone()
        if row is None:
            return None
        revision, compacted, admitted, written, create_revision, version, previous = row[:7]
        object_count, history_bytes = row[7:9]
        if not admitted:
            raise self._missing_requirement(requires)
        if not written:
            if _is_create(op) and self._over_quota(op.key, object_count, 1):
                raise QuotaExceeded(op.key, object_count, self.max_objects or 0)
            raise self._failure(op)
        rider_row = tuple(row[9:]) if rider else None
        prev_value = _decode(previous)
        # The entry's size as the statement counted it (cluster.store_sql._UPDATE_BYTES).
        history_bytes += params["value_bytes"] + len(previous or "")
        if isinstance(op, Delete):
            event = Event("DELETE", op.key, revision, None, prev_value)
            return TxnResult(revision, [event], {}, rider_row), compacted, history_bytes
        kv = KeyValue(op.key, op.value, create_revision, revision, version)
        event = Event("PUT", op.key, revision, op.value, prev_value)
        return TxnResult(revision, [event], {op.key: kv}, rider_row), compacted, history_bytes

    def _over_quota(self, key: str, used: int, added: int) -> bool:
        return self.max_objects is not None and self.counts(key) and used + added > self.max_objects

    def _write_portable(
        self,
        ops: list[Put | Delete],
        encoded: dict[str, str],
        requires: Sequence[Required],
        rider: Rider | None,
    ) -> tuple[TxnResult, int, int]:
        # What the creates add to the counters is known before any read: the bump adds it.
        creates = [op for op in ops if _is_create(op)]
        created_objects = sum(1 for op in creates if self.counts(op.key))
        created_bytes = sum(len(encoded[op.key]) for op in creates)
        with store_sql.statement_cursor() as cursor:
            params: list[object] = [self.sandbox_id, created_objects, created_bytes]
            for required in requires:
                params += [self.sandbox_id, required.key]
                if required.mod_revision is not None:
                    params.append(required.mod_revision)
            cursor.execute(store_sql.bump_revision(_pins(requires)), params)
            bumped = cursor.fetchone()
            if bumped is None:
                raise self._missing_requirement(requires)
            revision, compacted, object_count, history_bytes = bumped
            # The counters as they were before this transaction.
            object_count -= created_objects
            history_bytes -= created_bytes
            object_delta = log_bytes = 0
            # A create needs no read: the unique key constraint is its compare.
            current = self._read_rows(cursor, [op.key for op in ops if not _is_create(op)])
            events: list[Event] = []
            log: list[object] = []
            kvs: dict[str, KeyValue] = {}
            for op in ops:
                row = current.get(op.key)
                if isinstance(op, Put) and row is None:
                    if op.expect_mod_revision not in (None, 0):
                        raise CompareFailed(op.key, op.expect_mod_revision, None)
                    resource, namespace, name = split_key(op.key)
                    try:
                        cursor.execute(
                            store_sql.INSERT_KEY,
                            [
                                self.sandbox_id,
                                op.key,
                                resource,
                                namespace,
                                name,
                                encoded[op.key],
                                revision,
                                revision,
                            ],
                        )
                    except IntegrityError as e:
                        raise CompareFailed(op.key, 0, None) from e
                    current[op.key] = written = KeyValue(op.key, op.value, revision, revision, 1)
                    prev_text = None
                    if self.counts(op.key):
                        object_delta += 1
                        if self._over_quota(op.key, object_count, object_delta):
                            raise QuotaExceeded(op.key, object_count, self.max_objects or 0)
                elif isinstance(op, Put):
                    self._check_expectation(op, row)
                    cursor.execute(
                        store_sql.UPDATE_KEY,
                        [encoded[op.key], revision, self.sandbox_id, op.key],
                    )
                    written = KeyValue(
                        op.key, op.value, row.create_revision, revision, row.version + 1
                    )
                    current[op.key] = written
                    prev_text = _encode_json(row.value)
                else:
                    if row is None:
                        raise KeyMissing(op.key)
                    self._check_expectation(op, row)
                    cursor.execute(store_sql.DELETE_KEY, [self.sandbox_id, op.key])
                    del current[op.key]
                    kvs.pop(op.key, None)
                    events.append(Event("DELETE", op.key, revision, None, row.value))
                    removed = _encode_json(row.value)
                    removed_bytes = len(removed or "")
                    object_delta -= self.counts(op.key)
                    log_bytes += removed_bytes
                    log += [self.sandbox_id, revision, "DELETE", op.key, None, removed]
                    log.append(removed_bytes)
                    continue
                kvs[op.key] = written
                previous = row.value if row else None
                events.append(Event("PUT", op.key, revision, op.value, previous))
                entry_bytes = len(encoded[op.key]) + len(prev_text or "")
                log_bytes += entry_bytes
                log += [
                    self.sandbox_id,
                    revision,
                    "PUT",
                    op.key,
                    encoded[op.key],
                    prev_text,
                    entry_bytes,
                ]
            if events:
                values = ", ".join([store_sql.INSERT_EVENT_VALUES] * len(events))
                cursor.execute(store_sql.INSERT_EVENTS + values, log)
                rest = (object_delta - created_objects, log_bytes - created_bytes)
                if rest != (0, 0):
                    cursor.execute(store_sql.COUNT_WRITES, [*rest, self.sandbox_id])
            rider_row = None
            if rider:
                cursor.execute(
                    store_sql.portable_rider(rider.sql), {**rider.params(), "revision": revision}
                )
                rider_row = tuple(cursor.fetchone())
        return TxnResult(revision, events, kvs, rider_row), compacted, history_bytes + log_bytes

    def _revisions(self) -> tuple[int, int]:
        """(revision, compacted revision); (0, 0) for a keyspace never written."""
        with store_sql.statement_cursor() as cursor:
            cursor.execute(store_sql.SELECT_REVISIONS, [self.sandbox_id])
            row = cursor.fetchone()
        return (row[0], row[1]) if row else (0, 0)

    def _read_rows(self, cursor, keys: list[str]) -> dict[str, KeyValue]:
        if not keys:
            return {}
        placeholders = ", ".join(["%s"] * len(keys))
        cursor.execute(
            store_sql.SELECT_KEYS.format(placeholders=placeholders), [self.sandbox_id, *keys]
        )
        return {
            key: KeyValue(key, _decode(value), create, mod, version)
            for key, value, create, mod, version in cursor.fetchall()
        }

    def _failure(self, op: Put | Delete) -> StoreError:
        """Why a single-key write wrote nothing (read in the same transaction)."""
        actual = self.get(op.key)
        if isinstance(op, Delete) and actual is None:
            return KeyMissing(op.key)
        return CompareFailed(op.key, op.expect_mod_revision or 0, actual)

    def _missing_requirement(self, requires: Sequence[Required]) -> StoreError:
        """RequiredKeyMissing for the first required key that does not exist, else
        CompareFailed for the pinned one that moved on."""
        for required in requires:
            current = self.get(required.key)
            if current is None:
                return RequiredKeyMissing(required.key)
            if required.mod_revision not in (None, current.mod_revision):
                return CompareFailed(required.key, required.mod_revision, current)
        return RequiredKeyMissing(requires[0].key)

    @staticmethod
    def _check_expectation(op: Put | Delete, row: KeyValue | None) -> None:
        expected = op.expect_mod_revision
        if expected is None:
            return
        actual = row.mod_revision if row else 0
        if actual != expected:
            raise CompareFailed(op.key, expected, row)

    def _compact(self, revision: int) -> None:
        current = StoreRevision.objects.select_for_update().get(sandbox_id=self.sandbox_id)
        if revision <= current.compacted_revision:
            return
        revision = min(revision, current.revision)
        forgotten = StoreEvent.objects.filter(sandbox_id=self.sandbox_id, revision__lte=revision)
        forgotten_bytes = forgotten.aggregate(total=Sum("bytes"))["total"] or 0
        forgotten.delete()
        StoreRevision.objects.filter(sandbox_id=self.sandbox_id).update(
            compacted_revision=revision, history_bytes=F("history_bytes") - forgotten_bytes
        )
