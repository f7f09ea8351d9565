"""One container's timeline: when it exits, whether it is ready, what it has logged.

Everything here is computed from the container record (its run plan, start
time and any pending kill) and a moment in time, so the answer is the same
whether the kubelet looks every second or once a minute: a container that
exits at start + 10 s reports finishedAt = start + 10 s either way.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from cluster.components.runtime.image_spec import SigtermResponse
from cluster.components.runtime.plans import COMPLETED, ERROR, RunPlan
from cluster.components.runtime.records import ContainerRecord, from_iso, maybe_from_iso, to_iso
from cluster.components.runtime.statuses import ContainerState, ContainerStatus, LogLine

SIGKILL_EXIT_CODE = 137  # 128 + 9
SIGTERM_EXIT_CODE = 143  # 128 + 15
# The kubelet rotates container logs; the simulation keeps the newest lines.
MAX_LOG_LINES = 10_000


@dataclass(frozen=True)
class Exit:
    at: dt.datetime
    exit_code: int
    reason: str


def plan_of(record: ContainerRecord) -> RunPlan:
    return RunPlan.from_state(record["plan"])


def scheduled_exit(record: ContainerRecord) -> Exit | None:
    """When a running container will exit on its own or by a pending SIGKILL."""
    if record["state"] != ContainerState.RUNNING or record["startedAt"] is None:
        return None
    plan = plan_of(record)
    exits = []
    if plan.exit_after is not None:
        at = from_iso(record["startedAt"]) + dt.timedelta(seconds=plan.exit_after)
        exits.append(Exit(at, plan.exit_code, plan.exit_reason))
    if record["killAt"] is not None:
        exits.append(Exit(from_iso(record["killAt"]), SIGKILL_EXIT_CODE, ERROR))
    # On a tie the process's own exit wins: it was done before the kill landed.
    return min(exits, key=lambda exit_: exit_.at, default=None)


def ready_at(record: ContainerRecord) -> dt.datetime | None:
    if record["startedAt"] is None:
        return None
    seconds = plan_of(record).ready_after
    return from_iso(record["startedAt"]) + dt.timedelta(seconds=seconds)


def mark_exited(record: ContainerRecord, exit_: Exit, message: str = "") -> None:
    record["state"] = ContainerState.EXITED.value
    record["finishedAt"] = to_iso(exit_.at)
    record["exitCode"] = exit_.exit_code
    record["reason"] = exit_.reason
    record["message"] = message
    record["killAt"] = None


def request_stop(record: ContainerRecord, timeout_seconds: float, now: dt.datetime) -> None:
    """Send SIGTERM; the image decides whether it exits now or waits for SIGKILL."""
    if record["state"] != ContainerState.RUNNING:
        return
    plan = plan_of(record)
    if plan.sigterm == SigtermResponse.GRACEFUL:
        record["eventLogs"] += [[to_iso(now), line] for line in plan.shutdown_logs]
        mark_exited(record, Exit(now, 0, COMPLETED))
    elif plan.sigterm == SigtermResponse.DIES:
        mark_exited(record, Exit(now, SIGTERM_EXIT_CODE, ERROR))
    else:
        kill_at = now + dt.timedelta(seconds=max(0.0, timeout_seconds))
        # A second stop can bring the kill forward, never push it back.
        if record["killAt"] is None or kill_at < from_iso(record["killAt"]):
            record["killAt"] = to_iso(kill_at)


def status_of(record: ContainerRecord, now: dt.datetime) -> ContainerStatus:
    state = ContainerState(record["state"])
    ready_time = ready_at(record)
    return ContainerStatus(
        id=record["id"],
        sandbox_id=record["sandboxId"],
        name=record["name"],
        attempt=record["attempt"],
        image=record["image"],
        image_id=record["imageId"],
        state=state,
        created_at=from_iso(record["createdAt"]),
        started_at=maybe_from_iso(record["startedAt"]),
        finished_at=maybe_from_iso(record["finishedAt"]),
        exit_code=record["exitCode"],
        reason=record["reason"],
        message=record["message"],
        ready=state == ContainerState.RUNNING and ready_time is not None and ready_time <= now,
        stopping=state == ContainerState.RUNNING and record["killAt"] is not None,
    )


def log_lines(record: ContainerRecord, now: dt.datetime, pod_ip: str) -> list[LogLine]:
    """Everything the container has written by `now`, oldest first."""
    if record["startedAt"] is None:
        return []
    started = from_iso(record["startedAt"])
    finished = maybe_from_iso(record["finishedAt"])
    end = min(now, finished) if finished else now
    plan = plan_of(record)
    timed = [(started + dt.timedelta(seconds=offset), text) for offset, text in plan.logs]
    timed += _loop_lines(plan, started, end)
    timed += [(from_iso(at), text) for at, text in record["eventLogs"]]
    written = sorted((line for line in timed if line[0] <= end), key=lambda line: line[0])
    return [
        LogLine(time=at, text=text.format(time=at, ip=pod_ip))
        for at, text in written[-MAX_LOG_LINES:]
    ]


def _loop_lines(plan: RunPlan, started: dt.datetime, end: dt.datetime) -> list:
    if not plan.loop_logs or plan.loop_period <= 0:
        return []
    loop_started = started + dt.timedelta(seconds=plan.loop_start)
    if end < loop_started:
        return []
    rounds = math.floor((end - loop_started).total_seconds() / plan.loop_period) + 1
    # Only the rounds that can still be among the newest MAX_LOG_LINES lines.
    first_round = max(0, rounds - math.ceil(MAX_LOG_LINES / len(plan.loop_logs)))
    return [
        (loop_started + dt.timedelta(seconds=round_ * plan.loop_period + offset), text)
        for round_ in range(first_round, rounds)
        for offset, text in plan.loop_logs
    ]
