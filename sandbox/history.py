"""The sandbox's retained history, for the page's replay: the store's changes to
pods and nodes (each with the object before and after) and the traces of the
calls that made them, a page of revisions at a time, newest page first.

The store's changes are read through the API server's watch, as any client
would read them, so the read is authorized (a student may not read another
student's sandbox) and traced. A watch event carries the object after the
change; the object before it is the previous event's object for the same key,
so each page is built from the whole retained log (the store keeps
PODLAB_STORE_HISTORY revisions). A key whose first retained change is not its
creation has an unknown "before" there: replay reaches back only to where the
whole cluster is known (`oldest`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cluster.apiserver import ApiError, ApiServer
from cluster.models import Sandbox, Trace
from cluster.resources import RESOURCES
from cluster.resources.keys import object_key

# What the page draws; other kinds (events, leases) change nothing on the diagram.
REPLAYED_RESOURCES = ("nodes", "pods")
PAGE_REVISIONS = 500
MAX_PAGE_REVISIONS = 5000
# Upstream's wording of a compacted watch, "too old resource version: 1 (345)":
# the number in brackets is the oldest revision still in the log.
_COMPACTED = re.compile(r"\((\d+)\)\s*$")


@dataclass(frozen=True)
class RetainedLog:
    """Every retained change to the replayed resources, oldest first."""

    events: list[dict]  # {"type", "key", "revision", "object", "previous"}
    revision: int  # the store's revision when read
    oldest: int  # the oldest revision whose whole cluster state is known


def sandbox_history(
    sandbox: Sandbox, user, *, to: int | None = None, revisions: int = PAGE_REVISIONS
) -> dict:
    """The changes and traces with revisions in (from, to], newest page first.

    to: the newest revision wanted (default: now); the page asks for the
    revisions before the ones it has. The answer's "from" is the next page's
    "to", while "more" is true. Raises ApiError (401, 403) like any API read.
    """
    log = retained_log(sandbox, user)
    upto = log.revision if to is None else max(0, min(to, log.revision))
    start = max(log.oldest, upto - max(1, min(revisions, MAX_PAGE_REVISIONS)))
    traces = Trace.objects.filter(sandbox=sandbox, revision__gt=start, revision__lte=upto)
    return {
        "revision": log.revision,
        "oldest": log.oldest,
        "from": start,
        "to": upto,
        "more": start > log.oldest,
        "events": [e for e in log.events if start < e["revision"] <= upto],
        "traces": [trace.as_message() for trace in traces.order_by("id")],
    }


def retained_log(sandbox: Sandbox, user) -> RetainedLog:
    apiserver = ApiServer.as_user(sandbox, user)
    floor = _oldest_watchable(apiserver)
    changes: list[tuple[int, int, dict]] = []
    revision = floor
    for order, resource in enumerate(REPLAYED_RESOURCES):
        batch = apiserver.watch(resource, resource_version=floor)
        revision = max(revision, batch.resource_version)
        for event in batch.events:
            changes.append((_revision_of(event["object"]), order, _with_key(resource, event)))
    changes.sort(key=lambda change: change[:2])
    events, oldest = _with_previous([change for _, _, change in changes], floor)
    return RetainedLog(events, revision, oldest)


def _oldest_watchable(apiserver: ApiServer) -> int:
    """The oldest revision a watch may start after: 1, or where the log was compacted.

    Resource version "0" would mean "list first", so the earliest is 1 (the
    sandbox's first write, its namespaces, draws nothing).
    """
    try:
        apiserver.watch("namespaces", resource_version=1)
    except ApiError as error:
        compacted = _COMPACTED.search(error.message) if error.code == 410 else None
        if compacted is None:
            raise
        return int(compacted.group(1))
    return 1


def _revision_of(obj: dict) -> int:
    return int(obj["metadata"]["resourceVersion"])


def _with_key(resource: str, event: dict) -> dict:
    meta = event["object"]["metadata"]
    key = object_key(RESOURCES[resource], meta.get("namespace", ""), meta["name"])
    return {
        "type": event["type"],
        "key": key,
        "revision": _revision_of(event["object"]),
        "object": event["object"],
    }


def _with_previous(events: list[dict], floor: int) -> tuple[list[dict], int]:
    """Give each change the object it replaced; find where the whole state is known.

    A deleted object's watch event carries the object as it was, so only a
    modification whose key was created before the retained log has no "before".
    """
    last: dict[str, dict] = {}
    oldest = floor
    for event in events:
        key = event["key"]
        if key in last:
            event["previous"] = last[key]
        elif event["type"] == "ADDED":
            event["previous"] = None
        elif event["type"] == "DELETED":
            event["previous"] = event["object"]
        else:
            event["previous"] = None
            oldest = max(oldest, event["revision"])
        if event["type"] == "DELETED":
            last.pop(key, None)
        else:
            last[key] = event["object"]
    return events, oldest
