"""GET pods/<name>/log: a container's output, as the kubelet on its node has it.

Upstream's API server asks the pod's kubelet, which reads the container runtime's log
files. Here the kubelet's memory holds its runtime's state (ComponentState), and the
runtime renders a container's lines for a sandbox time (cluster/components/runtime):
the API server reads them there, read-only, in the kubelet's place.
"""

from __future__ import annotations

from cluster.apiserver import errors
from cluster.apiserver.registry import Registry
from cluster.apiserver.results import Outcome, object_of
from cluster.apiserver.tracing import Request, Stages
from cluster.components.runtime import ContainerRuntime
from cluster.models import ComponentState


def pod_log(
    registry: Registry,
    request: Request,
    stages: Stages,
    *,
    container: str,
    previous: bool,
    tail_lines: int | None,
    timestamps: bool,
) -> Outcome:
    kv = registry.existing(request)
    pod = object_of(kv)
    name = pod["metadata"]["name"]
    names = [c["name"] for c in pod["spec"].get("containers", [])]
    names += [c["name"] for c in pod["spec"].get("initContainers") or []]
    if not container:
        if len(pod["spec"].get("containers", [])) != 1:
            choices = " ".join(c["name"] for c in pod["spec"].get("containers", []))
            raise errors.bad_request(
                f"a container name must be specified for pod {name}, choose one of: [{choices}]"
            )
        container = names[0]
    if container not in names:
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    node = pod["spec"].get("nodeName") or ""
    kubelet = ComponentState.objects.filter(
        sandbox=registry.sandbox, name=f"kubelet/{node}"
    ).first()
    memory = ((kubelet.state if kubelet else {}).get("pods") or {}).get(pod["metadata"]["uid"])
    ids = ((memory or {}).get("containers") or {}).get(container) or {}
    container_id = ids.get("previous" if previous else "current")
    if not container_id:
        raise errors.bad_request(_no_log(pod, container, previous))
    runtime = ContainerRuntime(kubelet.state.get("runtime") or {}, node)
    lines = runtime.logs(container_id, registry.sandbox.now(), tail_lines)
    stages.passed("kubelet", f"kubelet/{node} read {len(lines)} lines of container {container}")
    text = "".join(line.formatted(timestamps=timestamps) + "\n" for line in lines)
    return Outcome(
        body={"text": text},
        code=200,
        revision=kv.mod_revision,
        narration=f"read the log of container {container} of {request.target}"
        f" ({len(lines)} lines, from kubelet/{node})",
    )


def _no_log(pod: dict, container: str, previous: bool) -> str:
    name = pod["metadata"]["name"]
    if previous:
        return f'previous terminated container "{container}" in pod "{name}" not found'
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    state = next((s.get("state") or {} for s in statuses if s.get("name") == container), {})
    reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
    return f'container "{container}" in pod "{name}" is waiting to start: {reason}'
