"""Running components: one tick = load a component's memory, reconcile, save.

This is the task layer's logic (Celery tasks in cluster/tasks.py are a few
lines around it). It decides when each component of each sandbox is due, in
sandbox time, keeps one tick of one component from running twice at once,
and wakes watchers after a store write commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone

from cluster import idle, informer_facts
from cluster.apiserver import ApiServer
from cluster.apiserver.publish import publish_note
from cluster.apiserver.tracing import trim_traces
from cluster.clock import clock_advance
from cluster.components.controllers.controller import KNOW_NOTHING, ClusterFacts, WakeFilter
from cluster.components.scheduler.cluster_events import node_aspects
from cluster.coordination import component_key, component_lock, redis_client
from cluster.models import ComponentState, Sandbox, SchedulingRecord, Trace
from cluster.objects import parse_time
from cluster.resources import resource_of_key

logger = logging.getLogger(__name__)

# A wake-up that found the component busy is kept (the "dirty" flag) until a tick ran
# for it: long enough for any tick, as it only costs one spare tick if kept too long.
DIRTY_SECONDS = 60
# In watch mode a component runs when woken, and at least this often if it says no
# period of its own: a wake-up lost all the same (Redis down as the change committed,
# and the process that kept it gone too) is made good by design, and the scheduler never
# waits for a kubelet's node-status write to catch up. Wall seconds, not sandbox ones:
# wake-ups are lost to outages, which a sped-up clock does not make more frequent (at
# x100, 60 sandbox seconds would be a tick of every controller every 0.6 s).
WATCH_RESYNC_WALL_SECONDS = 60.0
MAX_RERUNS = 10  # reruns for notifications that came in during a tick, then the next one


@dataclass(frozen=True)
class ComponentKind:
    """How one kind of component runs: its reconcile and how often it resyncs."""

    name: str
    reconcile: Callable[[ApiServer, Sandbox, ComponentState], None]
    poll_seconds: float | None  # resync period in poll mode (sandbox seconds)
    watch_seconds: float | None  # resync period in watch mode; None: WATCH_RESYNC_WALL_SECONDS
    # Wall seconds a watch wake-up waits, so that one pass sees a burst of changes and
    # the pod-startup path (scheduler, kubelet) keeps the workers first.
    wake_delay: float = 0.0
    # On the path from a create to a Running pod (the scheduler, the kubelet): its ticks
    # go ahead of the others in the queue. On a cluster each component is a process of its
    # own; here they share the workers, and a pod's start must not wait behind the passes
    # of controllers that have nothing to do with it.
    startup_path: bool = False


KINDS: dict[str, ComponentKind] = {}


def register(kind: ComponentKind) -> None:
    KINDS[kind.name] = kind


def kind_of(component: str) -> ComponentKind:
    """'kubelet/node-1' -> the kubelet kind; 'controller-manager/replicaset' has its own."""
    return KINDS.get(component) or KINDS[component.partition("/")[0]]


def on_startup_path(component: str) -> bool:
    """Whether a component's ticks go ahead in the queue (ComponentKind.startup_path)."""
    try:
        return kind_of(component).startup_path
    except KeyError:  # "kube-proxy/*", the fan-out to every node's kube-proxy
        return False


# -- ticks ---------------------------------------------------------------------


@dataclass(frozen=True)
class TickRun:
    """What run_tick did: whether a tick ran, and in how many wall seconds the component
    is due again (None: when woken, or at its next resync), and whether that tick is work
    on the pod-startup path (Due.first)."""

    ran: bool
    due_again_in: float | None = None
    first: bool = False


def run_tick(sandbox_id: int, component: str, *, force: bool = False, due: bool = False) -> TickRun:
    """Run one tick unless the clock is paused (force: a step).

    due: the tick was queued ahead of its due time (mark_due), not as a wake-up.
    A tick that finds the lock taken marks the component dirty instead, and the
    holder runs once more when done, so a watch notification is never lost.
    """
    client = redis_client()
    dirty_key = component_key("dirty", sandbox_id, component)
    client.delete(component_key("due" if due else "queued", sandbox_id, component))
    with component_lock(sandbox_id, component) as lock:
        if lock is None:
            # Kept twice: for the holder, which runs once more when done, and in the
            # woken set, for beat, should the holder die (or be past its last look).
            client.pipeline().set(dirty_key, 1, ex=DIRTY_SECONDS).sadd(
                _woken_key(), _member(sandbox_id, component)
            ).execute()
            return TickRun(False)
        ran, run = False, TickRun(False)
        for _ in range(MAX_RERUNS):
            client.delete(dirty_key)
            run = _tick_once(sandbox_id, component, force=force)
            ran = run.ran or ran
            if not client.get(dirty_key):
                break
        # Served: a tick ran after every wake-up so far. Unless one came during the last
        # rerun (the reruns ran out under a stream of wake-ups) or since it ended: that one
        # stays kept, for beat's next resync to queue its tick (woken_unserved). Removed
        # first, then looked at: a wake-up after the look adds itself again.
        member = _member(sandbox_id, component)
        client.srem(_woken_key(), member)
        if client.get(dirty_key):
            client.sadd(_woken_key(), member)
    return TickRun(ran, run.due_again_in, run.first)


def _woken_key() -> str:
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:woken"


def _member(sandbox_id: int, component: str) -> str:
    return f"{sandbox_id}|{component}"


def mark_woken(sandbox_id: int, component: str) -> None:
    """Keep a wake-up until a tick of the component has run after it (run_tick). A tick
    task lives in the worker that took it and dies with it, as does a tick killed
    mid-run and the reruns it owed: beat finds what they left here (woken_unserved)."""
    redis_client().sadd(_woken_key(), _member(sandbox_id, component))


def is_woken(sandbox_id: int, component: str) -> bool:
    """Whether a wake-up of the component waits for a tick (mark_woken)."""
    return bool(redis_client().sismember(_woken_key(), _member(sandbox_id, component)))


def woken_unserved() -> list[tuple[int, str]]:
    """The wake-ups no tick has served yet, of components no tick holds now: their tick
    was lost with a worker, or came just as the last one finished."""
    client = redis_client()
    members = [m.decode() for m in client.smembers(_woken_key())]
    if not members:
        return []
    woken = [(int(sid), component) for sid, _, component in (m.partition("|") for m in members)]
    pipeline = client.pipeline(transaction=False)
    for sandbox_id, component in woken:
        pipeline.exists(component_key("lock", sandbox_id, component))
    return [entry for entry, held in zip(woken, pipeline.execute(), strict=True) if not held]


def redis_remembers() -> bool:
    """False after Redis lost its memory (a restart: it keeps none), until redis_remember:
    every queued tick, lock and kept wake-up went with it."""
    return bool(redis_client().exists(_memory_key()))


def redis_remember() -> None:
    redis_client().set(_memory_key(), 1)


def _memory_key() -> str:
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:remembers"


def running_components() -> list[tuple[int, str]]:
    """Every running component of every sandbox whose clock runs."""
    rows = ComponentState.objects.filter(running=True, sandbox__clock_paused=False)
    return list(rows.values_list("sandbox_id", "name"))


def mark_queued(sandbox_id: int, component: str, seconds: float) -> bool:
    """True if no tick of this component is already waiting in the queue (and now one is).

    Beat finds a busy sandbox's components due every second; without this, a lagging
    worker would find hundreds of copies of the same tick in its queue.
    """
    key = component_key("queued", sandbox_id, component)
    return bool(redis_client().set(key, 1, nx=True, ex=max(int(seconds), 1)))


def mark_due(sandbox_id: int, component: str, seconds: float) -> bool:
    """True if no tick of this component is already queued for its coming due time (and
    now one is). Kept apart from mark_queued, so that a wake-up is never held back
    behind a tick that waits for its time."""
    key = component_key("due", sandbox_id, component)
    return bool(redis_client().set(key, 1, nx=True, ex=max(int(seconds + 1), 1)))


def _tick_once(sandbox_id: int, component: str, *, force: bool) -> TickRun:
    """Run one tick: whether it ran, and the wall seconds until this component is due again
    (None when it is not due by itself or the clock is paused)."""
    sandbox = Sandbox.objects.select_related("classroom").filter(pk=sandbox_id).first()
    if sandbox is None or (sandbox.clock_paused and not force):
        return TickRun(False)
    if sandbox.idle:
        # A wake-up for work (a write's watchers, a fault, a start) or with a page open
        # wakes the sandbox; a periodic tick queued before it went idle finds neither and
        # leaves it resting. The wake-up is told by its own mark, kept until a tick serves
        # it: the work mark lapses after the quiet period, and a tick that waited longer
        # in a busy queue would otherwise drop the work it was queued for.
        if not (idle.wanted(sandbox.pk) or is_woken(sandbox.pk, component)):
            return TickRun(False)
        idle.wake_sandbox(sandbox)
    row = ComponentState.objects.filter(sandbox=sandbox, name=component).first()
    if row is None or not row.running:
        return TickRun(False)
    kind = kind_of(component)
    error: Exception | None = None
    try:
        kind.reconcile(ApiServer.as_component(sandbox, component), sandbox, row)
    except Exception as raised:
        # A crashing component must never pass unseen (the page would show it running
        # while it does nothing): its row says so until a tick succeeds again.
        logger.exception("tick of %s in sandbox %s failed", component, sandbox_id)
        error = raised
    # Whatever the tick managed to do is in the store already; its memory must follow,
    # or the next tick would redo finished work.
    row.last_tick_at = sandbox.now()
    row.updated_at = timezone.now()
    health_changed = row.record_tick(error, sandbox.now())
    row.save(
        update_fields=[
            "state",
            "last_tick_at",
            "updated_at",
            "failure",
            "failing_since",
            "failed_ticks",
        ]
    )
    if health_changed:
        publish_note(sandbox, row.as_message())
    due = None if sandbox.clock_paused else next_due(sandbox, row)
    if due is None:
        return TickRun(True)
    wall = max((due.at - sandbox.now()).total_seconds() / sandbox.clock_speed, 0.0)
    return TickRun(True, wall, due.first)


@dataclass(frozen=True)
class Due:
    """When a component next needs a tick, in sandbox time, and whether that tick goes
    ahead of others in the queue: a startup-path component's poll, or a timer it set for
    its pods (a pull done, a back-off over); not a watch-mode resync or a heartbeat (a
    Lease renewed), which are housekeeping and wait their turn."""

    at: dt.datetime
    first: bool


def next_due(sandbox: Sandbox, row: ComponentState) -> Due | None:
    """The component's next tick (None: only when woken)."""
    kind = kind_of(row.name)
    if row.last_tick_at is None:
        return Due(sandbox.now(), kind.startup_path)
    watching = sandbox.mode == Sandbox.Mode.WATCH
    if watching:
        period = kind.watch_seconds or WATCH_RESYNC_WALL_SECONDS * sandbox.clock_speed
    else:
        period = poll_seconds(sandbox, row.name)
    candidates = [] if period is None else [row.last_tick_at + dt.timedelta(seconds=period)]
    if wake_at := row.state.get("wake_at"):
        candidates.append(parse_time(wake_at))
    if not candidates:
        return None
    at = min(candidates)
    if not kind.startup_path:
        return Due(at, False)
    # The component's timers: "wake_at" includes a kubelet's heartbeats, "work_at" is its
    # pods' alone (cluster/components/kubelet); the scheduler's are its pods' back-offs.
    work_at = row.state["work_at"] if "work_at" in row.state else row.state.get("wake_at")
    return Due(at, not watching or (bool(work_at) and parse_time(work_at) <= at))


def poll_seconds(sandbox: Sandbox, component: str) -> float | None:
    """How often the component looks in poll mode, in sandbox seconds: the sandbox's own
    interval for it (a lesson's cluster.intervals), by its name ("kubelet/node-1"),
    then its kind's ("kubelet", "controller-manager"); else its kind's upstream period."""
    intervals = sandbox.intervals or {}
    for name in (component, component.partition("/")[0]):
        if name in intervals:
            return float(intervals[name])
    return kind_of(component).poll_seconds


def next_tick_at(sandbox: Sandbox, row: ComponentState) -> dt.datetime | None:
    """When this component next needs a tick, in sandbox time (None: only when woken)."""
    due = next_due(sandbox, row)
    return None if due is None else due.at


class DueTick(NamedTuple):
    sandbox_id: int
    component: str
    delay: float  # wall seconds until it is due
    first: bool  # Due.first


def due_components(within: float = 0) -> list[DueTick]:
    """The components whose next tick time has come, or comes in the next `within` wall
    seconds.

    Beat looks once a second; a tick due between two looks is queued with its delay,
    so that the scheduler of a poll-mode sandbox asks every 5 sandbox seconds, not
    every 6 (or every 10 at x10 speed).
    """
    due = []
    rows = ComponentState.objects.filter(
        running=True, sandbox__clock_paused=False, sandbox__idle=False
    )
    for row in rows.select_related("sandbox"):
        next_tick = next_due(row.sandbox, row)
        if next_tick is None:
            continue
        delay = (next_tick.at - row.sandbox.now()).total_seconds() / row.sandbox.clock_speed
        if delay <= within:
            due.append(DueTick(row.sandbox_id, row.name, max(delay, 0.0), next_tick.first))
    return due


# -- watch notifications -------------------------------------------------------


# resource -> the components with an informer on it, each with the filter of the changes
# that wake it (None: all): woken by its changes in watch mode.
_watching: dict[str, list[tuple[str, WakeFilter | None]]] = {}


# resource -> name prefixes ("kube-proxy/"): every component of the sandbox named so is woken.
_watching_every: dict[str, set[str]] = {}


def watch(
    component: str,
    resources: Iterable[str],
    wakes_on: WakeFilter | None = None,
) -> None:
    for resource in resources:
        _watching.setdefault(resource, []).append((component, wakes_on))


def watch_every(prefix: str, resources: Iterable[str]) -> None:
    """Per-node components (kube-proxy/<node>) watch as one: their rows are per sandbox."""
    for resource in resources:
        _watching_every.setdefault(resource, set()).add(prefix)


def watchers_of(
    sandbox: Sandbox, actor: str, events: list[dict], facts: ClusterFacts | None = None
) -> set[str]:
    """The components to wake for these committed changes (never the one that made them).
    facts: what the filters may know of the sandbox (informer_facts; default: nothing)."""
    facts = facts or KNOW_NOTHING
    woken: set[str] = set()
    prefixes: set[str] = set()
    for event in events:
        obj = event.get("object") or {}
        rt = resource_of_key(event["key"])
        resource = rt.name if rt else ""
        if sandbox.mode == Sandbox.Mode.WATCH:
            for component, wakes_on in _watching.get(resource, ()):
                if component not in woken and (
                    wakes_on is None or wakes_on(resource, event, facts)
                ):
                    woken.add(component)
            prefixes |= _watching_every.get(resource, set())
        if resource == "pods":
            node = obj.get("spec", {}).get("nodeName")
            if node:
                woken.add(f"kubelet/{node}")
                if sandbox.mode == Sandbox.Mode.WATCH and _frees_room(event):
                    # Upstream's AssignedPodDelete: a pod waiting in the scheduler's
                    # unschedulable pool may fit now.
                    woken.add("scheduler")
            elif sandbox.mode == Sandbox.Mode.WATCH:
                woken.add("scheduler")
        elif (
            resource == "nodes"
            and sandbox.mode == Sandbox.Mode.WATCH
            and _changes_scheduling(event)
        ):
            woken.add("scheduler")
    # No database here (this runs in the publisher thread): the tick task finds the rows.
    woken.update(f"{prefix}{EVERY}" for prefix in prefixes)
    woken.discard(actor)
    return woken


EVERY = "*"  # "kube-proxy/*": every component of the sandbox whose name starts so


def components_named(sandbox_id: int, pattern: str) -> list[str]:
    """The components a wake-up names: one, or all of a kind for "kube-proxy/*"."""
    if not pattern.endswith(EVERY):
        return [pattern]
    rows = ComponentState.objects.filter(
        sandbox_id=sandbox_id, name__startswith=pattern.removesuffix(EVERY)
    )
    return list(rows.values_list("name", flat=True))


def _changes_scheduling(event: dict) -> bool:
    """A node added or gone, or changed in what the scheduler reads from it (upstream's
    nodeSchedulingPropertiesChange): its images or conditions alone move no pod."""
    if event.get("type") != "MODIFIED" or not event.get("previous"):
        return True
    return node_aspects(event.get("object") or {}) != node_aspects(event["previous"])


def _frees_room(event: dict) -> bool:
    """A bound pod deleted, or just finished: its node has room again."""
    if event.get("type") == "DELETED":
        return True
    phase = ((event.get("object") or {}).get("status") or {}).get("phase")
    before = ((event.get("previous") or {}).get("status") or {}).get("phase")
    return phase in ("Succeeded", "Failed") and before not in ("Succeeded", "Failed")


# -- a step of a paused sandbox ------------------------------------------------------


def step(sandbox: Sandbox, component: str | None = None, *, seconds: float = 1.0) -> list[str]:
    """Advance a paused sandbox's clock by `seconds`, then run exactly one tick of
    `component`, or one tick of each component. Returns the components that ticked."""
    clock_advance(sandbox, seconds)
    names = (
        [component]
        if component
        else list(
            ComponentState.objects.filter(sandbox=sandbox, running=True).values_list(
                "name", flat=True
            )
        )
    )
    return [name for name in names if run_tick(sandbox.pk, name, force=True).ran]


def on_commit_enqueue(
    enqueue: Callable[[int, str], None],
    enqueue_later: Callable[[int, str, float], None] | None = None,
) -> Callable[..., None]:
    """A store_committed receiver that enqueues a tick for every watcher woken: at once,
    or after its kind's wake delay (enqueue_later), which batches a burst of changes."""

    def receiver(sender, *, sandbox: Sandbox, actor: str, events: list[dict], **kwargs) -> None:
        # Learnt first, paused or not: the facts must follow every change.
        informer_facts.note_changes(sandbox.pk, events)
        if sandbox.clock_paused:
            return
        if idle.is_work((_resource_name(event), event) for event in events):
            idle.mark_work(sandbox.pk, sandbox.clock_speed)
        facts = informer_facts.SandboxFacts(sandbox.pk)
        for component in watchers_of(sandbox, actor, events, facts):
            delay = wake_delay(component)
            if delay and enqueue_later is not None:
                enqueue_later(sandbox.pk, component, delay)
            else:
                enqueue(sandbox.pk, component)

    return receiver


def _resource_name(event: dict) -> str:
    rt = resource_of_key(event["key"])
    return rt.name if rt else ""


def wake_delay(component: str) -> float:
    """Wall seconds a wake-up of this component waits, gathering the changes after it."""
    if component.endswith(EVERY):
        return 0.0
    try:
        return kind_of(component).wake_delay
    except KeyError:
        return 0.0


# -- bounded history -----------------------------------------------------------------

TRACES_KEPT = 20_000  # per sandbox: hours of a busy lesson, and what replay can reach
SCHEDULING_RECORDS_KEPT = 2_000
# A sandbox whose newest trace is older than this wrote none since the last trim (beat
# trims every minute): its traces are as the last trim left them.
TRACES_UNCHANGED_AFTER = dt.timedelta(minutes=3)


def trim_history() -> None:
    """Keep each sandbox's traces bounded in count and in bytes (PODLAB_TRACE_HISTORY_BYTES),
    and its scheduling records in count, as the store bounds its watch log."""
    quiet_since = timezone.now() - TRACES_UNCHANGED_AFTER
    for sandbox_id in Sandbox.objects.values_list("pk", flat=True):
        newest = Trace.objects.filter(sandbox_id=sandbox_id).order_by("-id")
        newest_at = newest.values_list("created_at", flat=True).first()
        if newest_at is not None and newest_at >= quiet_since:
            trim_traces(
                sandbox_id, keep_rows=TRACES_KEPT, keep_bytes=settings.PODLAB_TRACE_HISTORY_BYTES
            )
        rows = SchedulingRecord.objects.filter(sandbox_id=sandbox_id).order_by("-id")
        kept = SCHEDULING_RECORDS_KEPT
        cutoff = rows.values_list("id", flat=True)[kept : kept + 1].first()
        if cutoff is not None:
            SchedulingRecord.objects.filter(sandbox_id=sandbox_id, id__lte=cutoff).delete()
