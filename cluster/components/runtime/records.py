"""The node's "disk": the runtime's whole state as plain JSON-ready records.

The caller loads this dict before a tick and saves it after, so everything
the runtime knows lives here, with times as ISO 8601 strings in UTC. The
records are TypedDicts: the shape is documented and type-checked, while the
values stay the plain dicts and lists that json.dumps accepts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TypedDict

STATE_VERSION = 1


class ImageRecord(TypedDict):
    repository: str  # docker.io/library/nginx
    digest: str  # sha256:<64 hex>
    references: list[str]  # the tags pulled: docker.io/library/nginx:latest
    sizeBytes: int
    # Both None for images the node came with.
    pullStartedAt: str | None
    pulledAt: str | None


class PullRecord(TypedDict):
    repository: str
    digest: str
    references: list[str]
    sizeBytes: int
    startedAt: str  # when the download began (pulls queue on the node's one link)
    doneAt: str


class SandboxRecord(TypedDict):
    id: str
    podUid: str
    podName: str
    namespace: str
    attempt: int
    state: str  # ready | notready
    createdAt: str
    ip: str
    containerAttempts: dict[str, int]  # container name -> attempts made so far


class ContainerRecord(TypedDict):
    id: str
    sandboxId: str
    name: str
    attempt: int
    image: str  # the normalised reference: docker.io/library/nginx:latest
    imageId: str  # docker.io/library/nginx@sha256:<64 hex>
    state: str  # created | running | exited
    createdAt: str
    startedAt: str | None
    finishedAt: str | None
    exitCode: int | None
    reason: str
    message: str
    plan: dict  # plans.RunPlan.to_state()
    # A stop that is waiting for its grace period: when SIGKILL comes.
    killAt: str | None
    # Lines written by events rather than the plan (shutdown messages).
    eventLogs: list[list[str]]  # [[iso time, text template], ...]


class NodeState(TypedDict):
    version: int
    nodeName: str
    podCIDR: str
    images: dict[str, ImageRecord]  # by digest
    pulls: dict[str, PullRecord]  # by digest
    pullLinkFreeAt: str | None
    sandboxes: dict[str, SandboxRecord]
    containers: dict[str, ContainerRecord]
    sandboxAttempts: dict[str, int]  # pod uid -> sandboxes made for it so far
    lastAllocatedIp: str | None
    allocatedIps: dict[str, str]  # ip -> sandbox id


def empty_state(node_name: str, pod_cidr: str) -> NodeState:
    return {
        "version": STATE_VERSION,
        "nodeName": node_name,
        "podCIDR": pod_cidr,
        "images": {},
        "pulls": {},
        "pullLinkFreeAt": None,
        "sandboxes": {},
        "containers": {},
        "sandboxAttempts": {},
        "lastAllocatedIp": None,
        "allocatedIps": {},
    }


def to_iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the runtime needs timezone-aware times (the sandbox clock)")
    return moment.astimezone(dt.UTC).isoformat()


def from_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def maybe_from_iso(text: str | None) -> dt.datetime | None:
    return None if text is None else from_iso(text)


def after(start: str, seconds: float) -> str:
    return to_iso(from_iso(start) + dt.timedelta(seconds=seconds))


def sandbox_id_for(node_name: str, pod_uid: str, attempt: int) -> str:
    return _hex_id(f"sandbox/{node_name}/{pod_uid}/{attempt}")


def container_id_for(sandbox_id: str, name: str, attempt: int) -> str:
    return _hex_id(f"container/{sandbox_id}/{name}/{attempt}")


def _hex_id(seed: str) -> str:
    # containerd ids are 64 hex digits; hashing the seed keeps them stable
    # across runs, so tests and replays see the same ids.
    return hashlib.sha256(seed.encode()).hexdigest()
