"""The class dashboard's live channel: a push whenever a student's lesson moves on.

Who may listen is checked before anything is read or joined (the class's instructor or
an administrator; anyone else is told 404 and closed with 4404, as for a class that
does not exist; a visitor not logged in, 401 and 4401), and again with each push at
most every ACCESS_CHECK_SECONDS, so an instructor replaced in the class stops getting
its pushes. Messages from the page are ignored.
"""

from __future__ import annotations

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from cluster.apiserver import ApiError
from lessons.models import ClassLesson
from lessons.runner import class_group
from sandbox.consumers import CLOSE_CODE_BASE, close_reason

ACCESS_CHECK_SECONDS = 2.0


def class_listener(user, class_id: int) -> ClassLesson:
    """The class, for a user who may follow it; ApiError 401 or 404 otherwise."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise ApiError(401, "Unauthorized", "Unauthorized: log in first")
    class_lesson = ClassLesson.objects.select_related("classroom").filter(pk=class_id).first()
    if class_lesson is None or not (
        user.is_superuser or class_lesson.classroom.instructor_id == user.pk
    ):
        raise ApiError(404, "NotFound", f'classes "{class_id}" not found')
    return class_lesson


class ClassConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.group = ""
        self.checked_at = 0.0
        await self.accept()
        self.class_id = self.scope["url_route"]["kwargs"]["class_id"]
        try:
            class_lesson = await self._check()
        except ApiError as refused:
            await self._refuse(refused)
            return
        self.group = class_group(class_lesson.classroom_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = ""

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        return  # the dashboard asks nothing of this channel

    async def cluster_note(self, message: dict) -> None:
        if not self.group:
            return
        if time.monotonic() - self.checked_at > ACCESS_CHECK_SECONDS:
            try:
                await self._check()
            except ApiError as refused:
                await self.channel_layer.group_discard(self.group, self.channel_name)
                self.group = ""
                await self._refuse(refused)
                return
        await self.send_json({"type": "progress", "sandbox": message.get("sandbox")})

    async def _check(self) -> ClassLesson:
        self.scope["user"] = await database_sync_to_async(_fresh)(self.scope["user"])
        class_lesson = await database_sync_to_async(class_listener)(
            self.scope["user"], self.class_id
        )
        self.checked_at = time.monotonic()
        return class_lesson

    async def _refuse(self, error: ApiError) -> None:
        await self.send_json({"type": "error", "status": error.status()})
        await self.close(code=CLOSE_CODE_BASE + error.code, reason=close_reason(error))


def _fresh(user):
    """The user as they are now (deactivated since the socket opened, say). The scope's
    user is the auth middleware's lazy object: read again by its id."""
    if user is None or not user.is_authenticated:
        return user
    return get_user_model().objects.filter(pk=user.pk).first()
