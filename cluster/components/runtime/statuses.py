"""What the runtime answers: pull, sandbox and container statuses, and log lines.

These are read-only snapshots at the `now` they were asked for. Times are
timezone-aware datetimes; `ContainerStatus.kubernetes_state()` turns a
container's state into the `state` object of an upstream ContainerStatus.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from cluster.objects import format_micro_time, format_time

CONTAINER_ID_SCHEME = "containerd://"


class PullState(StrEnum):
    PULLING = "PULLING"
    PULLED = "PULLED"
    FAILED = "FAILED"
    ABSENT = "ABSENT"  # image_status only: not on the node and not being pulled


@dataclass(frozen=True)
class PullStatus:
    image: str  # the reference normalised (as given, if it does not parse)
    state: PullState
    image_id: str = ""  # docker.io/library/nginx@sha256:<64 hex>, once known
    size_bytes: int = 0
    started_at: dt.datetime | None = None  # when the download began (after any queue)
    done_at: dt.datetime | None = None  # PULLING: expected; PULLED: actual (None: preloaded)
    reason: str = ""  # FAILED: ErrImagePull or InvalidImageName
    message: str = ""  # FAILED: the error, as the kubelet would print it


class SandboxState(StrEnum):
    READY = "ready"
    NOT_READY = "notready"


@dataclass(frozen=True)
class SandboxStatus:
    id: str
    pod_uid: str
    pod_name: str
    namespace: str
    attempt: int
    state: SandboxState
    created_at: dt.datetime
    ip: str


class ContainerState(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    EXITED = "exited"


@dataclass(frozen=True)
class ContainerStatus:
    id: str  # 64 hex, what the runtime's methods take
    sandbox_id: str
    name: str
    attempt: int  # 0 for the first container of this name in the sandbox: the restart count
    image: str  # docker.io/library/nginx:latest
    image_id: str  # docker.io/library/nginx@sha256:<64 hex>
    state: ContainerState
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    exit_code: int | None
    reason: str  # when exited: Completed, Error or OOMKilled
    message: str
    ready: bool  # running and past any warm-up: what a readiness probe would see
    stopping: bool  # a stop was asked and the process has not exited yet

    @property
    def container_id(self) -> str:
        """containerd://<id>, as upstream ContainerStatus.containerID."""
        return CONTAINER_ID_SCHEME + self.id

    def kubernetes_state(self) -> dict:
        """The upstream ContainerState: {"waiting"|"running"|"terminated": {...}}."""
        if self.state == ContainerState.CREATED:
            return {"waiting": {"reason": "ContainerCreating"}}
        if self.state == ContainerState.RUNNING:
            assert self.started_at is not None
            return {"running": {"startedAt": format_time(self.started_at)}}
        assert self.finished_at is not None
        terminated: dict = {
            "exitCode": self.exit_code,
            "reason": self.reason,
            "startedAt": format_time(self.started_at or self.finished_at),
            "finishedAt": format_time(self.finished_at),
            "containerID": self.container_id,
        }
        if self.message:
            terminated["message"] = self.message
        return {"terminated": terminated}


@dataclass(frozen=True)
class LogLine:
    time: dt.datetime
    text: str

    def formatted(self, *, timestamps: bool = False) -> str:
        """One line of `kubectl logs` output (with --timestamps, RFC 3339 first)."""
        return f"{format_micro_time(self.time)} {self.text}" if timestamps else self.text
