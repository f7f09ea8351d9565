"""The live channel of a sandbox: a snapshot first, then the API server's committed changes.

Messages to the page:
  {"type": "snapshot", "revision", "sandbox", "nodes", "pods", "components", "traces",
   "parts"}: with "parts" > 1, the rest of its pods follow in parts - 1 messages
   {"type": "snapshot-part", "revision", "pods"}, sent right after it. A big
   cluster's snapshot (2.5 MB at 1,000 pods) is over what Daphne lets one
   websocket message carry (1 MiB).
  {"type": "changes", "revision", "events": [{"type", "key", "revision", "object",
   "previous"}], "traces": [...]}
  {"type": "scheduling" | "component", ...}: a note (cluster.apiserver.publish.publish_note),
   passed on as it was published
  {"type": "error", "status": <Kubernetes Status>}
Messages from the page:
  {"type": "resync"}: send a fresh snapshot (after a revision gap or a reconnect).
  Anything else (not JSON, not an object, an unknown type) is ignored.

Who may listen is checked before anything is read (sandbox_for: close 4401 for a caller
not logged in, 4404 for a sandbox they may not see, as for a missing one), and again every
ACCESS_CHECK_SECONDS while the socket is open: a user deactivated or logged out, a student
who left the instructor's class, an instructor replaced, a sandbox deleted, each is told
why ({"type": "error"}) and closed with the same codes. (sandbox/socket_watch.py checks
all the process's sockets in one pass.) A snapshot (connect or resync)
over the user's rate limit (sandbox/rate_limits.py) is refused with a 429 Status: a
resync is not sent, a connect closes with 4429.

Pushes come through Redis. When Redis goes away and comes back, the page's websocket
stays open, but the pushes sent meanwhile are lost, and a page that gets no later one
would never see the gap. So the process's socket watch pings itself through the channel
layer every few seconds; after a ping that failed or never came back, the first that
does asks every socket for a fresh snapshot ("layer.resync"). A restart too quick for
the pings is seen by the revisions: a socket pushed less than its sandbox's store had
reached a few seconds before is asked for one too (revision_pushed).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections import OrderedDict

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.sessions.backends.base import SessionBase

from cluster import idle
from cluster.apiserver import ApiError
from cluster.apiserver.publish import sandbox_group
from sandbox import rate_limits
from sandbox.selectors import sandbox_for, sandbox_lookup, sandbox_snapshot
from sandbox.socket_watch import Access, SocketWatch, check_access, socket_watch

log = logging.getLogger(__name__)

# Well under Daphne's (autobahn's) 1 MiB limit on one websocket message.
MESSAGE_BYTES = 512 * 1024
# Every viewer of a sandbox served by this process gets the same batch: it is
# encoded once for all of them. Batches are keyed by what tells them apart.
ENCODED_BATCHES_KEPT = 256
_encoded_batches: OrderedDict[tuple, str] = OrderedDict()
# The websocket close code for a refusal is 4000 + its HTTP status (4401, 4404, 4429).
CLOSE_CODE_BASE = 4000
CLOSE_REASON_BYTES = 123  # RFC 6455: a close frame's payload is at most 125 bytes


class SandboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.revision = 0  # the snapshot's: older batches are already in it
        self.revision_pushed = 0  # the newest sent (socket_watch.WatchedSocket)
        self.group = ""
        self.watch: SocketWatch | None = None
        self.refused = False
        # Accepted first only so that a refusal can say why and close with its own code;
        # nothing of the sandbox is read or joined before sandbox_for has said yes.
        await self.accept()
        try:
            sandbox_id = self.scope["url_route"]["kwargs"]["sandbox_id"]
            self.sandbox = await database_sync_to_async(sandbox_for)(self.scope["user"], sandbox_id)
            self.user_id = self.scope["user"].pk
            await self._count_snapshot()
            # Someone looks: an idle sandbox wakes before its snapshot is taken, and stays
            # awake while this page is open.
            await database_sync_to_async(_viewer_arrives)(self.sandbox.pk, self.channel_name)
            # Watched from here on: the presence just said is refreshed while the page is open.
            self.watch = socket_watch(self.channel_layer)
            self.watch.add(self, present_in=self.sandbox.pk)
            snapshot = await self._snapshot()
        except ApiError as error:
            await self._refuse(error)
            return
        self.group = sandbox_group(self.sandbox.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self._send_snapshot(snapshot)

    async def disconnect(self, code: int) -> None:
        if self.group:
            with contextlib.suppress(Exception):  # Redis down: its subscriptions went with it
                await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = ""
        if self.watch is not None:
            await self.watch.remove(self)
            self.watch = None
            with contextlib.suppress(Exception):  # Redis down: the presence lapses by itself
                await sync_to_async(idle.viewer_gone)(self.sandbox.pk, self.channel_name)

    def access(self) -> Access:
        """What this socket's right to stay open depends on (sandbox/socket_watch.py)."""
        session: SessionBase | None = self.scope.get("session")
        # A socket opened without a session has no session to ask about.
        session_key = session.session_key if session is not None else None
        return Access(session_key or None, self.user_id, self.sandbox.pk)

    async def layer_resync(self, message: dict) -> None:
        # Sent by the socket watch after pushes were lost. Sent from here, a handler:
        # handlers run one at a time, so the snapshot's parts leave back to back, with no
        # batch between them. Not counted against the user's rate limit: the server
        # asked for it, not the page.
        if self.group:
            await self._send_snapshot(await self._snapshot())

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs
    ) -> None:
        """A message from the page. Whatever a client sends, the consumer goes on: a
        message that is not a JSON object of a known type is ignored."""
        if text_data is None:
            return  # a binary frame: the page sends none
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            return
        if isinstance(content, dict):
            await self.receive_json(content)

    async def receive_json(self, content: dict, **kwargs) -> None:
        if content.get("type") != "resync" or not self.group:
            return
        try:
            # The user as they are now: the socket's own user object was read at connect.
            await database_sync_to_async(check_access)(self.access())
        except ApiError as lost:
            await self.lose_access(lost)
            return
        try:
            await self._count_snapshot()
        except ApiError as too_many:
            await self.send_json({"type": "error", "status": too_many.status()})
            return
        await self._send_snapshot(await self._snapshot())

    async def _refuse(self, error: ApiError) -> None:
        """Say why (a Kubernetes Status) and close with 4000 + its code."""
        await self.send_json({"type": "error", "status": error.status()})
        await self.close(code=CLOSE_CODE_BASE + error.code, reason=close_reason(error))

    async def lose_access(self, lost: ApiError) -> None:
        """Leave the sandbox's group at once (nothing more of it is sent), then close."""
        if self.refused:
            return  # told and closing: the watch may ask again before the disconnect comes
        self.refused = True
        log.info("sandbox %s: closing user %s's socket: %s", self.sandbox.pk, self.user_id, lost)
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = ""
        await self._refuse(lost)

    async def _count_snapshot(self) -> None:
        """Count a snapshot against the user's rate limit (raise 429 when over it)."""
        count = database_sync_to_async(rate_limits.count_call)
        await count(self.scope["user"], rate_limits.SNAPSHOT)

    async def cluster_changes(self, message: dict) -> None:
        # Publishing is asynchronous, so a batch committed before this socket's
        # snapshot can arrive after it: the snapshot already holds its changes.
        # (A read's trace carries the revision it read, so it may equal the snapshot's.)
        self.revision_pushed = max(self.revision_pushed, message["revision"])
        already_seen = message["revision"] < self.revision or (
            message["revision"] == self.revision and message["events"]
        )
        if already_seen:
            return
        await self.send(text_data=encoded_changes(message))

    async def cluster_note(self, message: dict) -> None:
        await self.send_json(message["note"])

    async def _send_snapshot(self, snapshot: dict) -> None:
        """The snapshot, its pods split over as many messages as they need. The
        parts go out back to back: this consumer handles one event at a time, so
        no batch of changes comes between them."""
        head, *rest = snapshot_messages(snapshot)
        await self.send(text_data=head)
        for part in rest:
            await self.send(text_data=part)

    async def _snapshot(self) -> dict:
        # The sandbox read again: its clock (paused, speed) may have changed since connect,
        # and a snapshot that told the old one would undo the page's clock read-out.
        self.sandbox = await database_sync_to_async(sandbox_lookup)(self.sandbox.pk)
        snapshot = await database_sync_to_async(sandbox_snapshot)(self.sandbox, self.scope["user"])
        self.revision = snapshot["revision"]
        self.revision_pushed = max(self.revision_pushed, self.revision)
        return snapshot


def close_reason(error: ApiError) -> str:
    """What the page shows when the socket closes ("404 NotFound: sandbox "7" not found"),
    within the 123 bytes a websocket close reason may hold."""
    text = f"{error.code} {error.reason}: {error.message}"
    return text.encode()[:CLOSE_REASON_BYTES].decode(errors="ignore")


def _viewer_arrives(sandbox_id: int, viewer: str) -> None:
    # Presence first, then the wake: a sandbox going idle at this moment looks at presence
    # after stopping its clock, so one of the two always sees the other (cluster/idle.py).
    idle.viewer_here(sandbox_id, viewer)
    idle.wake(sandbox_id)


def snapshot_messages(snapshot: dict, limit: int | None = None) -> list[str]:
    """The snapshot as websocket messages (JSON text) of at most about `limit` bytes
    (MESSAGE_BYTES) each: everything but the pods in the first, with as many pods as fit."""
    limit = limit or MESSAGE_BYTES
    chunks: list[list[str]] = [[]]
    size = len(json.dumps({key: v for key, v in snapshot.items() if key != "pods"}))
    for pod in snapshot["pods"]:
        encoded = json.dumps(pod)
        if chunks[-1] and size + len(encoded) > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(encoded)
        size += len(encoded) + 1
    rest = json.dumps(
        {key: v for key, v in snapshot.items() if key != "pods"} | {"parts": len(chunks)}
    )
    # Pods already encoded are spliced in as text, not decoded and encoded again.
    messages = [f'{rest[:-1]}, "pods": [{", ".join(chunks[0])}]}}']
    revision = snapshot["revision"]
    for chunk in chunks[1:]:
        pods = ", ".join(chunk)
        messages.append(f'{{"type": "snapshot-part", "revision": {revision}, "pods": [{pods}]}}')
    return messages


def encoded_changes(message: dict) -> str:
    """The "changes" message for a published batch, as JSON text, encoded once per batch.

    Consumers of one process run on one event loop, so the cache needs no lock.
    """
    traces = message.get("traces") or []
    if "sandbox" not in message or any("id" not in trace for trace in traces):
        return _changes_text(message)  # nothing to tell it apart by: not cached
    key = (
        message["sandbox"],
        message["revision"],
        tuple(trace["id"] for trace in traces),
        tuple((event["key"], event["revision"]) for event in message.get("events") or []),
    )
    text = _encoded_batches.get(key)
    if text is None:
        text = _encoded_batches[key] = _changes_text(message)
        if len(_encoded_batches) > ENCODED_BATCHES_KEPT:
            _encoded_batches.popitem(last=False)
    return text


def _changes_text(message: dict) -> str:
    fields = {key: value for key, value in message.items() if not key.startswith("__")}
    return json.dumps({**fields, "type": "changes"})
