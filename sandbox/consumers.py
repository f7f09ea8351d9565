"""The live channel of a sandbox: the API server's committed changes, pushed to the page."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from cluster.apiserver import ApiError
from cluster.apiserver.publish import sandbox_group
from sandbox.selectors import sandbox_for_viewer


class SandboxConsumer(AsyncJsonWebsocketConsumer):
    """Joins the sandbox's group on connect, then forwards each batch of changes."""

    async def connect(self) -> None:
        sandbox_id = self.scope["url_route"]["kwargs"]["sandbox_id"]
        try:
            self.sandbox, revision = await database_sync_to_async(sandbox_for_viewer)(
                sandbox_id, self.scope.get("user")
            )
        except ApiError as error:
            # Accept, say why, and close: the browser can show the Status.
            await self.accept()
            await self.send_json({"type": "error", "status": error.status()})
            await self.close(code=4000 + error.code)
            return
        self.revision = revision
        self.group = sandbox_group(self.sandbox.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "sandbox": self.sandbox.pk, "revision": revision})

    async def disconnect(self, code: int) -> None:
        if group := getattr(self, "group", None):
            await self.channel_layer.group_discard(group, self.channel_name)

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
