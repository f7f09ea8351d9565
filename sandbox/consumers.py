"""The live channel of a sandbox: a snapshot first, then the API server's committed changes.

Messages to the page:
  {"type": "snapshot", "revision", "sandbox", "nodes", "pods", "components", "traces"}
  {"type": "changes", "revision", "events": [{"type", "key", "revision", "object",
   "previous"}], "traces": [...]}
  {"type": "error", "status": <Kubernetes Status>}
Messages from the page:
  {"type": "resync"}: send a fresh snapshot (after a revision gap or a reconnect).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from cluster.apiserver import ApiError
from cluster.apiserver.publish import sandbox_group
from sandbox.selectors import sandbox_lookup, sandbox_snapshot


class SandboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.revision = 0
        await self.accept()
        try:
            sandbox_id = self.scope["url_route"]["kwargs"]["sandbox_id"]
            self.sandbox = await database_sync_to_async(sandbox_lookup)(sandbox_id)
            snapshot = await self._snapshot()
        except ApiError as error:
            await self.send_json({"type": "error", "status": error.status()})
            await self.close(code=4000 + error.code)
            return
        self.group = sandbox_group(self.sandbox.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        if group := getattr(self, "group", None):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        if content.get("type") == "resync" and getattr(self, "group", None):
            await self.send_json(await self._snapshot())

    async def cluster_changes(self, message: dict) -> None:
        # Publishing is asynchronous, so a batch committed before this socket's
        # snapshot can arrive after it: the snapshot already holds its changes.
        # (A read's trace carries the revision it read, so it may equal the snapshot's.)
        already_seen = message["revision"] < self.revision or (
            message["revision"] == self.revision and message["events"]
        )
        if already_seen:
            return
        await self.send_json({**message, "type": "changes"})

    async def _snapshot(self) -> dict:
        snapshot = await database_sync_to_async(sandbox_snapshot)(self.sandbox, self.scope["user"])
        self.revision = snapshot["revision"]
        return snapshot
