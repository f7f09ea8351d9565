"""Watch streams: `kubectl get -w`, the wait of `kubectl delete`, the Python client's
watch.stream. One HTTP response stays open and carries one JSON line per change
({"type": "ADDED|MODIFIED|DELETED|ERROR", "object": ...}), flushed as it happens.

The watch's start is one call to the sandbox's API server (ApiServer.watch: authorized
and traced). Then the stream waits on the sandbox's channel group, where every
committed change is pushed (cluster/apiserver/publish.py), and reads what is new after
each push (ApiServer.watch_more, not traced again); it looks every few seconds anyway, in
case a push was lost. A watch from a revision too old for the store's history gets HTTP
200 with one ERROR event, 410 Expired, as upstream answers, and the client lists again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connections

from cluster import idle
from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.publish import sandbox_group
from cluster.resources import ResourceType

# How long a watch stays open without a timeoutSeconds: upstream's --min-request-timeout.
DEFAULT_TIMEOUT_SECONDS = 1800
# A look at the store even with no push: a push lost (Redis restarted) costs this at most.
LOOK_ANYWAY_SECONDS = 5.0
CLOCK_FIELDS = ["clock_base", "clock_wall_base", "clock_speed", "clock_paused", "idle"]


@dataclass(frozen=True)
class WatchRequest:
    rt: ResourceType
    namespace: str
    resource_version: str
    label_selector: str
    field_selector: str
    timeout_seconds: float


def start(api: ApiServer, watch: WatchRequest):
    """The watch's first call, before the response begins: a refusal (401, 403, 404, 400)
    is still an HTTP error with its Status. Returns (events, resource version), or the
    410 ApiError to stream as an ERROR event."""
    try:
        batch = api.watch(
            watch.rt.name,
            resource_version=watch.resource_version,
            namespace=watch.namespace,
            label_selector=watch.label_selector,
            field_selector=watch.field_selector,
        )
    except ApiError as error:
        if error.code == 410:
            return error
        raise
    return batch.events, batch.resource_version


async def stream(
    api: ApiServer,
    watch: WatchRequest,
    first: tuple[list[dict], int] | ApiError,
    encode: Callable[[dict, bool], dict],
) -> AsyncIterator[bytes]:
    """The response's lines. encode(event, first_line) gives the event as sent (its object
    as JSON, or as a one-row Table)."""
    sent_any = False

    def line(event: dict) -> bytes:
        nonlocal sent_any
        encoded = encode(event, not sent_any)
        sent_any = True
        return (json.dumps(encoded) + "\n").encode()

    if isinstance(first, ApiError):
        yield (json.dumps({"type": "ERROR", "object": first.status()}) + "\n").encode()
        return
    # The status line and headers at once, as upstream flushes them when a watch starts:
    # Daphne sends them with the first body write, and a watch may wait long for its first
    # event. A client blocks until they come, and kubectl's wait and rollout status stop
    # their watch only after (their requests cannot be cancelled before the headers).
    yield b""
    events, revision = first
    for event in events:
        yield line(event)
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = sandbox_group(api.sandbox.pk)
    viewer = f"kubectl-watch-{uuid.uuid4().hex}"
    await layer.group_add(group, channel)
    deadline = time.monotonic() + watch.timeout_seconds
    present_at = 0.0
    try:
        while (left := deadline - time.monotonic()) > 0:
            if time.monotonic() - present_at > idle.PRESENCE_REFRESH_SECONDS:
                # A terminal watching keeps the sandbox awake, as an open page does.
                await _sync(idle.viewer_here, api.sandbox.pk, viewer)
                present_at = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(layer.receive(channel), min(left, LOOK_ANYWAY_SECONDS))
            try:
                batch = await _sync(_more, api, watch, revision)
            except ApiError as error:  # compacted past it, or no longer allowed
                yield (json.dumps({"type": "ERROR", "object": error.status()}) + "\n").encode()
                return
            for event in batch.events:
                yield line(event)
            revision = batch.resource_version
    finally:
        with contextlib.suppress(Exception):  # Redis gone: its subscriptions went with it
            await layer.group_discard(group, channel)
        with contextlib.suppress(Exception):
            await _sync(idle.viewer_gone, api.sandbox.pk, viewer)


def _more(api: ApiServer, watch: WatchRequest, revision: int):
    # The sandbox's clock is read again: the rows' AGE is by it, and it moves on its own
    # terms (an idle sandbox's stands still; a student speeds it up).
    api.sandbox.refresh_from_db(fields=CLOCK_FIELDS)
    return api.watch_more(
        watch.rt.name,
        resource_version=revision,
        namespace=watch.namespace,
        label_selector=watch.label_selector,
        field_selector=watch.field_selector,
    )


async def _sync(function, *args, **kwargs):
    """A database call from the stream, in a thread whose connection is closed after."""

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return await sync_to_async(call, thread_sensitive=False)()
