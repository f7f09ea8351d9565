"""`kubectl logs -f`: the container's lines as it writes them, until it stops (or the
client goes). The first read is the call the timeline shows; then the stream looks
again every second, in the kubelet's place, for what the container wrote since."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from asgiref.sync import sync_to_async
from django.db import connections

from cluster.apiserver import ApiError
from cluster.apiserver.logs import LogRead

LOOK_EVERY_SECONDS = 1.0
# Upstream's streams end with the request's timeout; so does this one.
FOLLOW_LIMIT_SECONDS = 1800


async def stream(first: LogRead, more: Callable[..., LogRead]) -> AsyncIterator[bytes]:
    """more(skip=n): the lines after the first n, as a LogRead."""
    yield first.text.encode()
    shown, running = first.lines, first.running
    for _ in range(int(FOLLOW_LIMIT_SECONDS / LOOK_EVERY_SECONDS)):
        if not running:
            return
        await asyncio.sleep(LOOK_EVERY_SECONDS)
        try:
            read = await sync_to_async(_in_thread, thread_sensitive=False)(more, shown)
        except ApiError:  # the pod went, or the caller may no longer read it
            return
        if read.text:
            yield read.text.encode()
        shown, running = read.lines, read.running


def _in_thread(more: Callable[..., LogRead], shown: int) -> LogRead:
    try:
        return more(skip=shown)
    finally:
        connections.close_all()
