"""After commit, push a sandbox's new store events and traces to its Channels group,
and tell the watchers of what changed.

One batched send per committed API call, carrying its revision. Sends go
through one background thread per process, so an API call only enqueues, and
messages leave in commit order. A lost message is not a disaster: browsers
resync from a snapshot when they see a revision gap (ARCHITECTURE.md).

Watch notifications (the store_committed signal) leave from the same thread,
after the call's push: as with kube-apiserver's watch cache, the API call
answers without waiting for its watchers to be told, and a watcher that
misses a notification catches up at its next resync.

The thread lingers LINGER_SECONDS after the first message of a batch, as
Nagle's algorithm does: when calls come quickly (a scheduler binding a burst
of pods, a class of thirty), their pushes leave in one Redis round trip and
the watchers of consecutive writes by the same caller are told once, with all
their events. 5 ms is nothing to a page that animates for hundreds of them.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.dispatch import Signal
from redis import Redis

if TYPE_CHECKING:
    from cluster.models import Sandbox

logger = logging.getLogger(__name__)

CHANGES_MESSAGE_TYPE = "cluster.changes"
NOTE_MESSAGE_TYPE = "cluster.note"
_BATCH = 100  # messages sent in one Redis round trip, at most
LINGER_SECONDS = 0.005
# Watchers that could not be told (Redis down) are told again this often until it works:
# a wake-up is delayed by an outage, never lost with it.
RETELL_SECONDS = 0.25
# Changes kept per sandbox and caller for watchers not told yet, at most; beyond that the
# oldest go, and the components' periodic resync (cluster/loops.py) finds what they said.
RETELL_EVENTS_KEPT = 5_000

# Sent after a write commits, with sandbox, actor and events (the store
# events as watch events). It is how watchers are told: the task layer listens
# and wakes the components that watch what changed, without the API server
# knowing any component. Receivers run in the publisher thread: they must be
# quick and must not use the database (a connection opened there would never
# be closed); the task layer's only enqueues ticks in Redis.
store_committed = Signal()


def sandbox_group(sandbox_id: int) -> str:
    return f"sandbox-{sandbox_id}"


def pubsub_channel(group: str) -> str:
    """The Redis channel a RedisPubSubChannelLayer's group members subscribe to (its
    RedisPubSubLoopLayer._get_group_channel_name; a test holds the two together)."""
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi")
    return f"{prefix}__group__{group}"


class _GroupSender:
    """Sends group messages from a plain thread.

    The pub/sub layer's group_send is one PUBLISH, but as a coroutine it needs an
    event loop, and the loop, its lock and redis-py's asyncio client cost more
    CPU than the API call that committed the change. So with that layer (on one
    Redis) the messages go out as PUBLISH commands on a plain redis-py
    connection, serialized by the layer itself, pipelined in one round trip per
    batch. Any other layer gets its own group_send.
    """

    def __init__(self) -> None:
        self._layer = get_channel_layer()
        self._redis: Redis | None = None
        hosts = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts", [])
        if isinstance(self._layer, RedisPubSubChannelLayer) and len(hosts) == 1:
            host = hosts[0]
            self._redis = Redis.from_url(
                host["address"] if isinstance(host, dict) else host,
                # Pinged before use when idle: a connection a Redis restart broke is
                # replaced before a push is lost on it.
                health_check_interval=10,
                socket_connect_timeout=2,
            )

    def send(self, messages: list[tuple[str, dict]]) -> None:
        if self._layer is None or not messages:
            return
        if self._redis is None:
            for group, message in messages:
                async_to_sync(self._layer.group_send)(group, message)
            return
        pipeline = self._redis.pipeline(transaction=False)
        for group, message in messages:
            pipeline.publish(pubsub_channel(group), self._layer.serialize(message))
        pipeline.execute()


@dataclass(frozen=True)
class _Changes:
    """One committed call's push, and whom to tell about its events."""

    sandbox: Sandbox
    actor: str
    message: dict
    sender: object = None
    group: str = ""  # "" for the sandbox's own group (its pages)


@dataclass
class _Watchers:
    """Consecutive changes by one caller in one sandbox, told to the watchers at once."""

    sandbox: Sandbox
    actor: str
    sender: object
    events: list[dict] = field(default_factory=list)

    def tell(self) -> None:
        store_committed.send(
            sender=self.sender, sandbox=self.sandbox, actor=self.actor, events=self.events
        )


def _watchers_to_tell(batch: list[_Changes]) -> list[_Watchers]:
    told: list[_Watchers] = []
    for changes in batch:
        if not changes.message.get("events"):
            continue
        last = told[-1] if told else None
        if last is None or (last.sandbox.pk, last.actor) != (changes.sandbox.pk, changes.actor):
            last = _Watchers(changes.sandbox, changes.actor, changes.sender)
            told.append(last)
        last.events += changes.message["events"]
    return told


class _Publisher:
    """A daemon thread that sends queued changes, then tells their watchers, in order."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Changes | threading.Event] = queue.SimpleQueue()
        # Watchers not told yet (Redis was down), by (sandbox, caller), oldest first.
        self._untold: dict[tuple[int, str], _Watchers] = {}
        self._retell_at = 0.0
        self._flushes: list[threading.Event] = []  # set once the untold are told
        self._thread = threading.Thread(target=self._run, name="podlab-publisher", daemon=True)
        self._thread.start()

    def submit(self, item: _Changes | threading.Event) -> None:
        """Queue changes, or an event to set once everything before it is done."""
        self._queue.put(item)

    def _run(self) -> None:
        sender = _GroupSender()
        while True:
            try:
                # With watchers left to tell, wake up to try again even if nothing comes.
                batch = [self._queue.get(timeout=RETELL_SECONDS if self._untold else None)]
            except queue.Empty:
                self._retell()
                continue
            deadline = time.monotonic() + LINGER_SECONDS
            # Someone waiting on a flush does not wait out the linger.
            while len(batch) < _BATCH and not isinstance(batch[-1], threading.Event):
                try:
                    batch.append(self._queue.get(timeout=max(deadline - time.monotonic(), 0)))
                except queue.Empty:
                    break
            self._send(sender, batch)

    def _send(self, sender: _GroupSender, batch: list[_Changes | threading.Event]) -> None:
        changes = [item for item in batch if isinstance(item, _Changes)]
        try:
            sender.send([(c.group or sandbox_group(c.sandbox.pk), c.message) for c in changes])
        except Exception:  # the writes are committed; a missed push is healed by resync
            logger.exception("could not publish %d messages", len(changes))
        for watchers in _watchers_to_tell(changes):
            if self._untold:  # Redis is down: no wait on it per batch, and told in order
                self._keep_untold(watchers)
            else:
                self._tell(watchers)
        self._flushes += [item for item in batch if isinstance(item, threading.Event)]
        self._retell()
        if not self._untold:
            while self._flushes:
                self._flushes.pop().set()

    def _tell(self, watchers: _Watchers) -> bool:
        try:
            watchers.tell()
            return True
        except Exception:
            logger.warning(
                "could not tell the watchers of %s in sandbox %s; telling them again in %s s",
                watchers.actor,
                watchers.sandbox.pk,
                RETELL_SECONDS,
                exc_info=True,
            )
            self._keep_untold(watchers)
            return False

    def _keep_untold(self, watchers: _Watchers) -> None:
        key = (watchers.sandbox.pk, watchers.actor)
        kept = self._untold.setdefault(key, _Watchers(watchers.sandbox, watchers.actor, None))
        kept.sender = watchers.sender
        kept.events = (kept.events + watchers.events)[-RETELL_EVENTS_KEPT:]
        self._retell_at = self._retell_at or time.monotonic() + RETELL_SECONDS

    def _retell(self) -> None:
        """Tell the watchers kept from an outage, oldest first, once it seems over."""
        if not self._untold or time.monotonic() < self._retell_at:
            return
        while self._untold:
            key = next(iter(self._untold))
            watchers = self._untold.pop(key)
            try:
                watchers.tell()
            except Exception:  # still down: everything kept waits for the next try
                self._untold = {key: watchers, **self._untold}
                self._retell_at = time.monotonic() + RETELL_SECONDS
                return
        self._retell_at = 0.0
        logger.warning("told the watchers kept while Redis was unreachable")
        while self._flushes:
            self._flushes.pop().set()


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
    sandbox: Sandbox,
    revision: int,
    events: list[dict],
    traces: list[dict],
    *,
    actor: str,
    sender: object = None,
) -> None:
    """Queue the push of one committed call; its watchers are then told of its events
    (store_committed, from `sender`), both in the publisher thread."""
    message = {
        "type": CHANGES_MESSAGE_TYPE,
        "sandbox": sandbox.pk,
        "revision": revision,
        "events": events,
        "traces": traces,
    }
    _get_publisher().submit(_Changes(sandbox, actor, message, sender))


def publish_note(sandbox: Sandbox, note: dict) -> None:
    """Queue a push that is not a store change: what a component decided or how it fares
    ({"type": "scheduling", ...}, {"type": "component", ...}). It leaves in order with the
    changes queued before and after it, so the page can show a decision before the call
    that acts on it. Notes carry no revision: a page that misses one loses a picture,
    never state (the snapshot holds what notes tell)."""
    message = {"type": NOTE_MESSAGE_TYPE, "sandbox": sandbox.pk, "note": note}
    _get_publisher().submit(_Changes(sandbox, "", message))


def publish_to_group(sandbox: Sandbox, group: str, note: dict) -> None:
    """Queue a note about the sandbox for another group's sockets (a class's dashboard),
    in order with the sandbox's own pushes."""
    message = {"type": NOTE_MESSAGE_TYPE, "sandbox": sandbox.pk, "note": note}
    _get_publisher().submit(_Changes(sandbox, "", message, group=group))


def flush(timeout: float = 5.0) -> bool:
    """Wait until everything queued so far has been sent and every watcher told (for clean
    shutdowns, tests and benchmarks), including those kept from a Redis outage."""
    done = threading.Event()
    _get_publisher().submit(done)
    return done.wait(timeout)
