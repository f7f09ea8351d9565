"""Traces: each API call recorded with its stages and told in one plain sentence."""

from __future__ import annotations

from dataclasses import dataclass, field

from cluster.models import Sandbox, Trace
from cluster.resources.types import ResourceType


@dataclass
class Request:
    verb: str
    rt: ResourceType
    namespace: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def target(self) -> str:
        """'pod default/web', 'pods in default', 'nodes', 'binding of pod default/web'."""
        if not self.name:
            where = f" in {self.namespace}" if self.namespace else ""
            return f"{self.rt.name}{where}"
        ref = f"{self.namespace}/{self.name}" if self.namespace else self.name
        thing = f"{self.rt.singular} {ref}"
        return f"{self.subresource} of {thing}" if self.subresource else thing

    @property
    def key(self) -> str:
        if self.namespace and self.rt.namespaced:
            return f"/registry/{self.rt.name}/{self.namespace}/{self.name}"
        return f"/registry/{self.rt.name}/{self.name}"


@dataclass
class Stages:
    """What each stage of the request pipeline decided, in order."""

    entries: list[dict] = field(default_factory=list)

    def passed(self, stage: str, detail: str) -> None:
        self.entries.append({"stage": stage, "ok": True, "detail": detail})

    def failed(self, stage: str, detail: str) -> None:
        self.entries.append({"stage": stage, "ok": False, "detail": detail})


def record_trace(
    *,
    sandbox: Sandbox,
    actor: str,
    request: Request,
    code: int,
    reason: str,
    revision: int,
    narration: str,
    stages: Stages,
    duration_ms: float,
) -> Trace:
    return Trace.objects.create(
        sandbox=sandbox,
        revision=revision,
        actor=actor,
        verb=request.verb,
        resource=request.rt.name,
        subresource=request.subresource,
        namespace=request.namespace,
        name=request.name,
        code=code,
        reason=reason,
        duration_ms=duration_ms,
        narration=narration,
        stages=stages.entries,
        sandbox_time=sandbox.now(),
    )


def failure_narration(actor: str, request: Request, code: int, reason: str, message: str) -> str:
    return (
        f"the API server refused {actor}'s {request.verb} of {request.target}:"
        f" {code} {reason} ({message})"
    )
