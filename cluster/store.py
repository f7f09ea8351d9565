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
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from cluster.models import StoreEvent, StoreKey, StoreRevision

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
class TxnResult:
    revision: int
    events: list[Event]
    kvs: dict[str, KeyValue]  # the written keys as they now are (deleted ones absent)


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

    def as_q(self) -> Q:
        if self.column not in {"namespace", "name", "node_name", "phase"}:
            raise ValueError(f"cannot filter on {self.column}")
        q = Q(**{self.column: self.value})
        if self.value == "":
            q |= Q(**{f"{self.column}__isnull": True})
        return ~q if self.negate else q


def split_key(key: str) -> tuple[str, str, str]:
    """'/registry/pods/ns/name' -> ('pods', 'ns', 'name'); cluster-scoped keys have no ns."""
    parts = key.split("/")
    if len(parts) == 5 and parts[:2] == ["", "registry"]:
        return parts[2], parts[3], parts[4]
    if len(parts) == 4 and parts[:2] == ["", "registry"]:
        return parts[2], "", parts[3]
    raise ValueError(f"not a registry key: {key!r}")


_KV_FIELDS = ("key", "value", "create_revision", "mod_revision", "version")


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


def _is_create(op: Put | Delete) -> bool:
    return isinstance(op, Put) and op.expect_mod_revision == 0


def _kv(row: StoreKey) -> KeyValue:
    return KeyValue(row.key, row.value, row.create_revision, row.mod_revision, row.version)


class Store:
    """The keyspace of one sandbox."""

    def __init__(self, sandbox_id: int):
        self.sandbox_id = sandbox_id

    # -- reads -------------------------------------------------------------

    def revision(self) -> int:
        row = StoreRevision.objects.filter(sandbox_id=self.sandbox_id).values_list(
            "revision", flat=True
        )
        return next(iter(row), 0)

    def compacted_revision(self) -> int:
        row = StoreRevision.objects.filter(sandbox_id=self.sandbox_id).values_list(
            "compacted_revision", flat=True
        )
        return next(iter(row), 0)

    def exists(self, key: str) -> bool:
        return StoreKey.objects.filter(sandbox_id=self.sandbox_id, key=key).exists()

    def get(self, key: str) -> KeyValue | None:
        row = StoreKey.objects.filter(sandbox_id=self.sandbox_id, key=key).first()
        return _kv(row) if row else None

    def range(
        self,
        prefix: str,
        *,
        limit: int | None = None,
        start_after: str = "",
        where: Sequence[ColumnMatch] = (),
    ) -> RangeResult:
        """Keys under prefix in key order; `more` says a next page starts after the last."""
        with transaction.atomic():
            # One transaction, so the revision read matches the rows read on
            # PostgreSQL (REPEATABLE READ would be needed for a strict snapshot).
            revision = self.revision()
            rows = StoreKey.objects.filter(sandbox_id=self.sandbox_id, key__startswith=prefix)
            if start_after:
                rows = rows.filter(key__gt=start_after)
            for match in where:
                rows = rows.filter(match.as_q())
            # Tuples, not model instances: building 5,000 models costs more than the query.
            rows = rows.order_by("key").values_list(*_KV_FIELDS)
            with collector_paused():
                fetched = list(rows[: limit + 1] if limit else rows)
        more = bool(limit) and len(fetched) > limit
        return RangeResult([KeyValue(*row) for row in fetched[:limit]], revision, more)

    def events_since(
        self, revision: int, *, prefix: str = "", limit: int | None = None
    ) -> list[Event]:
        """The events after `revision`, oldest first. Raises TooOld if compacted away."""
        compacted = self.compacted_revision()
        if revision < compacted:
            raise TooOld(revision, compacted)
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
        savepoint: bool = True,
    ) -> TxnResult:
        return self.txn([Put(key, value, expect_mod_revision)], savepoint=savepoint)

    def delete(
        self, key: str, *, expect_mod_revision: int | None = None, savepoint: bool = True
    ) -> TxnResult:
        return self.txn([Delete(key, expect_mod_revision)], savepoint=savepoint)

    def txn(self, ops: Iterable[Put | Delete], *, savepoint: bool = True) -> TxnResult:
        """Apply all ops at one new revision, or none of them.

        Raises CompareFailed when an expectation does not hold, ValueTooLarge
        for an oversized value, KeyMissing for a delete of a missing key.
        savepoint=False is for a caller whose own transaction ends on any
        failure here: it saves two round trips per write.
        """
        ops = list(ops)
        for op in ops:
            if isinstance(op, Put):
                size = len(json.dumps(op.value, separators=(",", ":")))
                if size > MAX_VALUE_BYTES:
                    raise ValueTooLarge(op.key, size)
        with transaction.atomic(savepoint=savepoint):
            revision, compacted = self._bump_revision()
            # A create needs no read: the unique key constraint is its compare.
            to_read = [op.key for op in ops if not _is_create(op)]
            current = (
                {
                    row.key: row
                    for row in StoreKey.objects.filter(sandbox_id=self.sandbox_id, key__in=to_read)
                }
                if to_read
                else {}
            )
            events: list[Event] = []
            kvs: dict[str, KeyValue] = {}
            for op in ops:
                row = current.get(op.key)
                if _is_create(op) and row is None:
                    try:
                        written = self._insert(op, revision)
                    except IntegrityError as e:
                        raise CompareFailed(op.key, 0, None) from e
                    current[op.key] = written
                    kvs[op.key] = _kv(written)
                    events.append(Event("PUT", op.key, revision, op.value, None))
                    continue
                self._check_expectation(op, row)
                if isinstance(op, Put):
                    previous = row.value if row else None
                    written = self._write(op, row, revision)
                    current[op.key] = written
                    kvs[op.key] = _kv(written)
                    events.append(Event("PUT", op.key, revision, op.value, previous))
                else:
                    if row is None:
                        raise KeyMissing(op.key)
                    StoreKey.objects.filter(pk=row.pk).delete()
                    current.pop(op.key)
                    kvs.pop(op.key, None)
                    events.append(Event("DELETE", op.key, revision, None, row.value))
            StoreEvent.objects.bulk_create(
                StoreEvent(
                    sandbox_id=self.sandbox_id,
                    revision=revision,
                    type=e.type,
                    key=e.key,
                    value=e.value,
                    prev_value=e.prev_value,
                )
                for e in events
            )
            history = settings.PODLAB_STORE_HISTORY
            # Compact in batches of a tenth of the history, so the cost is spread thin.
            if revision - compacted > history + max(history // 10, 1):
                self._compact(revision - history)
        return TxnResult(revision, events, kvs)

    def compact(self, revision: int) -> None:
        """Forget the watch log up to and including `revision`."""
        with transaction.atomic():
            self._compact(revision)

    # -- internals ---------------------------------------------------------

    def _bump_revision(self) -> tuple[int, int]:
        # An upsert so a keyspace needs no set-up; RETURNING gives the new value
        # from the same statement that took the row lock.
        with connection.cursor() as cursor:
            table = StoreRevision._meta.db_table
            cursor.execute(
                f"INSERT INTO {table} (sandbox_id, revision, compacted_revision)"
                " VALUES (%s, 1, 0) ON CONFLICT (sandbox_id)"
                f" DO UPDATE SET revision = {table}.revision + 1"
                " RETURNING revision, compacted_revision",
                [self.sandbox_id],
            )
            revision, compacted = cursor.fetchone()
        return revision, compacted

    @staticmethod
    def _check_expectation(op: Put | Delete, row: StoreKey | None) -> None:
        expected = op.expect_mod_revision
        if expected is None:
            return
        actual = row.mod_revision if row else 0
        if actual != expected:
            raise CompareFailed(op.key, expected, _kv(row) if row else None)

    def _insert(self, op: Put, revision: int) -> StoreKey:
        resource, namespace, name = split_key(op.key)
        return StoreKey.objects.create(
            sandbox_id=self.sandbox_id,
            key=op.key,
            resource=resource,
            namespace=namespace,
            name=name,
            value=op.value,
            create_revision=revision,
            mod_revision=revision,
            version=1,
        )

    def _write(self, op: Put, row: StoreKey | None, revision: int) -> StoreKey:
        if row is None:
            return self._insert(op, revision)
        StoreKey.objects.filter(pk=row.pk).update(
            value=op.value, mod_revision=revision, version=row.version + 1
        )
        row.value, row.mod_revision, row.version = op.value, revision, row.version + 1
        return row

    def _compact(self, revision: int) -> None:
        current = StoreRevision.objects.select_for_update().get(sandbox_id=self.sandbox_id)
        if revision <= current.compacted_revision:
            return
        revision = min(revision, current.revision)
        StoreEvent.objects.filter(sandbox_id=self.sandbox_id, revision__lte=revision).delete()
        StoreRevision.objects.filter(sandbox_id=self.sandbox_id).update(compacted_revision=revision)
