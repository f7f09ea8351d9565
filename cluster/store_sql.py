"""The store's statements, as SQL: every API call runs some of them.

A write is the hot path of the whole simulation (a pod's journey is a dozen
writes), and building the same statements through the ORM cost several times
the database's own work. So cluster.store writes with these statements, on a
plain cursor, and values are JSON text encoded once (orjson) for both the key
and its watch-log entry.

Two dialects:
- PostgreSQL writes a single key in ONE statement: data-modifying CTEs lock
  the sandbox's revision counter, write the key with its compare, bump the
  counter if the key was written, append the watch-log entry, and insert the
  write's rider (the API server's trace). It needs no transaction around it: in
  autocommit the write, its trace and the commit take one round trip, as one
  committed INSERT does. The counter is locked first in every plan (the key
  write reads the revision from it), so writers queue in one order and cannot
  deadlock; a compare that fails bumps nothing, so revisions stay gap-free.
- Everything else (SQLite, multi-key transactions, and a keyspace's first
  write, which creates its counter) runs the portable statements one by one
  inside a transaction.

Both take an optional requirement, etcd's compare on another key
(`create_revision(key) > 0`, or `mod_revision(key) = n` for a pinned one): nothing
is written unless every required key exists (at its pinned revision), so a create
in a missing namespace uses no revision at all.
"""

from __future__ import annotations

import functools

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

from cluster.models.store import StoreEvent, StoreKey, StoreRevision


def statement_cursor() -> CursorWrapper:
    """A cursor for these statements (and the API server's trace INSERT).

    On PostgreSQL it binds parameters on the server, so psycopg prepares each
    statement on the connection after a few uses (its prepare_threshold) and the
    server stops parsing and planning the same few statements at every call.
    Django's cursors bind on the client, which the ORM needs; this one is still
    wrapped by Django, for its error classes and its query log in DEBUG.
    """
    db = connections[DEFAULT_DB_ALIAS]  # one lookup of the thread's connection, not five
    if db.vendor != "postgresql":
        return db.cursor()
    db.ensure_connection()
    wrapper = CursorDebugWrapper if db.queries_logged else CursorWrapper
    return wrapper(psycopg.Cursor(db.connection), db)


REVISIONS = StoreRevision._meta.db_table
KEYS = StoreKey._meta.db_table
EVENTS = StoreEvent._meta.db_table


def requirement(pins: tuple[bool, ...]) -> str:
    """A WHERE clause: every required key exists in the sandbox, each pinned one (pins[i])
    at the mod_revision its parameters name too."""
    if not pins:
        return "TRUE"
    return " AND ".join(
        f"EXISTS (SELECT 1 FROM {KEYS} WHERE sandbox_id = %s AND key = %s"
        + (" AND mod_revision = %s)" if pinned else ")")
        for pinned in pins
    )


def bump_revision(required: tuple[bool, ...]) -> str:
    """Portable: take the counter row (an upsert, so a keyspace needs no set-up), add to
    its object count and watch-log bytes what the transaction's creates add (known before
    anything is read: one statement fewer for a create), and return the new revision and
    the counters; no row when a required key is missing.

    SQLite needs the WHERE to parse an upsert from a SELECT, which it always has.
    """
    return (
        f"INSERT INTO {REVISIONS} AS r"
        " (sandbox_id, revision, compacted_revision, object_count, history_bytes)"
        f" SELECT %s, 1, 0, %s, %s WHERE {requirement(required)}"
        " ON CONFLICT (sandbox_id) DO UPDATE SET revision = r.revision + 1,"
        " object_count = r.object_count + excluded.object_count,"
        " history_bytes = r.history_bytes + excluded.history_bytes"
        " RETURNING revision, compacted_revision, object_count, history_bytes"
    )


# Portable: what a transaction's other writes (updates, deletes) did to the counters.
COUNT_WRITES = (
    f"UPDATE {REVISIONS} SET object_count = object_count + %s,"
    " history_bytes = history_bytes + %s WHERE sandbox_id = %s"
)

# The revision up to which the watch log's oldest entries add up to at least %s bytes.
OLDEST_BYTES = (
    "SELECT revision FROM (SELECT revision, SUM(bytes) OVER"
    " (ORDER BY revision, id ROWS UNBOUNDED PRECEDING) AS through"
    f" FROM {EVENTS} WHERE sandbox_id = %s) AS log WHERE through >= %s"
    " ORDER BY revision LIMIT 1"
)


SELECT_REVISIONS = f"SELECT revision, compacted_revision FROM {REVISIONS} WHERE sandbox_id = %s"

KEY_EXISTS = f"SELECT 1 FROM {KEYS} WHERE sandbox_id = %s AND key = %s"

SELECT_KEYS = (
    f"SELECT key, value, create_revision, mod_revision, version FROM {KEYS}"
    " WHERE sandbox_id = %s AND key IN ({placeholders})"
)

INSERT_KEY = (
    f"INSERT INTO {KEYS}"
    " (sandbox_id, key, resource, namespace, name, value, create_revision, mod_revision, version)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 1)"
)

UPDATE_KEY = (
    f"UPDATE {KEYS} SET value = %s, mod_revision = %s, version = version + 1"
    " WHERE sandbox_id = %s AND key = %s"
)

DELETE_KEY = f"DELETE FROM {KEYS} WHERE sandbox_id = %s AND key = %s"

INSERT_EVENT_VALUES = "(%s, %s, %s, %s, %s, %s, %s)"
INSERT_EVENTS = (
    f"INSERT INTO {EVENTS} (sandbox_id, revision, type, key, value, prev_value, bytes) VALUES "
)


def range_keys(
    sandbox_id: int,
    prefix: str,
    *,
    start_after: str,
    where: list[tuple[str, list[str]]],
    limit: int | None,
) -> tuple[str, list[object]]:
    """The keys under prefix in key order, each row led by the keyspace's revision.

    The keys are LEFT JOINed to the revision row, so a range that matches nothing
    still answers one row with the revision (and NULL key columns).
    """
    conditions = ["k.sandbox_id = r.sandbox_id", "k.key LIKE %s ESCAPE '\\'"]
    params: list[object] = [_like_prefix(prefix)]
    if start_after:
        conditions.append("k.key > %s")
        params.append(start_after)
    for condition, values in where:
        conditions.append(condition)
        params += values
    statement = (
        "SELECT r.revision, k.key, k.value, k.create_revision, k.mod_revision, k.version"
        f" FROM {REVISIONS} AS r LEFT JOIN {KEYS} AS k ON {' AND '.join(conditions)}"
        " WHERE r.sandbox_id = %s ORDER BY k.key"
    )
    params.append(sandbox_id)
    if limit:
        statement += " LIMIT %s"
        params.append(limit)
    return statement, params


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


@functools.cache
def postgres_create(required: tuple[bool, ...], rider: str = "") -> str:
    """One statement: take the counter, insert the key unless it exists or the quota is
    full, log the PUT, bump.

    Returns one row: the revision the write takes, the compacted revision, whether
    every required key exists, whether the key was written, its create_revision,
    version and previous value, the keyspace's object count and watch-log bytes
    before the write, then the rider's columns. No row: the keyspace has no counter
    yet (its first write goes the portable way). %(counted)s: whether the key counts
    against %(max_objects)s (NULL: no quota).
    """
    return f"""
        WITH {_locked(required)}, written AS (
            INSERT INTO {KEYS} (sandbox_id, key, resource, namespace, name, value,
                                create_revision, mod_revision, version)
            SELECT %(sandbox)s, %(key)s, %(resource)s, %(namespace)s, %(name)s,
                   %(value)s::jsonb, locked.next, locked.next, 1
            FROM locked WHERE locked.admitted AND (NOT %(counted)s::boolean
                OR %(max_objects)s::bigint IS NULL OR locked.object_count < %(max_objects)s)
            ON CONFLICT (sandbox_id, key) DO NOTHING
            RETURNING mod_revision
        ), {_bumped("%(object_delta)s", "%(value_bytes)s")}, logged AS (
            INSERT INTO {EVENTS} (sandbox_id, revision, type, key, value, prev_value, bytes)
            SELECT %(sandbox)s, mod_revision, 'PUT', %(key)s, %(value)s::jsonb, NULL,
                   %(value_bytes)s
            FROM written
        ){_with_rider(rider)}
        SELECT locked.next, locked.compacted_revision, locked.admitted,
               EXISTS (SELECT 1 FROM written), locked.next, 1, NULL::text,
               locked.object_count, locked.history_bytes{_rider_columns(rider)}
        FROM locked{_rider_join(rider)}
    """


@functools.cache
def postgres_update(rider: str = "") -> str:
    """One statement: take the counter, update the key if its mod_revision is the expected
    one, log the PUT with the previous value, bump.

    Returns the same row as postgres_create. The previous value comes from the
    statement's snapshot: when the compare holds, no writer changed the key
    since, so that is the value being replaced.
    """
    return f"""
        WITH {_locked(())}, previous AS (
            SELECT value, value::text AS text
            FROM {KEYS} WHERE sandbox_id = %(sandbox)s AND key = %(key)s
        ), written AS (
            UPDATE {KEYS} AS k
            SET value = %(value)s::jsonb, mod_revision = locked.next, version = k.version + 1
            FROM locked
            WHERE k.sandbox_id = %(sandbox)s AND k.key = %(key)s
              AND k.mod_revision = %(expected)s
            RETURNING k.mod_revision, k.create_revision, k.version
        ), {_bumped("0", _UPDATE_BYTES, "written, previous")}, logged AS (
            INSERT INTO {EVENTS} (sandbox_id, revision, type, key, value, prev_value, bytes)
            SELECT %(sandbox)s, written.mod_revision, 'PUT', %(key)s, %(value)s::jsonb,
                   previous.value, {_UPDATE_BYTES}
            FROM written, previous
        ){_with_rider(rider)}
        SELECT locked.next, locked.compacted_revision, TRUE, written.mod_revision IS NOT NULL,
               written.create_revision, written.version,
               previous.text, locked.object_count,
               locked.history_bytes{_rider_columns(rider)}
        FROM locked
        LEFT JOIN written ON TRUE
        LEFT JOIN previous ON TRUE{_rider_join(rider)}
    """


@functools.cache
def postgres_delete(rider: str = "") -> str:
    """One statement: take the counter, delete the key if its mod_revision is the expected
    one (or any, when %(expected)s is NULL), log the DELETE with the removed value, bump."""
    return f"""
        WITH {_locked(())}, written AS (
            DELETE FROM {KEYS} AS k
            USING locked
            WHERE k.sandbox_id = %(sandbox)s AND k.key = %(key)s
              AND (%(expected)s::bigint IS NULL OR k.mod_revision = %(expected)s::bigint)
            RETURNING locked.next AS mod_revision, k.value, k.value::text AS text
        ), {_bumped("%(object_delta)s", _DELETE_BYTES)}, logged AS (
            INSERT INTO {EVENTS} (sandbox_id, revision, type, key, value, prev_value, bytes)
            SELECT %(sandbox)s, mod_revision, 'DELETE', %(key)s, NULL, value, {_DELETE_BYTES}
            FROM written
        ){_with_rider(rider)}
        SELECT locked.next, locked.compacted_revision, TRUE, written.value IS NOT NULL,
               0, 0, written.text, locked.object_count,
               locked.history_bytes{_rider_columns(rider)}
        FROM locked
        LEFT JOIN written ON TRUE{_rider_join(rider)}
    """


@functools.cache
def portable_rider(rider: str) -> str:
    """The rider as a statement of its own, after the writes, in their transaction."""
    return f"WITH new_revision (revision) AS (VALUES (%(revision)s)) {rider}"


def _locked(required: tuple[bool, ...]) -> str:
    """The counter row, locked FOR UPDATE first thing, with the revision a write would take.

    Waiting for the lock re-reads the row, so `next` counts every write committed
    before ours. Writes are bumped only by _BUMPED, from a row actually written:
    a compare that fails (or a missing required key) changes nothing, which keeps
    revisions gap-free even in autocommit, with no rollback to undo a bump.
    """
    return (
        "locked AS (SELECT revision + 1 AS next, compacted_revision, object_count,"
        f" history_bytes, {_named_requirement(required)} AS admitted"
        f" FROM {REVISIONS} WHERE sandbox_id = %(sandbox)s FOR UPDATE)"
    )


def _bumped(object_delta: str, log_bytes: str, sources: str = "written") -> str:
    """The counter row after a write: the new revision, the quota's count moved by
    object_delta, the watch log grown by the entry's log_bytes."""
    return (
        f"bumped AS (UPDATE {REVISIONS} AS r SET revision = written.mod_revision,"
        f" object_count = r.object_count + {object_delta},"
        f" history_bytes = r.history_bytes + {log_bytes}"
        f" FROM {sources} WHERE r.sandbox_id = %(sandbox)s)"
    )


# A watch-log entry's size: the JSON text of its value and previous value. The new
# value's length is the writer's (a parameter); the previous one's is that of the text
# the statement returns (converted once, in the CTE that reads it).
_UPDATE_BYTES = "(%(value_bytes)s + LENGTH(previous.text))"
_DELETE_BYTES = "LENGTH(written.text)"


def _with_rider(rider: str) -> str:
    """A rider reads the written revision from new_revision: one row, or none."""
    if not rider:
        return ""
    return f", new_revision AS (SELECT mod_revision AS revision FROM written), rider AS ({rider})"


def _rider_columns(rider: str) -> str:
    return ", rider.*" if rider else ""


def _rider_join(rider: str) -> str:
    return " LEFT JOIN rider ON TRUE" if rider else ""


def _named_requirement(pins: tuple[bool, ...]) -> str:
    if not pins:
        return "TRUE"
    return " AND ".join(
        f"EXISTS (SELECT 1 FROM {KEYS} WHERE sandbox_id = %(sandbox)s AND key = %(required{i})s"
        + (f" AND mod_revision = %(required{i}_revision)s)" if pinned else ")")
        for i, pinned in enumerate(pins)
    )
