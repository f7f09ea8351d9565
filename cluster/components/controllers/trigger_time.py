"""When the change an Endpoints write shows happened: upstream's TriggerTimeTracker
(pkg/controller/util/endpoint), for the annotation
endpoints.kubernetes.io/last-change-trigger-time that `kubectl describe endpoints` shows.

A pod's trigger time is when its Ready condition last changed, a Service's when it was
created. A sync's trigger time is the earliest of those that changed since the Service's
last sync (a Service seen for the first time: its creation), or none when nothing did,
and then the annotation goes.
"""

from __future__ import annotations

from cluster.objects import parse_time

LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"


def last_change_trigger_time(memory: dict, service: dict, pods: list[dict]) -> str:
    """The trigger time of this sync of the Service whose selected pods are `pods` ("" for
    none). memory: the tracker's state between syncs, JSON, by Service."""
    meta = service["metadata"]
    key = f"{meta.get('namespace', '')}/{meta['name']}"
    state = memory.get(key)
    before = (state or {}).get("pods") or {}
    changed: list[str] = []
    now_known: dict[str, str] = {}
    for pod in pods:
        triggered = _ready_transition(pod)
        if not triggered:
            continue
        name = pod["metadata"]["name"]
        now_known[name] = triggered
        if _later(triggered, before.get(name, "")):
            changed.append(triggered)
    created = meta.get("creationTimestamp") or ""
    if _later(created, (state or {}).get("service", "")):
        changed.append(created)
    memory[key] = {"service": created, "pods": now_known}
    if state is None:
        return created  # a new Service: its creation
    return min(changed, key=parse_time, default="")


def forget_gone(memory: dict, service_keys: set[str]) -> None:
    """Drop the state of Services that are gone."""
    for key in set(memory) - service_keys:
        del memory[key]


def _later(time: str, than: str) -> bool:
    """Whether a time is set and after another, which may be unset."""
    return bool(time) and (not than or parse_time(time) > parse_time(than))


def _ready_transition(pod: dict) -> str:
    conditions = (pod.get("status") or {}).get("conditions") or []
    ready = next((c for c in conditions if c.get("type") == "Ready"), {})
    return ready.get("lastTransitionTime") or ""
