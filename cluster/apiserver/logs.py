"""GET pods/<name>/log: a container's output, as the kubelet on its node has it.

Upstream's API server asks the pod's kubelet, which reads the container runtime's log
files. Here the kubelet's memory holds its runtime's state (ComponentState), and the
runtime renders a container's lines for a sandbox time (cluster/components/runtime):
the API server reads them there, read-only, in the kubelet's place.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.apiserver import errors
from cluster.apiserver.registry import Registry
from cluster.apiserver.results import Outcome, object_of
from cluster.apiserver.tracing import Request, Stages
from cluster.components.runtime import ContainerRuntime
from cluster.components.runtime.statuses import ContainerState
from cluster.models import ComponentState


@dataclass(frozen=True)
class LogRead:
    text: str
    lines: int  # how many lines the container has written in all
    running: bool  # it may write more (kubectl logs -f goes on)


def pod_log(
    registry: Registry,
    request: Request,
    stages: Stages,
    *,
    container: str,
    previous: bool,
    tail_lines: int | None,
    timestamps: bool,
    skip: int = 0,
) -> Outcome:
    """The container's lines (the last tail_lines; or those after the first `skip`, for a
    follow's next look)."""
    kv = registry.existing(request)
    pod = object_of(kv)
    container = _container_of(pod, container)
    node = pod["spec"].get("nodeName") or ""
    kubelet = ComponentState.objects.filter(
        sandbox=registry.sandbox, name=f"kubelet/{node}"
    ).first()
    memory = ((kubelet.state if kubelet else {}).get("pods") or {}).get(pod["metadata"]["uid"])
    ids = ((memory or {}).get("containers") or {}).get(container) or {}
    container_id = ids.get("previous" if previous else "current")
    if not container_id or kubelet is None:
        raise errors.bad_request(_no_log(pod, container, previous))
    runtime = ContainerRuntime(kubelet.state.get("runtime") or {}, node)
    now = registry.sandbox.now()
    written = runtime.logs(container_id, now)
    shown = (
        written[skip:] if tail_lines is None else written[max(skip, len(written) - tail_lines) :]
    )
    running = runtime.container_status(container_id, now).state == ContainerState.RUNNING
    stages.passed("kubelet", f"kubelet/{node} read {len(shown)} lines of container {container}")
    text = "".join(line.formatted(timestamps=timestamps) + "\n" for line in shown)
    return Outcome(
        body={"read": LogRead(text, len(written), running and not previous)},
        code=200,
        revision=kv.mod_revision,
        narration=f"read the log of container {container} of {request.target}"
        f" ({len(shown)} lines, from kubelet/{node})",
    )


def _container_of(pod: dict, container: str) -> str:
    name = pod["metadata"]["name"]
    containers = [c["name"] for c in pod["spec"].get("containers", [])]
    if not container:
        if len(containers) != 1:
            raise errors.bad_request(
                f"a container name must be specified for pod {name},"
                f" choose one of: [{' '.join(containers)}]"
            )
        return containers[0]
    if container not in containers + [c["name"] for c in pod["spec"].get("initContainers") or []]:
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    return container


def _no_log(pod: dict, container: str, previous: bool) -> str:
    name = pod["metadata"]["name"]
    if previous:
        return f'previous terminated container "{container}" in pod "{name}" not found'
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    state = next((s.get("state") or {} for s in statuses if s.get("name") == container), {})
    reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
    return f'container "{container}" in pod "{name}" is waiting to start: {reason}'
