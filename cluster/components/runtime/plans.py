"""A container's run plan: decided once at creation, replayed against the clock.

The plan says what the container will do after it starts (log lines and
when, when it exits and how, when it is ready, how it takes SIGTERM), from
the image's behaviour, the container's command/args, its env and its memory
limit. Keeping the plan in the node's state is what makes the runtime
deterministic: any status at any time is a function of the plan, the start
time and the faults injected since.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.components.runtime.commands import interpret
from cluster.components.runtime.image_spec import Behaviour, ImageSpec, SigtermResponse
from cluster.quantity import InvalidQuantity, memory_bytes

COMPLETED = "Completed"
ERROR = "Error"
OOM_KILLED = "OOMKilled"
OOM_EXIT_CODE = 137  # 128 + SIGKILL, which is how the kernel's OOM killer ends a process


@dataclass(frozen=True)
class RunPlan:
    exit_after: float | None  # seconds after start; None: runs until stopped
    exit_code: int = 0
    exit_reason: str = COMPLETED
    ready_after: float = 0.0
    logs: tuple[tuple[float, str], ...] = ()
    loop_logs: tuple[tuple[float, str], ...] = ()
    loop_start: float = 0.0
    loop_period: float = 0.0
    sigterm: SigtermResponse = SigtermResponse.DIES
    shutdown_logs: tuple[str, ...] = ()

    def to_state(self) -> dict:
        return {
            "exitAfter": self.exit_after,
            "exitCode": self.exit_code,
            "exitReason": self.exit_reason,
            "readyAfter": self.ready_after,
            "logs": [[offset, text] for offset, text in self.logs],
            "loopLogs": [[offset, text] for offset, text in self.loop_logs],
            "loopStart": self.loop_start,
            "loopPeriod": self.loop_period,
            "sigterm": str(self.sigterm),
            "shutdownLogs": list(self.shutdown_logs),
        }

    @classmethod
    def from_state(cls, data: dict) -> RunPlan:
        return cls(
            exit_after=data["exitAfter"],
            exit_code=data["exitCode"],
            exit_reason=data["exitReason"],
            ready_after=data["readyAfter"],
            logs=tuple((offset, text) for offset, text in data["logs"]),
            loop_logs=tuple((offset, text) for offset, text in data["loopLogs"]),
            loop_start=data["loopStart"],
            loop_period=data["loopPeriod"],
            sigterm=SigtermResponse(data["sigterm"]),
            shutdown_logs=tuple(data["shutdownLogs"]),
        )


def exit_reason(exit_code: int) -> str:
    return COMPLETED if exit_code == 0 else ERROR


def plan_for(spec: ImageSpec, container: dict) -> RunPlan:
    """What a pod spec container running this image will do."""
    argv = [*(container.get("command") or []), *(container.get("args") or [])]
    script = interpret(argv) if spec.has_shell else None
    if script is not None:
        # The script's shell or sleep is PID 1, which has no SIGTERM handler.
        return RunPlan(
            exit_after=script.exit_after,
            exit_code=script.exit_code,
            exit_reason=exit_reason(script.exit_code),
            logs=script.logs,
            loop_logs=script.loop_logs,
            loop_start=script.loop_start,
            loop_period=script.loop_period,
            sigterm=SigtermResponse.IGNORED,
        )
    if spec.requires_env_one_of and not _sets_any(container, spec.requires_env_one_of):
        return RunPlan(
            exit_after=0,
            exit_code=1,
            exit_reason=ERROR,
            logs=tuple((0, line) for line in spec.missing_env_logs),
            sigterm=spec.sigterm,
        )
    return _plan_for_behaviour(spec, _memory_limit(container))


def _plan_for_behaviour(spec: ImageSpec, memory_limit: int | None) -> RunPlan:
    common = {"logs": spec.logs, "sigterm": spec.sigterm, "shutdown_logs": spec.shutdown_logs}
    if spec.behaviour in (Behaviour.EXITS, Behaviour.CRASHES):
        return RunPlan(
            exit_after=spec.run_seconds,
            exit_code=spec.exit_code,
            exit_reason=exit_reason(spec.exit_code),
            **common,
        )
    if spec.behaviour == Behaviour.SLOW_START:
        return RunPlan(exit_after=None, ready_after=spec.run_seconds, **common)
    hog_over_limit = memory_limit is not None and memory_limit < spec.memory_bytes
    if spec.behaviour == Behaviour.MEMORY_HOG and hog_over_limit:
        # The hog allocates evenly over run_seconds; the kernel kills it the
        # moment it crosses its cgroup's limit, so a smaller limit dies sooner.
        killed_at = spec.run_seconds * memory_limit / spec.memory_bytes
        return RunPlan(
            exit_after=killed_at,
            exit_code=OOM_EXIT_CODE,
            exit_reason=OOM_KILLED,
            logs=tuple(line for line in spec.logs if line[0] < killed_at),
            sigterm=spec.sigterm,
        )
    return RunPlan(exit_after=None, **common)


def _memory_limit(container: dict) -> int | None:
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    if limit is None:
        return None
    try:
        return memory_bytes(limit)
    except InvalidQuantity:
        return None


def _sets_any(container: dict, names: tuple[str, ...]) -> bool:
    if container.get("envFrom"):
        # Variables from a ConfigMap or Secret: give the benefit of the doubt.
        return True
    return any(
        entry.get("name") in names and (entry.get("value") or entry.get("valueFrom"))
        for entry in container.get("env") or []
    )
