"""After commit, push a sandbox's new store events and traces to its Channels group,
and tell the watchers of what changed.

One batched send per committed API call, carrying its revision. Sends go
through one background thread per process that owns an event loop and the
channel layer's Redis connections, so an API call only enqueues (a fresh
loop and connection per call would cost milliseconds), and messages leave in
commit order. A lost message is not a disaster: browsers resync from a
snapshot when they see a revision gap (ARCHITECTURE.md).

Watch notifications (the store_committed signal) leave from the same thread,
after the call's push: as with kube-apiserver's watch cache, the API call
answers without waiting for its watchers to be told, and a watcher that
misses a notification catches up at its next resync.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
from collections.abc import Callable

from channels.layers import get_channel_layer
from django.dispatch import Signal

logger = logging.getLogger(__name__)

CHANGES_MESSAGE_TYPE = "cluster.changes"

# Sent after a write commits, with sandbox, actor and events (the store
# events as watch events). It is how watchers are told: the task layer listens
# and wakes the components that watch what changed, without the API server
# knowing any component. Receivers run in the publisher thread: they must be
# quick and must not use the database (a connection opened there would never
# be closed); the task layer's only enqueues ticks in Redis.
store_committed = Signal()


def sandbox_group(sandbox_id: int) -> str:
    return f"sandbox-{sandbox_id}"


class _Publisher:
    """A daemon thread running an event loop that sends queued messages in order."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue | None = None
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="podlab-publisher", daemon=True
        )
        self._thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._queue = asyncio.Queue()
        ready.set()
        self._loop.run_until_complete(self._send_forever())

    async def _send_forever(self) -> None:
        while True:
            group, message, call, done = await self._queue.get()
            try:
                layer = get_channel_layer()
                if group and layer is not None:
                    await layer.group_send(group, message)
                if call is not None:
                    call()
            except Exception:  # the write is committed; a missed push is healed by resync
                logger.exception("could not publish to %s", group or call)
            finally:
                if done is not None:
                    done.set()

    def submit(
        self,
        group: str = "",
        message: dict | None = None,
        *,
        call: Callable[[], object] | None = None,
        done: threading.Event | None = None,
    ) -> None:
        """Queue a group send, or a plain call to run in this thread, in order."""
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (group, message, call, done))


_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def _get_publisher() -> _Publisher:
    global _publisher
    with _publisher_lock:
        if _publisher is None or not _publisher._thread.is_alive():
            if _publisher is None:
                # The thread is a daemon, gone at once when the process exits: a short
                # process (a management command, a shell) would lose its last pushes.
                atexit.register(_flush_at_exit)
            _publisher = _Publisher()
        return _publisher


def _flush_at_exit() -> None:
    if _publisher is not None and _publisher._thread.is_alive():
        flush(timeout=2.0)


def publish_changes(
    sandbox_id: int,
    revision: int,
    events: list[dict],
    traces: list[dict],
    *,
    notify_watchers: Callable[[], object] | None = None,
) -> None:
    """Queue the push of one committed call, then the call that tells its watchers
    (store_committed.send with the changes), both to run in the publisher thread."""
    message = {
        "type": CHANGES_MESSAGE_TYPE,
        "sandbox": sandbox_id,
        "revision": revision,
        "events": events,
        "traces": traces,
    }
    _get_publisher().submit(sandbox_group(sandbox_id), message, call=notify_watchers)


def flush(timeout: float = 5.0) -> bool:
    """Wait until everything queued so far has been sent and every watcher told (for clean
    shutdowns, tests and benchmarks)."""
    done = threading.Event()
    _get_publisher().submit(done=done)
    return done.wait(timeout)
