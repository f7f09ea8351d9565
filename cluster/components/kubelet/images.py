"""The kubelet's image manager: make sure a container's image is on the node before it starts.

It follows upstream's EnsureImageExists: the container's imagePullPolicy
decides whether to pull (Always pulls each time a container starts,
IfNotPresent only when the node lacks the image, Never never), a failed
pull backs off (10 s, doubling, up to 300 s), and every step files the
event `kubectl describe pod` shows. Pulls take time in the simulated
runtime, so a pull started in one tick is finished in a later one.
"""

from __future__ import annotations

import datetime as dt

from cluster.components.kubelet.backoff import pull_delay
from cluster.components.kubelet.durations import go_duration
from cluster.components.kubelet.field_path import container_field_path
from cluster.components.runtime.statuses import PullState, PullStatus
from cluster.objects import format_micro_time, parse_time

# The API server always sets imagePullPolicy; a pod that skipped defaulting pulls only if needed.
DEFAULT_PULL_POLICY = "IfNotPresent"
CREATING = {"reason": "ContainerCreating"}


def ensure_image(
    pod: dict, spec: dict, container: dict, ctx, *, occurrence: str = ""
) -> dict | None:
    """None once the image is on the node, else the container's waiting state.

    `container` is the kubelet's memory of this container; `ctx` a pods.PodContext;
    `occurrence` the id of the container the image is for (its events name it).
    """
    image = spec.get("image", "")
    part = container_field_path(pod, spec.get("name", ""))
    if container.get("pull_started"):
        return _finish_pull(pod, image, container, ctx, occurrence=occurrence, part=part)
    present = ctx.runtime.image_status(image, ctx.now)
    if present.state == PullState.FAILED:  # the reference does not even parse
        ctx.events.warning(pod, "InspectFailed", present.message, field_path=part)
        return _failed(pod, ctx, present.reason, present.message, part)
    policy = spec.get("imagePullPolicy") or DEFAULT_PULL_POLICY
    if present.state == PullState.PULLED and policy != "Always":
        message = f'Container image "{image}" already present on machine'
        ctx.events.normal(pod, "Pulled", message, occurrence=occurrence, field_path=part)
        return None
    if policy == "Never":
        message = f'Container image "{image}" is not present with pull policy of Never'
        ctx.events.warning(pod, "ErrImageNeverPull", message, field_path=part)
        return _failed(pod, ctx, "ErrImageNeverPull", message, part)
    if (retry_at := container.get("pull_after")) and ctx.now < parse_time(retry_at):
        message = f'Back-off pulling image "{image}"'
        ctx.events.normal(pod, "BackOff", message, field_path=part)
        waiting = f"{message}: {container['pull_error']}"
        return _failed(pod, ctx, "ImagePullBackOff", waiting, part)
    return _start_pull(pod, image, container, ctx, occurrence, part)


def _start_pull(
    pod: dict, image: str, container: dict, ctx, occurrence: str, part: str
) -> dict | None:
    """part: the container's fieldPath in the pod, which its events name."""
    message = f'Pulling image "{image}"'
    ctx.events.normal(pod, "Pulling", message, occurrence=occurrence, field_path=part)
    pull = ctx.runtime.pull_image(image, ctx.now)
    if pull.state == PullState.FAILED:
        failed = f'Failed to pull image "{image}": {pull.message}'
        ctx.events.warning(pod, "Failed", failed, field_path=part)
        failures = container.get("pull_failures", 0) + 1
        container.update(
            pull_failures=failures,
            pull_error=f"{pull.reason}: {pull.message}",
            pull_after=format_micro_time(ctx.now + dt.timedelta(seconds=pull_delay(failures))),
        )
        return _failed(pod, ctx, pull.reason, pull.message, part)
    container["pull_started"] = format_micro_time(ctx.now)
    return _finish_pull(pod, image, container, ctx, pull, occurrence=occurrence, part=part)


def _finish_pull(
    pod: dict,
    image: str,
    container: dict,
    ctx,
    pull: PullStatus | None = None,
    *,
    occurrence: str = "",
    part: str = "",
) -> dict | None:
    pull = pull or ctx.runtime.image_status(image, ctx.now)
    if pull.state == PullState.PULLING:
        return CREATING
    requested = parse_time(container.pop("pull_started"))
    for key in ("pull_failures", "pull_after", "pull_error"):
        container.pop(key, None)
    if pull.state != PullState.PULLED:  # gone again (it cannot be, today): start over
        return CREATING
    # Content already on the node (another tag, or imagePullPolicy Always) takes no time.
    done = max(pull.done_at or requested, requested)
    downloading = done - max(pull.started_at or done, requested)
    ctx.events.normal(
        pod,
        "Pulled",
        f'Successfully pulled image "{image}" in {go_duration(downloading.total_seconds())}'
        f" ({go_duration((done - requested).total_seconds())} including waiting)."
        f" Image size: {pull.size_bytes} bytes.",
        occurrence=occurrence,
        field_path=part,
    )
    return None


def _failed(pod: dict, ctx, reason: str, message: str, part: str) -> dict:
    """As upstream's startContainer: the error reason, and a warning naming it."""
    ctx.events.warning(pod, "Failed", f"Error: {reason}", field_path=part)
    return {"reason": reason, "message": message}
