"""One watch over all the sandbox sockets a web process holds open, not one per socket.

An open socket must be closed within seconds once its user may no longer see its
sandbox, must get a fresh snapshot after its pushes were lost (Redis went away and came
back), and must keep its sandbox awake (cluster/idle.py). Done per socket, fifty sockets
cost fifty database checks and fifty channel-layer pings every two seconds, and those
compete with the pushes themselves. Done here, each costs one pass per process:

- every ACCESS_CHECK_SECONDS, one trip to a database thread that reads the sockets'
  sessions, users and sandboxes, each in one query, and checks them all; and the
  revision each of their sandboxes' stores has reached. A socket that was pushed less
  than its store had reached PUSH_GRACE_SECONDS before missed a push (Redis restarted
  between two pings, too quickly for them to see) and is asked to resync;
- every LAYER_PING_SECONDS, one ping through the channel layer to a channel of the
  watch's own (the process's sockets share its connection to Redis: if the ping comes
  back, their pushes can too). After a ping that failed or never came back, the first
  that does asks every socket to resync;
- every PRESENCE_REFRESH_SECONDS, one Redis round trip saying which pages are still open.

Consumers of one process run on one event loop; the watch belongs to that loop (a test's
loop has its own) and stops when its last socket closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Protocol

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from cluster import idle
from cluster.apiserver import ApiError
from cluster.apiserver.authn import caller_for_user
from cluster.apiserver.errors import unauthorized
from cluster.apiserver.progress import revisions_reached
from sandbox.selectors import not_found_sandbox, sandbox_visible, sandboxes_by_id

log = logging.getLogger(__name__)

# How often open sockets are checked against who may see what: losing access (a user
# deactivated or logged out, a student who left the class) is noticed within seconds.
ACCESS_CHECK_SECONDS = 2.0
# How often the watch checks that pushes reach this process, and how long a ping may take.
LAYER_PING_SECONDS = 2.0
# How long a committed change's push may take to reach a socket before the socket counts
# as having missed it: far over a push's usual 10 to 200 ms, so that a slow push costs
# no needless snapshot.
PUSH_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class Access:
    """What one socket's right to stay open depends on. Sockets that share it (one user's
    tabs on one sandbox, or fifty viewers of one demo) are checked once per pass."""

    session_key: str | None  # None: opened without a session (nothing to ask of it)
    user_id: int
    sandbox_id: int


class WatchedSocket(Protocol):
    channel_name: str
    # The newest revision the socket has been sent (a snapshot's or a batch's).
    revision_pushed: int

    def access(self) -> Access: ...

    async def lose_access(self, lost: ApiError) -> None: ...


def check_access(access: Access) -> None:
    """Raise the ApiError sandbox_for raises now, for the user as they are now."""
    if (lost := refusals([access]).get(access)) is not None:
        raise lost


def refusals(accesses: Iterable[Access]) -> dict[Access, ApiError]:
    """Each access that no longer holds, with why. A few queries in all, however many
    accesses: the sessions, the users and the sandboxes are each read in one."""
    accesses = set(accesses)
    logged_in = session_users({a.session_key for a in accesses if a.session_key is not None})
    users = get_user_model().objects.in_bulk({a.user_id for a in accesses})
    sandboxes = sandboxes_by_id(a.sandbox_id for a in accesses)
    refused = {}
    for access in accesses:
        try:
            # A logout (here or in another tab) or an expired session ends the socket.
            if access.session_key is not None and logged_in.get(access.session_key) != str(
                access.user_id
            ):
                raise unauthorized()
            if (user := users.get(access.user_id)) is None:
                raise unauthorized()
            caller_for_user(user)  # 401 once deactivated
            if (sandbox := sandboxes.get(access.sandbox_id)) is None:
                raise not_found_sandbox(access.sandbox_id)
            sandbox_visible(user, sandbox)
        except ApiError as lost:
            refused[access] = lost
    return refused


def session_users(session_keys: set[str]) -> dict[str, str]:
    """The user id (as the session stores it) each live session names, read afresh:
    the sessions logged out or expired are left out."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, DatabaseSessionStore):  # a cache or cookie engine: one by one
        named = {key: store(session_key=key).get(SESSION_KEY) for key in session_keys}
        return {key: user for key, user in named.items() if user is not None}
    live = store.get_model_class().objects.filter(
        session_key__in=session_keys, expire_date__gt=timezone.now()
    )
    named = {row.session_key: store().decode(row.session_data).get(SESSION_KEY) for row in live}
    return {key: user for key, user in named.items() if user is not None}


class SocketWatch:
    def __init__(self, channel_layer: BaseChannelLayer) -> None:
        self.layer = channel_layer
        self.sockets: dict[str, WatchedSocket] = {}
        self.presence: dict[str, int] = {}  # channel name -> the sandbox its page has open
        self.layer_lost = False
        # The revisions the sockets' stores had reached at one pass, and when (monotonic).
        self._reached: dict[int, int] = {}
        self._reached_at = 0.0
        self._pong = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    def add(self, socket: WatchedSocket, *, present_in: int) -> None:
        self.sockets[socket.channel_name] = socket
        self.presence[socket.channel_name] = present_in
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._every(lambda: ACCESS_CHECK_SECONDS, self._check)),
                asyncio.create_task(self._watch_layer()),
                asyncio.create_task(
                    self._every(lambda: idle.PRESENCE_REFRESH_SECONDS, self._refresh_presence)
                ),
            ]

    async def remove(self, socket: WatchedSocket) -> None:
        self.sockets.pop(socket.channel_name, None)
        self.presence.pop(socket.channel_name, None)
        if self.sockets:
            return
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            if task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _every(self, seconds: Callable[[], float], work: Callable[[], Awaitable]) -> None:
        while True:
            await asyncio.sleep(seconds())
            try:
                await work()
            except Exception:  # a database or Redis blip: keep the sockets, try next time
                log.warning("socket watch: %s failed", work.__name__, exc_info=True)

    async def _check(self) -> None:
        """Close every socket whose user may no longer see its sandbox; resync those the
        pushes have left behind."""
        sockets = list(self.sockets.values())
        refused, reached = await database_sync_to_async(_refusals_and_progress)(
            [socket.access() for socket in sockets]
        )
        now = asyncio.get_running_loop().time()
        compare = now - self._reached_at >= PUSH_GRACE_SECONDS
        behind = []
        for socket in sockets:
            access = socket.access()
            if (lost := refused.get(access)) is not None:
                await socket.lose_access(lost)
            elif compare and socket.revision_pushed < self._reached.get(access.sandbox_id, 0):
                behind.append(socket.channel_name)
        if compare:
            self._reached, self._reached_at = reached, now
        if behind:
            log.warning("pushes lost: %d socket(s) behind their store resync", len(behind))
            await self._resync(behind)

    async def _refresh_presence(self) -> None:
        await sync_to_async(idle.viewers_here)(
            (sandbox_id, channel) for channel, sandbox_id in self.presence.items()
        )

    async def _watch_layer(self) -> None:
        """Ping a channel of the watch's own; after a lost ping, resync every socket."""
        channel = await self.layer.new_channel()
        receiver = asyncio.create_task(self._receive_pongs(channel))
        try:
            while True:
                await asyncio.sleep(LAYER_PING_SECONDS)
                self._pong.clear()
                try:
                    await self.layer.send(channel, {"type": "layer.ping"})
                    await asyncio.wait_for(self._pong.wait(), LAYER_PING_SECONDS)
                except Exception:  # Redis down, or the subscription not back yet
                    if not self.layer_lost:
                        log.warning("pushes lost: %d socket(s) resync when back", len(self.sockets))
                    self.layer_lost = True
                    continue
                if self.layer_lost:
                    self.layer_lost = not await self._resync(list(self.sockets))
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiver

    async def _receive_pongs(self, channel: str) -> None:
        while True:
            try:
                await self.layer.receive(channel)
            except Exception:  # Redis down: the ping fails too, and says so
                await asyncio.sleep(LAYER_PING_SECONDS)
                continue
            self._pong.set()

    async def _resync(self, channels: list[str]) -> bool:
        """Ask each socket, through its own channel, for a fresh snapshot. The snapshot is
        sent by the socket's own handler, so no batch of changes comes between its parts.
        False if Redis failed on the way: the caller asks again at its next pass."""
        try:
            for channel in channels:
                await self.layer.send(channel, {"type": "layer.resync"})
        except Exception:
            return False
        return True


def _refusals_and_progress(
    accesses: list[Access],
) -> tuple[dict[Access, ApiError], dict[int, int]]:
    """refusals(accesses), and the revision reached by the store of each sandbox still
    seen (read after the check: a sandbox refused is not looked into)."""
    refused = refusals(accesses)
    return refused, revisions_reached({a.sandbox_id for a in accesses if a not in refused})


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SocketWatch] = (
    weakref.WeakKeyDictionary()
)


def socket_watch(channel_layer: BaseChannelLayer) -> SocketWatch:
    """The watch of the running event loop (the process's, in Daphne)."""
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None or watch.layer is not channel_layer:
        watch = _watches[loop] = SocketWatch(channel_layer)
    return watch
