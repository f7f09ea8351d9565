"""A fixed sandbox time and a shortcut to a running container."""

from __future__ import annotations

import datetime as dt

from cluster.components.runtime import ContainerRuntime

T0 = dt.datetime(2026, 11, 26, 21, 40, tzinfo=dt.UTC)
# Long enough for any catalogue image to have finished pulling.
PULLED = 60


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def after_start(seconds: float) -> dt.datetime:
    """A moment relative to when `start` starts its container."""
    return at(PULLED + seconds)


def new_runtime(state: dict | None = None, node_name: str = "node-1") -> ContainerRuntime:
    return ContainerRuntime({} if state is None else state, node_name, pod_cidr="10.244.1.0/24")


def start(runtime: ContainerRuntime, image: str, *, pod_uid: str = "uid-1", **container) -> str:
    """Pull `image`, run a sandbox and start a container of it at T0 + PULLED seconds."""
    runtime.pull_image(image, T0)
    sandbox_id = runtime.run_pod_sandbox(pod_uid, "app", "default", at(PULLED))
    spec = {"name": "app", "image": image, **container}
    container_id = runtime.create_container(sandbox_id, spec, at(PULLED))
    runtime.start_container(container_id, at(PULLED))
    return container_id
