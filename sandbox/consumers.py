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
"""

from __future__ import annotations

import json
from collections import OrderedDict

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from cluster.apiserver import ApiError
from cluster.apiserver.publish import sandbox_group
from sandbox.selectors import sandbox_for, sandbox_lookup, sandbox_snapshot

# Well under Daphne's (autobahn's) 1 MiB limit on one websocket message.
MESSAGE_BYTES = 512 * 1024
# Every viewer of a sandbox served by this process gets the same batch: it is
# encoded once for all of them. Batches are keyed by what tells them apart.
ENCODED_BATCHES_KEPT = 256
_encoded_batches: OrderedDict[tuple, str] = OrderedDict()


class SandboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.revision = 0
        await self.accept()
        try:
            sandbox_id = self.scope["url_route"]["kwargs"]["sandbox_id"]
            self.sandbox = await database_sync_to_async(sandbox_for)(self.scope["user"], sandbox_id)
            snapshot = await self._snapshot()
        except ApiError as error:
            await self.send_json({"type": "error", "status": error.status()})
            await self.close(code=4000 + error.code)
            return
        self.group = sandbox_group(self.sandbox.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self._send_snapshot(snapshot)

    async def disconnect(self, code: int) -> None:
        if group := getattr(self, "group", None):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        if content.get("type") == "resync" and getattr(self, "group", None):
            await self._send_snapshot(await self._snapshot())

    async def cluster_changes(self, message: dict) -> None:
        # Publishing is asynchronous, so a batch committed before this socket's
        # snapshot can arrive after it: the snapshot already holds its changes.
        # (A read's trace carries the revision it read, so it may equal the snapshot's.)
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
        return snapshot


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
