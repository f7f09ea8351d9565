"""Which container of a pod an event is about, as upstream's kubelet names it.

The kubelet files a container's events (Pulling, Created, Started, Killing, BackOff...)
about the pod, with the container as the reference's fieldPath
("spec.containers{web}", "spec.initContainers{setup}": upstream's GenerateContainerRef),
which `kubectl get events -o wide` shows as SUBOBJECT.
"""

from __future__ import annotations


def container_field_path(pod: dict, name: str) -> str:
    spec = pod.get("spec") or {}
    for field in ("initContainers", "containers"):
        if any(container.get("name") == name for container in spec.get(field) or []):
            return f"spec.{field}{{{name}}}"
    return ""
