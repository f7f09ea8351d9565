"""Whether a lesson's condition holds: on objects, Events, or the calls the API server
answered. Pure: the cluster is seen through a ClusterView, which the runner backs with
API server reads and the tests with plain lists.

A condition also says what it sees when it does not hold ("web is Pending"), which the
student's page shows under a step that waits, and `lesson run` prints on a timeout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

DEFAULT_NAMESPACE = "default"
_FIELD_PART = re.compile(r"([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?")


@dataclass(frozen=True)
class CallSeen:
    """One call the API server answered, as its trace records it."""

    id: int
    actor: str
    verb: str
    resource: str
    subresource: str
    namespace: str
    name: str
    code: int
    user_agent: str = ""  # the client that sent it: "kubectl/v1.32.4 ...", the box's


class ClusterView(Protocol):
    def get(self, resource: str, name: str, namespace: str) -> dict | None: ...

    def list(self, resource: str, namespace: str, labels: Mapping[str, str]) -> list[dict]: ...

    def calls_since(self, after_id: int) -> list[CallSeen]: ...


@dataclass(frozen=True)
class Verdict:
    met: bool
    seen: str  # what the condition sees, in a few words


def evaluate(condition: Mapping, view: ClusterView, *, since_call: int = 0) -> Verdict:
    """Whether the condition holds now. since_call: only calls after this trace id count
    (those made since the step began)."""
    [(kind, body)] = condition.items()
    if kind == "all":
        for each in body:
            verdict = evaluate(each, view, since_call=since_call)
            if not verdict.met:
                return verdict
        return Verdict(True, "all hold")
    if kind == "object":
        return _object(body, view)
    if kind == "objects":
        return _objects(body, view)
    if kind == "event":
        return _event(body, view)
    if kind == "trace":
        call = next((c for c in view.calls_since(since_call) if call_matches(c, body)), None)
        return Verdict(call is not None, describe_call(body) + (" seen" if call else " not yet"))
    raise ValueError(f"unknown condition {kind!r}")


def _object(body: Mapping, view: ClusterView) -> Verdict:
    name = body["name"]
    obj = view.get(body["resource"], name, body.get("namespace", DEFAULT_NAMESPACE))
    if body.get("absent"):
        return Verdict(obj is None, f"{name} is gone" if obj is None else f"{name} still exists")
    if obj is None:
        return Verdict(False, f"no {_singular(body['resource'])} {name}")
    mismatch = state_mismatch(obj, body)
    return Verdict(mismatch is None, mismatch or f"{name} is as expected")


def _objects(body: Mapping, view: ClusterView) -> Verdict:
    found = [
        obj
        for obj in view.list(
            body["resource"], body.get("namespace", DEFAULT_NAMESPACE), body.get("labels") or {}
        )
        # Being deleted is as good as gone: a replacement is what a count waits for.
        if not obj.get("metadata", {}).get("deletionTimestamp")
    ]
    matching = [obj for obj in found if state_mismatch(obj, body) is None]
    count = body["count"]
    low, high = (
        (count, count) if isinstance(count, int) else (count.get("min", 0), count.get("max"))
    )
    met = len(matching) >= low and (high is None or len(matching) <= high)
    what = body["resource"] if len(matching) != 1 else _singular(body["resource"])
    state = f" {body['phase']}" if "phase" in body else ""
    return Verdict(met, f"{len(matching)} {what}{state} of {len(found)}")


def _event(body: Mapping, view: ClusterView) -> Verdict:
    for event in view.list("events", body.get("namespace", DEFAULT_NAMESPACE), {}):
        involved = event.get("involvedObject") or {}
        if (
            event.get("reason") == body["reason"]
            and body.get("kind", involved.get("kind")) == involved.get("kind")
            and body.get("name", involved.get("name")) == involved.get("name")
            and body.get("message", "") in (event.get("message") or "")
        ):
            return Verdict(True, f"{body['reason']} event seen")
    return Verdict(False, f"no {body['reason']} event yet")


def state_mismatch(obj: Mapping, want: Mapping) -> str | None:
    """What differs between the object and a condition's phase, condition and fields;
    None when nothing does."""
    name = obj.get("metadata", {}).get("name", "")
    status = obj.get("status") or {}
    if "phase" in want and status.get("phase") != want["phase"]:
        return f"{name} is {status.get('phase') or 'without a phase'}, not {want['phase']}"
    if "condition" in want:
        wanted = want["condition"]
        have = next(
            (c for c in status.get("conditions") or [] if c.get("type") == wanted["type"]), None
        )
        if have is None:
            return f"{name} has no {wanted['type']} condition"
        for key in ("status", "reason"):
            if key in wanted and have.get(key) != wanted[key]:
                return f"{name}'s {wanted['type']} is {have.get(key)}, not {wanted[key]}"
    for path, value in (want.get("fields") or {}).items():
        have = field_value(obj, path)
        if have != value:
            return f"{name}'s {path} is {_shown(have)}, not {_shown(value)}"
    return None


def field_value(obj: object, path: str) -> object:
    """The value at a field path (spec.containers[0].image); None where it leads nowhere."""
    value = obj
    for part in path.split("."):
        match = _FIELD_PART.fullmatch(part)
        if match is None or not isinstance(value, Mapping):
            return None
        value = value.get(match[1])
        if match[2] is not None:
            index = int(match[2])
            if not isinstance(value, list) or index >= len(value):
                return None
            value = value[index]
    return value


def call_matches(call: CallSeen, want: Mapping) -> bool:
    """Whether a call is the one described (a do step's expect, a trace condition)."""
    return (
        all(
            getattr(call, key) == want[key]
            for key in ("actor", "verb", "resource", "code")
            if key in want
        )
        and call.subresource == want.get("subresource", call.subresource)
        and call.name == want.get("name", call.name)
        and call.namespace == want.get("namespace", call.namespace)
    )


def describe_call(want: Mapping) -> str:
    """What a step waits for, in words: "scheduler's list of pods", "a create of pods/web"."""
    what = "/".join(want[key] for key in ("resource", "name", "subresource") if key in want)
    verb = want.get("verb", "call")
    words = f"{verb} of {what}" if what else verb
    return f"{want['actor']}'s {words}" if "actor" in want else f"a {words}"


def _singular(resource: str) -> str:
    return resource[:-1] if resource.endswith("s") else resource


def _shown(value: object) -> str:
    return "unset" if value is None else repr(value) if isinstance(value, str) else str(value)
