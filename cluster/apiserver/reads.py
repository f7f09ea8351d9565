"""Reads: get, list (with selectors and pages), watch, and the etcd browser's view."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable

from cluster.apiserver import errors
from cluster.apiserver.decoding import MAX_INT64, MIN_INT64, json_type
from cluster.apiserver.registry import Registry
from cluster.apiserver.results import Outcome, object_of, with_revision
from cluster.apiserver.scale import scale_of
from cluster.apiserver.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
    store_column_matches,
)
from cluster.apiserver.tracing import Request, Stages
from cluster.resources.keys import collection_key
from cluster.resources.meta import is_integer
from cluster.store import Event, TooOld, collector_paused

_LIST_BATCH = 500


def get(registry: Registry, request: Request, stages: Stages) -> Outcome:
    kv = registry.existing(request)
    stages.passed("etcd", f"read {request.key} (revision {kv.mod_revision})")
    obj = object_of(kv)
    return Outcome(
        body=scale_of(request.rt, obj) if request.subresource == "scale" else obj,
        code=200,
        revision=kv.mod_revision,
        narration=f"read {request.target} from the API server (revision {kv.mod_revision})",
    )


def list_objects(
    registry: Registry,
    request: Request,
    stages: Stages,
    *,
    label_selector: str,
    field_selector: str,
    limit: int | None,
    continue_token: str,
) -> Outcome:
    rt = request.rt
    limit = _page_size(limit)
    labels = parse_label_selector(label_selector)
    fields = parse_field_selector(field_selector, rt.name)
    where = store_column_matches(fields, rt.name)
    prefix = collection_key(rt, request.namespace)
    start_after = _decode_continue(continue_token)
    with collector_paused():
        items, revision, next_start = _collect(
            registry,
            prefix,
            where,
            start_after,
            limit,
            lambda obj: labels_match(labels, obj) and fields_match(fields, obj),
        )
    metadata = {"resourceVersion": str(revision)}
    if next_start:
        metadata["continue"] = _encode_continue(revision, next_start)
    selectors = " and ".join(s for s in (label_selector, field_selector) if s)
    matching = f" matching {selectors}" if selectors else ""
    stages.passed("etcd", f"read {len(items)} keys under {prefix} (revision {revision})")
    return Outcome(
        body={
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": metadata,
            "items": items,
        },
        code=200,
        revision=revision,
        narration=f"listed {request.target}{matching}: {len(items)} found (revision {revision})",
    )


def _page_size(limit: object) -> int | None:
    """ListOptions.limit: an int64, and none or not positive means everything (upstream
    pages only when limit > 0)."""
    if limit is None:
        return None
    if not is_integer(limit) or not MIN_INT64 <= limit <= MAX_INT64:
        raise errors.bad_request(
            f"json: cannot unmarshal {json_type(limit)} into Go struct field"
            " ListOptions.limit of type int64"
        )
    return limit if limit > 0 else None


def _collect(
    registry: Registry,
    prefix: str,
    where: list,
    start_after: str,
    limit: int | None,
    matches: Callable[[dict], bool],
) -> tuple[list[dict], int, str]:
    """Matching objects under prefix, the revision read, and where a next page starts."""
    items: list[dict] = []
    revision = None
    while True:
        # Unlimited lists read in one go; a limited one reads batches until it has enough.
        batch = max(limit, _LIST_BATCH) if limit else None
        page = registry.store.range(prefix, limit=batch, start_after=start_after, where=where)
        revision = page.revision if revision is None else revision
        for index, kv in enumerate(page.items):
            obj = object_of(kv)
            if matches(obj):
                items.append(obj)
            if limit and len(items) == limit:
                more = index < len(page.items) - 1 or page.more
                return items, revision, kv.key if more else ""
        if not page.more:
            return items, revision, ""
        start_after = page.items[-1].key


def watch(
    registry: Registry,
    request: Request,
    stages: Stages,
    *,
    resource_version: str,
    label_selector: str,
    field_selector: str,
) -> Outcome:
    rt = request.rt
    store = registry.store
    labels = parse_label_selector(label_selector)
    fields = parse_field_selector(field_selector, rt.name)
    prefix = collection_key(rt, request.namespace)
    try:
        since = int(resource_version)
    except ValueError as e:
        raise errors.bad_request(f"invalid resource version: {resource_version!r}") from e
    events: list[dict] = []
    if since == 0:
        page = store.range(prefix, where=store_column_matches(fields, rt.name))
        since = page.revision
        events = [
            {"type": "ADDED", "object": obj}
            for obj in map(object_of, page.items)
            if labels_match(labels, obj) and fields_match(fields, obj)
        ]
    # Read the revision first: every event at or below it is committed and visible.
    upto = store.revision()
    try:
        log = store.events_since(since, prefix=prefix)
    except TooOld as e:
        raise errors.expired(e.requested, e.compacted) from e
    for event in log:
        if event.revision > upto:
            break
        if change := _watch_event(event, labels, fields):
            events.append(change)
    stages.passed("etcd", f"read the watch log of {prefix} from revision {since} to {upto}")
    return Outcome(
        body={"events": events, "resourceVersion": upto},
        code=200,
        revision=upto,
        narration=f"watched {request.target} from revision {since}: {len(events)} changes",
    )


def etcd_browse(
    registry: Registry, request: Request, stages: Stages, *, prefix: str, key: str
) -> Outcome:
    """What `etcdctl get --prefix` would show: the keys under prefix with their revisions,
    and for `key` its value and history."""
    store = registry.store
    listing = store.range(prefix)
    body: dict = {
        "revision": listing.revision,
        "keys": [
            {
                "key": kv.key,
                "create_revision": kv.create_revision,
                "mod_revision": kv.mod_revision,
                "version": kv.version,
            }
            for kv in listing.items
        ],
    }
    if key:
        current = store.get(key)
        body["value"] = current.value if current else None
        body["history"] = [
            {"revision": e.revision, "type": e.type, "value": e.value}
            for e in store.key_history(key)
        ]
    stages.passed("etcd", f"read {len(listing.items)} keys under {prefix}")
    return Outcome(
        body=body,
        code=200,
        revision=listing.revision,
        narration=f"browsed etcd under {prefix}: {len(listing.items)} keys",
    )


def _watch_event(event: Event, labels, fields) -> dict | None:
    """Translate a store event into a watch event as seen through the selectors.

    An object that stops matching is DELETED for this watcher, one that starts
    matching is ADDED, as the upstream watch cache does.
    """
    old = with_revision(event.prev_value, event.revision) if event.prev_value else None
    new = with_revision(event.value, event.revision) if event.value else None
    old_matches = old is not None and labels_match(labels, old) and fields_match(fields, old)
    new_matches = new is not None and labels_match(labels, new) and fields_match(fields, new)
    if new_matches:
        return {"type": "MODIFIED" if old_matches else "ADDED", "object": new}
    if old_matches:
        return {"type": "DELETED", "object": new or old}
    return None


def event_message(event: Event) -> dict:
    """A store event as the live page receives it."""
    value = event.value if event.value is not None else event.prev_value
    kind = "DELETED" if event.type == "DELETE" else ("MODIFIED" if event.prev_value else "ADDED")
    return {
        "type": kind,
        "key": event.key,
        "revision": event.revision,
        "object": with_revision(value, event.revision) if value else None,
        "previous": event.prev_value,
    }


def _encode_continue(revision: int, start_after: str) -> str:
    token = json.dumps({"v": 1, "rv": revision, "start": start_after}).encode()
    return base64.urlsafe_b64encode(token).decode()


def _decode_continue(token: str) -> str:
    if not token:
        return ""
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
    except (binascii.Error, ValueError, KeyError, TypeError) as e:
        raise errors.bad_request(f"continue key is not valid: {token}") from e
