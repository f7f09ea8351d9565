"""The store's statements, as SQL: every API call runs some of them.

A write is the hot path of the whole simulation (a pod's journey is a dozen
writes), and building the same statements through the ORM cost several times
the database's own work. So cluster.store writes with these statements, on a
plain cursor, and values are JSON text encoded once (orjson) for both the key
and its watch-log entry.

Two dialects:
- PostgreSQL writes a single key in ONE statement: data-modifying CTEs bump
  the revision counter, write the key with its compare, and append the watch
  log entry, in one round trip. The revision CTE runs first in every plan
  (the key write reads its revision), so every writer takes the sandbox's
  counter row lock before any key row lock: writers queue in one order and
  cannot deadlock.
- Everything else (SQLite, and multi-key transactions on PostgreSQL) runs the
  portable statements one by one inside the caller's transaction.

Both take an optional requirement, etcd's compare on another key
(`create_revision(key) > 0`): the revision is bumped only when every required
key exists, so a create in a missing namespace writes nothing at all.
"""

from __future__ import annotations

from cluster.models import StoreEvent, StoreKey, StoreRevision

REVISIONS = StoreRevision._meta.db_table
KEYS = StoreKey._meta.db_table
EVENTS = StoreEvent._meta.db_table


def requirement(count: int) -> str:
    """A WHERE clause: every one of `count` required keys exists in the sandbox."""
    if not count:
        return "TRUE"
    return " AND ".join(
        f"EXISTS (SELECT 1 FROM {KEYS} WHERE sandbox_id = %s AND key = %s)" for _ in range(count)
    )


def bump_revision(required: int) -> str:
    """Portable: take the counter row (an upsert, so a keyspace needs no set-up) and
    return the new revision; no row when a required key is missing.

    SQLite needs the WHERE to parse an upsert from a SELECT, which it always has.
    """
    return (
        f"INSERT INTO {REVISIONS} AS r (sandbox_id, revision, compacted_revision)"
        f" SELECT %s, 1, 0 WHERE {requirement(required)}"
        " ON CONFLICT (sandbox_id) DO UPDATE SET revision = r.revision + 1"
        " RETURNING revision, compacted_revision"
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

INSERT_EVENT_VALUES = "(%s, %s, %s, %s, %s, %s)"
INSERT_EVENTS = f"INSERT INTO {EVENTS} (sandbox_id, revision, type, key, value, prev_value) VALUES "


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


def postgres_create(required: int) -> str:
    """One statement: bump, insert the key unless it exists, log the PUT.

    Returns one row: revision, compacted revision, and whether the key was written
    (ON CONFLICT DO NOTHING leaves the transaction usable, so the caller raises
    and its transaction rolls the bump back). No row: a required key is missing.
    """
    return f"""
        WITH rev AS ({_bump_returning(_named_requirement(required))}), written AS (
            INSERT INTO {KEYS} (sandbox_id, key, resource, namespace, name, value,
                                create_revision, mod_revision, version)
            SELECT %(sandbox)s, %(key)s, %(resource)s, %(namespace)s, %(name)s,
                   %(value)s::jsonb, rev.revision, rev.revision, 1
            FROM rev
            ON CONFLICT (sandbox_id, key) DO NOTHING
            RETURNING mod_revision
        ), logged AS (
            INSERT INTO {EVENTS} (sandbox_id, revision, type, key, value, prev_value)
            SELECT %(sandbox)s, mod_revision, 'PUT', %(key)s, %(value)s::jsonb, NULL
            FROM written
        )
        SELECT rev.revision, rev.compacted_revision, EXISTS (SELECT 1 FROM written),
               rev.revision, 1, NULL::text
        FROM rev
    """


def postgres_update() -> str:
    """One statement: bump, update the key if its mod_revision is the expected one, log the
    PUT with the previous value.

    Returns revision, compacted revision, whether it was written, and the key's
    create_revision, version and previous value. A compare that fails writes no
    key and no event; the caller raises and rolls the bump back. The previous
    value comes from the statement's snapshot: when the compare holds, no writer
    changed the key since, so that is the value being replaced.
    """
    return f"""
        WITH rev AS ({_bump_returning("TRUE")}), previous AS (
            SELECT value FROM {KEYS} WHERE sandbox_id = %(sandbox)s AND key = %(key)s
        ), written AS (
            UPDATE {KEYS} AS k
            SET value = %(value)s::jsonb, mod_revision = rev.revision, version = k.version + 1
            FROM rev
            WHERE k.sandbox_id = %(sandbox)s AND k.key = %(key)s
              AND k.mod_revision = %(expected)s
            RETURNING k.mod_revision, k.create_revision, k.version
        ), logged AS (
            INSERT INTO {EVENTS} (sandbox_id, revision, type, key, value, prev_value)
            SELECT %(sandbox)s, written.mod_revision, 'PUT', %(key)s, %(value)s::jsonb,
                   previous.value
            FROM written, previous
        )
        SELECT rev.revision, rev.compacted_revision, written.mod_revision IS NOT NULL,
               written.create_revision, written.version, previous.value::text
        FROM rev
        LEFT JOIN written ON TRUE
        LEFT JOIN previous ON TRUE
    """


def postgres_delete() -> str:
    """One statement: bump, delete the key if its mod_revision is the expected one (or
    any, when %(expected)s is NULL), log the DELETE with the removed value."""
    return f"""
        WITH rev AS ({_bump_returning("TRUE")}), removed AS (
            DELETE FROM {KEYS} AS k
            USING rev
            WHERE k.sandbox_id = %(sandbox)s AND k.key = %(key)s
              AND (%(expected)s::bigint IS NULL OR k.mod_revision = %(expected)s::bigint)
            RETURNING rev.revision, k.value
        ), logged AS (
            INSERT INTO {EVENTS} (sandbox_id, revision, type, key, value, prev_value)
            SELECT %(sandbox)s, removed.revision, 'DELETE', %(key)s, NULL, removed.value
            FROM removed
        )
        SELECT rev.revision, rev.compacted_revision, removed.value IS NOT NULL,
               0, 0, removed.value::text
        FROM rev
        LEFT JOIN removed ON TRUE
    """


def _bump_returning(condition: str) -> str:
    """The revision counter's upsert, for the one-statement writes (named parameters)."""
    return (
        f"INSERT INTO {REVISIONS} AS r (sandbox_id, revision, compacted_revision)"
        f" SELECT %(sandbox)s, 1, 0 WHERE {condition}"
        " ON CONFLICT (sandbox_id) DO UPDATE SET revision = r.revision + 1"
        " RETURNING revision, compacted_revision"
    )


def _named_requirement(count: int) -> str:
    if not count:
        return "TRUE"
    return " AND ".join(
        f"EXISTS (SELECT 1 FROM {KEYS} WHERE sandbox_id = %(sandbox)s AND key = %(required{i})s)"
        for i in range(count)
    )
