"""Idle sandboxes: a sandbox nobody watches and nothing is due in stops its clock.

A classroom server holds thirty sandboxes and more, most of them closed most
of the time. Left running, each one's kubelets renew their Leases every 10 s,
the node lifecycle controller judges every node every 5 s, and so on: work
whose only witness would be a page that is not open. So a sandbox goes idle
(Sandbox.idle) when

- no page has it open (its live channel's consumers keep a presence here),
- nothing but heartbeats (Lease renewals, unchanged node status) was written
  for QUIET_SECONDS of sandbox time, and
- no component has work due within WORK_HORIZON_SECONDS of wall time: an image
  pull, a container start, a back-off, a grace period, a node whose kubelet is
  stopped and that the node lifecycle controller is about to judge.

Idle, its clock stands still (as when the student pauses it) and beat queues
none of its ticks. It wakes when a page opens it, or when an API write arrives:
at once if the write wakes a component that watches what changed (the tick
that finds it idle wakes it), else at beat's next resync (a second at most),
which wakes every idle sandbox with work marked since. Its clock runs again
from where it stood. To its components no time passed, so
a sandbox reopened after an hour finds every Lease as fresh as it left it, and
the node lifecycle controller marks no node NotReady for the hour nobody saw.
Timers further away than the horizon (a 300 s toleration, a 5-minute back-off)
wait with the clock and go on when someone comes back.

The decisions are plain functions of their inputs (unit-tested); the rest keeps
the presence and the last work in Redis and stops and starts the clock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models.fields.json import KeyTransform

from cluster.clock import clock_idle, clock_wake
from cluster.components.controllers.nodelifecycle import judgement_due_at
from cluster.coordination import redis_client
from cluster.models import ComponentState, Sandbox
from cluster.objects import parse_time

# Sandbox seconds without work before a sandbox nobody watches may go idle: three
# periods of poll mode's 5 s asks, so that a chain of polls (a Deployment, its
# ReplicaSet, its pods, their binding) is never cut between two links.
QUIET_SECONDS = 15.0
# ... and never fewer wall seconds than a wake-up tick may wait in the queue before it
# expires (cluster.tasks.TICK_EXPIRES_SECONDS): at x100, 15 sandbox seconds pass in 0.15 s.
QUIET_WALL_SECONDS = 5.0
# A component timer due within this many wall seconds is work due: the pod created just
# before the tab closed still reaches Running.
WORK_HORIZON_SECONDS = 60.0
# A page's presence lapses this long after its consumer last said it was there (a web
# process that died never says goodbye); consumers say so every PRESENCE_REFRESH_SECONDS.
PRESENCE_SECONDS = 30.0
PRESENCE_REFRESH_SECONDS = 10.0

LEASE_NAMESPACE = "kube-node-lease"
KUBELET = "kubelet/"
NODE_LIFECYCLE = "controller-manager/nodelifecycle"


# -- the decisions -----------------------------------------------------------------------


def is_heartbeat(resource: str, event: dict) -> bool:
    """A write that says only "still alive": a node's Lease renewed, or node status
    written again with nothing changed but its conditions' lastHeartbeatTime (the
    kubelet's nodeStatusReportFrequency). Heartbeats are not work: a healthy, quiet
    cluster writes them forever."""
    obj = event.get("object") or {}
    if resource == "leases":
        return (obj.get("metadata") or {}).get("namespace") == LEASE_NAMESPACE
    if resource == "nodes" and event.get("type") == "MODIFIED":
        previous = event.get("previous")
        return previous is not None and _beatless(previous) == _beatless(obj)
    return False


def _beatless(node: dict) -> dict:
    """A Node without what a heartbeat changes: its resourceVersion and lastHeartbeatTime."""
    metadata = {k: v for k, v in (node.get("metadata") or {}).items() if k != "resourceVersion"}
    status = dict(node.get("status") or {})
    status["conditions"] = [
        {k: v for k, v in condition.items() if k != "lastHeartbeatTime"}
        for condition in status.get("conditions") or []
    ]
    return {**node, "metadata": metadata, "status": status}


def is_work(resources_and_events: Iterable[tuple[str, dict]]) -> bool:
    """Whether committed changes hold anything but heartbeats."""
    return any(not is_heartbeat(resource, event) for resource, event in resources_and_events)


@dataclass(frozen=True)
class Component:
    """What the idle decision needs of one component's row."""

    name: str
    running: bool
    state: dict
    ticked: bool = True  # False: it has not run its first tick yet (a new node's kubelet)


def work_timer(component: Component, now: dt.datetime) -> dt.datetime | None:
    """When the component has work to do by itself (sandbox time), its periodic resync
    aside: at once if it has not started yet (a kubelet registers its node's Lease), else
    when its memory's wake_at says; a kubelet's wake_at holds its heartbeats as well, so
    for a kubelet its work_at, its pods' timers alone."""
    if not component.running:
        return None
    if not component.ticked:
        return now
    when = component.state.get("work_at" if component.name.startswith(KUBELET) else "wake_at")
    return parse_time(when) if when else None


def work_due_at(components: Iterable[Component], now: dt.datetime) -> dt.datetime | None:
    """The earliest moment (sandbox time) any component of a sandbox has work due."""
    components = list(components)
    moments = [when for c in components if (when := work_timer(c, now)) is not None]
    # A stopped kubelet renews no Lease: the node lifecycle controller will judge its
    # node once the grace period has passed (if the controller runs to judge it).
    lifecycle = next((c for c in components if c.name == NODE_LIFECYCLE and c.running), None)
    if lifecycle is not None:
        for component in components:
            if component.name.startswith(KUBELET) and not component.running:
                node = component.name.removeprefix(KUBELET)
                if (when := judgement_due_at(lifecycle.state, node)) is not None:
                    moments.append(when)
    return min(moments, default=None)


def goes_idle(
    *,
    viewed: bool,
    recently_worked: bool,
    work_due: dt.datetime | None,
    now: dt.datetime,
    speed: float,
) -> bool:
    """Whether a running sandbox's clock may stop: nobody looks, no work lately, and
    no component timer due within WORK_HORIZON_SECONDS of wall time."""
    if viewed or recently_worked:
        return False
    if work_due is None:
        return True
    return (work_due - now).total_seconds() / speed > WORK_HORIZON_SECONDS


def quiet_wall_seconds(speed: float) -> float:
    """How long, in wall seconds, a write keeps a sandbox from going idle."""
    return max(QUIET_SECONDS / speed, QUIET_WALL_SECONDS)


# -- presence and work, kept in Redis --------------------------------------------------------


def _key(kind: str, sandbox_id: int) -> str:
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:{kind}:{sandbox_id}"


def _redis():
    return redis_client()


def viewer_here(sandbox_id: int, viewer: str) -> None:
    """A page (one consumer) has the sandbox open: say so for PRESENCE_SECONDS."""
    viewers_here([(sandbox_id, viewer)])


def viewers_here(pages: Iterable[tuple[int, str]]) -> None:
    """viewer_here for each (sandbox id, viewer), in one round trip to Redis."""
    now = time.time()
    pipeline = _redis().pipeline(transaction=False)
    for sandbox_id, viewer in pages:
        key = _key("viewers", sandbox_id)
        pipeline.zadd(key, {viewer: now + PRESENCE_SECONDS})
        pipeline.zremrangebyscore(key, "-inf", now)  # viewers whose web process died
        pipeline.expire(key, int(PRESENCE_SECONDS) + 1)
    pipeline.execute()


def viewer_gone(sandbox_id: int, viewer: str) -> None:
    _redis().zrem(_key("viewers", sandbox_id), viewer)


# Per process: when each sandbox's work mark was last set, so a burst of writes costs one
# Redis command per sandbox every few seconds, not one per write.
_marked: dict[int, float] = {}


def mark_work(sandbox_id: int, speed: float = 1.0) -> None:
    """Work was just done in the sandbox: it stays awake for the quiet period."""
    quiet = quiet_wall_seconds(speed)
    now = time.monotonic()
    if now - _marked.get(sandbox_id, -quiet) < quiet / 4:
        return
    _marked[sandbox_id] = now
    _redis().set(_key("worked", sandbox_id), 1, px=int(quiet * 1000))


def awake_reasons(sandbox_ids: list[int]) -> dict[int, tuple[bool, bool]]:
    """sandbox id -> (viewed, recently worked), in one Redis round trip."""
    pipeline = _redis().pipeline(transaction=False)
    now = time.time()
    for sandbox_id in sandbox_ids:
        pipeline.zcount(_key("viewers", sandbox_id), now, "+inf")
        pipeline.exists(_key("worked", sandbox_id))
    answers = pipeline.execute()
    return {
        sandbox_id: (bool(answers[2 * i]), bool(answers[2 * i + 1]))
        for i, sandbox_id in enumerate(sandbox_ids)
    }


def wanted(sandbox_id: int) -> bool:
    """Whether a page has the sandbox open or work was done in it lately."""
    return any(awake_reasons([sandbox_id])[sandbox_id])


# -- going idle and waking -------------------------------------------------------------------


@dataclass
class IdlePass:
    """What one look did: the sandboxes that went idle, those woken, how many run now."""

    went_idle: list[int]
    woke: list[int]
    awake: int


def idle_or_wake() -> IdlePass:
    """Beat's resync calls this each time: stop the clock of every running sandbox that
    nobody watches and nothing is due in, and wake every idle one that a page opened or
    work arrived in since (a write that wakes no component at once: a pod created in poll
    mode, whose scheduler only asks on its period)."""

    sandboxes = dict(Sandbox.objects.filter(clock_paused=False).values_list("pk", "idle"))
    if not sandboxes:
        return IdlePass([], [], 0)
    wanted = {pk for pk, reasons in awake_reasons(list(sandboxes)).items() if any(reasons)}
    woken = [pk for pk, is_idle in sandboxes.items() if is_idle and pk in wanted and wake(pk)]
    candidates = [pk for pk, is_idle in sandboxes.items() if not is_idle and pk not in wanted]
    awake = sum(not is_idle for is_idle in sandboxes.values()) + len(woken)
    if not candidates:
        return IdlePass([], woken, awake)
    components = component_timers(candidates)
    gone_idle = []
    for sandbox in Sandbox.objects.filter(pk__in=candidates):
        now = sandbox.now()
        if not goes_idle(
            viewed=False,
            recently_worked=False,
            work_due=work_due_at(components.get(sandbox.pk, []), now),
            now=now,
            speed=sandbox.clock_speed,
        ):
            continue
        if clock_idle(sandbox):
            gone_idle.append(sandbox.pk)
    if gone_idle:
        # Looked at again after the clocks stopped: a page that connected or a write that
        # committed meanwhile found the sandbox still awake and woke nothing, so it is woken
        # here (a page first says it is there, then looks whether the sandbox is idle).
        for pk, reasons in awake_reasons(gone_idle).items():
            if any(reasons) and wake(pk):
                woken.append(pk)
                awake += 1
    return IdlePass(gone_idle, woken, awake - len(gone_idle))


def component_timers(sandbox_ids: Iterable[int]) -> dict[int, list[Component]]:
    """Each sandbox's components, with only the timers of their memory: a kubelet's holds
    its node's runtime, too big to read every pass for a sandbox that stays awake.

    Read as JSON (KeyTransform), not as text: SQLite's text of a JSON null is "null".
    """
    rows = ComponentState.objects.filter(sandbox_id__in=sandbox_ids).values_list(
        "sandbox_id",
        "name",
        "running",
        "last_tick_at",
        KeyTransform("wake_at", "state"),
        KeyTransform("work_at", "state"),
        KeyTransform("nodeHealth", "state"),
    )
    components: dict[int, list[Component]] = {}
    for sandbox_id, name, running, last_tick_at, wake_at, work_at, health in rows:
        state = {"wake_at": wake_at, "work_at": work_at}
        if health:
            state["nodeHealth"] = health
        component = Component(name, running, state, ticked=last_tick_at is not None)
        components.setdefault(sandbox_id, []).append(component)
    return components


def wake(sandbox_id: int) -> bool:
    """Let an idle sandbox run again; it then stays awake for at least the quiet period
    (so that what woke it gets its ticks). True if it was idle."""

    sandbox = Sandbox.objects.filter(pk=sandbox_id).first()
    if sandbox is None or not sandbox.idle:
        return False
    return wake_sandbox(sandbox)


def wake_sandbox(sandbox) -> bool:
    """wake() for a Sandbox already read (the tick that found it idle); updates it."""

    woke = clock_wake(sandbox)
    if woke:
        _marked.pop(sandbox.pk, None)
        mark_work(sandbox.pk, sandbox.clock_speed)
    return woke
