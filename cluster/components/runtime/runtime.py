"""A simulated CRI container runtime, one per node, as pure logic over a state dict.

The kubelet drives it with the verbs of the Container Runtime Interface:
pull an image, run a pod sandbox (which gets the pod its IP), create and
start containers in it, read their status and logs, stop and remove them.
Every verb takes `now`, the sandbox clock, and first applies whatever came
due by then (pulls finishing, containers exiting, crashing or being
OOM-killed at their scheduled times), so each answer reflects `now`, and
the same state and the same `now` always give the same answer.

All state lives in the dict passed in (the node's disk), changed in place:
save it after a tick, load it before the next, and a fresh ContainerRuntime
over the loaded dict carries on exactly where the last one stopped.

Applying what came due must not cost a look at every container at every
verb: a kubelet asks several things of each pod per tick, which would make a
tick quadratic in the pods on the node. So the runtime keeps, in memory, the
running containers ordered by when they will next exit (a heap built from
the state when it is created); each verb looks only at those due by `now`.
"""

from __future__ import annotations

import datetime as dt
import heapq

from cluster.components.runtime import containers
from cluster.components.runtime.containers import (
    SIGKILL_EXIT_CODE,
    Exit,
    mark_exited,
    status_of,
)
from cluster.components.runtime.errors import FailedPreconditionError, NotFoundError
from cluster.components.runtime.image_service import ImageService
from cluster.components.runtime.images import lookup
from cluster.components.runtime.ipam import allocate_ip, release_ip, validate_pod_cidr
from cluster.components.runtime.plans import ERROR, exit_reason, plan_for
from cluster.components.runtime.records import (
    STATE_VERSION,
    ContainerRecord,
    NodeState,
    SandboxRecord,
    container_id_for,
    empty_state,
    from_iso,
    sandbox_id_for,
    to_iso,
)
from cluster.components.runtime.references import normalise_reference
from cluster.components.runtime.statuses import (
    CONTAINER_ID_SCHEME,
    ContainerState,
    ContainerStatus,
    LogLine,
    PullStatus,
    SandboxState,
    SandboxStatus,
)


class ContainerRuntime:
    def __init__(self, state: dict, node_name: str, *, pod_cidr: str | None = None) -> None:
        if not state:
            if pod_cidr is None:
                raise ValueError(f"node {node_name} needs a pod CIDR (e.g. 10.244.1.0/24)")
            state.update(empty_state(node_name, validate_pod_cidr(pod_cidr)))
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown runtime state version {state.get('version')!r}")
        if state["nodeName"] != node_name:
            raise ValueError(f"this state is node {state['nodeName']}'s, not {node_name}'s")
        if pod_cidr is not None and validate_pod_cidr(pod_cidr) != state["podCIDR"]:
            raise ValueError(f"node {node_name} already has pod CIDR {state['podCIDR']}")
        self._state: NodeState = state  # type: ignore[assignment]
        self._images = ImageService(self._state)
        self.node_name = node_name
        # (when, container id) for each running container's scheduled exit, soonest first.
        # Entries can be stale (the container stopped, was removed or exits sooner since):
        # advance() checks each against its record before acting on it.
        self._exits: list[tuple[dt.datetime, str]] = []
        for record in self._state["containers"].values():
            self._index_exit(record)

    # Time ------------------------------------------------------------------

    def power_off(self) -> None:
        """The node loses power: every container and pod sandbox is gone with their IPs
        (they lived in memory); pulled images stay, as they are on disk."""
        for key in ("pulls", "sandboxes", "containers", "sandboxAttempts", "allocatedIps"):
            self._state[key] = {}  # type: ignore[literal-required]
        self._state["pullLinkFreeAt"] = None
        self._state["lastAllocatedIp"] = None
        self._exits.clear()

    def advance(self, now: dt.datetime) -> None:
        """Apply everything due by `now`: pulls finishing, containers exiting."""
        to_iso(now)  # rejects a naive datetime before it can be compared
        self._images.advance(now)
        while self._exits and self._exits[0][0] <= now:
            _, container_id = heapq.heappop(self._exits)
            record = self._state["containers"].get(container_id)
            if record is None:
                continue  # removed since
            exit_ = containers.scheduled_exit(record)
            if exit_ is not None and exit_.at <= now:
                mark_exited(record, exit_)
            elif exit_ is not None:
                heapq.heappush(self._exits, (exit_.at, container_id))

    def next_event_at(self, now: dt.datetime) -> dt.datetime | None:
        """When something will next change by itself: a good time for the next tick."""
        self.advance(now)
        moments = [self._images.next_event_at()]
        for record in self._state["containers"].values():
            exit_ = containers.scheduled_exit(record)
            moments.append(exit_.at if exit_ else None)
            if record["state"] == ContainerState.RUNNING:
                moments.append(containers.ready_at(record))
        return min((m for m in moments if m is not None and m > now), default=None)

    # Images ----------------------------------------------------------------

    def pull_image(self, image: str, now: dt.datetime) -> PullStatus:
        self.advance(now)
        return self._images.pull_image(image, now)

    def image_status(self, image: str, now: dt.datetime) -> PullStatus:
        self.advance(now)
        return self._images.image_status(image, now)

    def list_images(self, now: dt.datetime | None = None) -> list[dict]:
        """Node status `images`: [{"names": [...], "sizeBytes": n}], biggest first."""
        if now is not None:
            self.advance(now)
        return self._images.list_images()

    # Pod sandboxes ---------------------------------------------------------

    def run_pod_sandbox(self, pod_uid: str, pod_name: str, namespace: str, now: dt.datetime) -> str:
        self.advance(now)
        attempt = self._state["sandboxAttempts"].get(pod_uid, 0)
        sandbox_id = sandbox_id_for(self.node_name, pod_uid, attempt)
        ip = allocate_ip(self._state, sandbox_id)
        self._state["sandboxAttempts"][pod_uid] = attempt + 1
        self._state["sandboxes"][sandbox_id] = {
            "id": sandbox_id,
            "podUid": pod_uid,
            "podName": pod_name,
            "namespace": namespace,
            "attempt": attempt,
            "state": SandboxState.READY.value,
            "createdAt": to_iso(now),
            "ip": ip,
            "containerAttempts": {},
        }
        return sandbox_id

    def stop_pod_sandbox(self, sandbox_id: str, now: dt.datetime) -> None:
        """Kill what still runs in it and release its IP. Stopping twice is fine, as in CRI."""
        self.advance(now)
        sandbox = self._state["sandboxes"].get(sandbox_id)
        if sandbox is None:
            return
        for record in self._containers_in(sandbox_id):
            if record["state"] == ContainerState.RUNNING:
                mark_exited(record, Exit(now, SIGKILL_EXIT_CODE, ERROR))
        sandbox["state"] = SandboxState.NOT_READY.value
        release_ip(self._state, sandbox["ip"])

    def remove_pod_sandbox(self, sandbox_id: str, now: dt.datetime) -> None:
        """Stop it, then forget it and its containers. Removing twice is fine."""
        self.stop_pod_sandbox(sandbox_id, now)
        for record in self._containers_in(sandbox_id):
            del self._state["containers"][record["id"]]
        self._state["sandboxes"].pop(sandbox_id, None)

    def pod_sandbox_status(self, sandbox_id: str, now: dt.datetime) -> SandboxStatus:
        self.advance(now)
        return _sandbox_status(self._sandbox(sandbox_id))

    def list_pod_sandboxes(self, now: dt.datetime) -> list[SandboxStatus]:
        self.advance(now)
        return [_sandbox_status(sandbox) for sandbox in self._state["sandboxes"].values()]

    # Containers ------------------------------------------------------------

    def create_container(self, sandbox_id: str, container_spec: dict, now: dt.datetime) -> str:
        """Create (not start) a pod spec container; its image must be on the node."""
        self.advance(now)
        sandbox = self._sandbox(sandbox_id)
        if sandbox["state"] != SandboxState.READY:
            raise FailedPreconditionError(f'sandbox "{sandbox_id}" is not ready')
        name, image = container_spec["name"], container_spec["image"]
        present = self._images.present_image(image)
        spec = lookup(image)
        if present is None or spec is None:
            # The kubelet pulls before it creates; this is its bug, not the student's.
            raise FailedPreconditionError(f'image "{image}" is not present on the node')
        attempt = sandbox["containerAttempts"].get(name, 0)
        sandbox["containerAttempts"][name] = attempt + 1
        container_id = container_id_for(sandbox_id, name, attempt)
        self._state["containers"][container_id] = {
            "id": container_id,
            "sandboxId": sandbox_id,
            "name": name,
            "attempt": attempt,
            "image": normalise_reference(image),
            "imageId": f"{present['repository']}@{present['digest']}",
            "state": ContainerState.CREATED.value,
            "createdAt": to_iso(now),
            "startedAt": None,
            "finishedAt": None,
            "exitCode": None,
            "reason": "",
            "message": "",
            "plan": plan_for(spec, container_spec).to_state(),
            "killAt": None,
            "eventLogs": [],
        }
        return container_id

    def next_container_id(self, sandbox_id: str, name: str) -> str:
        """The id create_container will give the next container of this name: ids are
        derived from the sandbox, the name and the attempt, never drawn at random."""
        attempt = self._sandbox(sandbox_id)["containerAttempts"].get(name, 0)
        return container_id_for(sandbox_id, name, attempt)

    def start_container(self, container_id: str, now: dt.datetime) -> ContainerStatus:
        self.advance(now)
        record = self._container(container_id)
        if record["state"] != ContainerState.CREATED:
            raise FailedPreconditionError(
                f'container "{record["id"]}" is {record["state"]}, not created'
            )
        record["state"] = ContainerState.RUNNING.value
        record["startedAt"] = to_iso(now)
        self._index_exit(record)
        # A container with nothing to do (hello-world) has exited by `now` already.
        return self.container_status(record["id"], now)

    def stop_container(
        self, container_id: str, timeout_seconds: float, now: dt.datetime
    ) -> ContainerStatus:
        """SIGTERM, then SIGKILL after `timeout_seconds` if the process ignores it.

        Most images exit at once (0 if they shut down gracefully, 143 if
        SIGTERM just ends them). A shell or `sleep` as PID 1 ignores SIGTERM:
        it keeps running, reported as `stopping`, and is killed with 137 when
        the timeout runs out. Stopping a container that is not running is a
        no-op, as in CRI.
        """
        self.advance(now)
        record = self._container(container_id)
        containers.request_stop(record, timeout_seconds, now)
        self._index_exit(record)  # a pending SIGKILL may come sooner than the process's exit
        self.advance(now)  # a zero timeout, or a process that exits at once, is done now
        return status_of(record, now)

    def remove_container(self, container_id: str, now: dt.datetime) -> None:
        """Forget a container, with its logs; a running one is killed (as CRI asks).

        Removing one that is already gone is fine, as in CRI.
        """
        self.advance(now)
        self._state["containers"].pop(_bare_id(container_id), None)

    def crash_container(self, container_id: str, exit_code: int, now: dt.datetime) -> None:
        """A lesson's fault: the running container's process exits now with `exit_code`."""
        self.advance(now)
        record = self._container(container_id)
        if record["state"] != ContainerState.RUNNING:
            raise FailedPreconditionError(f'container "{record["id"]}" is not running')
        mark_exited(record, Exit(now, exit_code, exit_reason(exit_code)))

    def container_status(self, container_id: str, now: dt.datetime) -> ContainerStatus:
        self.advance(now)
        return status_of(self._container(container_id), now)

    def list_containers(
        self, sandbox_id: str | None = None, *, now: dt.datetime
    ) -> list[ContainerStatus]:
        """All containers on the node (or in one sandbox), oldest first."""
        self.advance(now)
        return [
            status_of(record, now)
            for record in self._state["containers"].values()
            if sandbox_id is None or record["sandboxId"] == sandbox_id
        ]

    def logs(self, container_id: str, now: dt.datetime, tail: int | None = None) -> list[LogLine]:
        """What the container has written by `now`, oldest first; `tail` keeps the last lines."""
        self.advance(now)
        record = self._container(container_id)
        lines = containers.log_lines(record, now, self._sandbox(record["sandboxId"])["ip"])
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        return lines

    # Lookups ---------------------------------------------------------------

    def _index_exit(self, record: ContainerRecord) -> None:
        exit_ = containers.scheduled_exit(record)
        if exit_ is not None:
            heapq.heappush(self._exits, (exit_.at, record["id"]))

    def _sandbox(self, sandbox_id: str) -> SandboxRecord:
        sandbox = self._state["sandboxes"].get(sandbox_id)
        if sandbox is None:
            raise NotFoundError(
                f'an error occurred when try to find sandbox "{sandbox_id}": not found'
            )
        return sandbox

    def _container(self, container_id: str) -> ContainerRecord:
        record = self._state["containers"].get(_bare_id(container_id))
        if record is None:
            raise NotFoundError(
                f'an error occurred when try to find container "{container_id}": not found'
            )
        return record

    def _containers_in(self, sandbox_id: str) -> list[ContainerRecord]:
        return [r for r in self._state["containers"].values() if r["sandboxId"] == sandbox_id]


def _bare_id(container_id: str) -> str:
    """Methods accept both `<64 hex>` and `containerd://<64 hex>`."""
    return container_id.removeprefix(CONTAINER_ID_SCHEME)


def _sandbox_status(sandbox: SandboxRecord) -> SandboxStatus:
    return SandboxStatus(
        id=sandbox["id"],
        pod_uid=sandbox["podUid"],
        pod_name=sandbox["podName"],
        namespace=sandbox["namespace"],
        attempt=sandbox["attempt"],
        state=SandboxState(sandbox["state"]),
        created_at=from_iso(sandbox["createdAt"]),
        ip=sandbox["ip"],
    )
