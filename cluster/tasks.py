"""Celery entry points: a few lines each around cluster.loops, and the queueing of
ticks (the top of the tick layer: nothing below imports it)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from cluster import idle, loops
from cluster.coordination import redis_client

# A tick that waited longer than this in the queue is stale: the next resync
# or notification brings a fresh one, so late ticks expire instead of piling up.
TICK_EXPIRES_SECONDS = 5.0
# Celery's priorities on Redis: 0 is taken first (the broker transport's priority_steps,
# sandbox/settings.py). The pod-startup path's ticks and beat's resync go first; the
# controllers, kube-proxy and housekeeping take what the workers have left.
FIRST = 0
AFTER = 6


@shared_task(ignore_result=True)
def tick(sandbox_id: int, component: str, due: bool = False, yields: bool = False) -> None:
    """One tick of a component. yields: a tick queued with a countdown that must not go
    ahead of the pod-startup path: when its time comes, a worker holds it and would run it
    before everything waiting in the broker, priorities or not (Celery keeps such a task in
    the worker's memory), so if FIRST work waits it goes to the back of its own priority."""
    if component.endswith(loops.EVERY):  # a change every node's kube-proxy watches
        for name in loops.components_named(sandbox_id, component):
            enqueue_tick(sandbox_id, name)
        return
    if yields and _first_waiting():
        tick.apply_async(
            (sandbox_id, component),
            {"due": due},
            expires=TICK_EXPIRES_SECONDS,
            priority=AFTER,
        )
        return
    run = loops.run_tick(sandbox_id, component, due=due)
    if run.due_again_in is not None and run.due_again_in < _beat_period():
        # Due again before beat's next look (a sped-up clock: a kubelet renews its Lease
        # every 10 sandbox seconds, 0.1 s at x100): queue it now, or it would wait for
        # beat and fall behind the sandbox clock (and its node would go Unknown).
        enqueue_due_tick(sandbox_id, component, run.due_again_in, first=run.first)


def _first_waiting() -> bool:
    """Whether ticks of the FIRST priority wait in the broker (its list for priority 0 is
    named after the queue)."""
    return bool(redis_client().llen(settings.CELERY_TASK_DEFAULT_QUEUE))


def _beat_period() -> float:
    """How often beat looks for due components (its resync's schedule, in seconds)."""
    return settings.CELERY_BEAT_SCHEDULE["podlab-resync"]["schedule"]


@shared_task(ignore_result=True)
def resync() -> None:
    """Beat's one periodic task: queue a tick for every component due before its next run."""
    every = _beat_period()  # beat's next run
    # Wake-ups whose tick was lost (its worker killed, or the database down during it) or
    # came as the last tick finished: they run now. First, as it needs only Redis.
    for sandbox_id, component in loops.woken_unserved():
        enqueue_tick(sandbox_id, component)
    if not loops.redis_remembers():
        # Redis restarted: the wake-ups of the outage, and those it kept, are gone. Each
        # component looks once, as an informer relists after its watch broke.
        for sandbox_id, component in loops.running_components():
            enqueue_tick(sandbox_id, component)
        loops.redis_remember()  # only now: a resync that failed on the way tries again
    if not idle.idle_or_wake().awake:  # every sandbox idle: no component is due
        return
    for due in loops.due_components(within=every):
        if due.delay > 0:
            enqueue_due_tick(due.sandbox_id, due.component, due.delay, first=due.first)
        else:
            enqueue_tick(due.sandbox_id, due.component, first=due.first)


def enqueue_tick(sandbox_id: int, component: str, *, first: bool | None = None) -> None:
    """Queue a tick now (a wake-up), kept until a tick of the component has run. It goes
    FIRST if `first`, by default if the component is on the pod-startup path."""
    if not component.endswith(loops.EVERY):  # the fan-out task marks each one it queues
        loops.mark_woken(sandbox_id, component)
    if first is None:
        first = loops.on_startup_path(component)
    if loops.mark_queued(sandbox_id, component, TICK_EXPIRES_SECONDS):
        tick.apply_async(
            (sandbox_id, component),
            expires=TICK_EXPIRES_SECONDS,
            priority=FIRST if first else AFTER,
        )


def wake(sandbox_id: int, component: str) -> None:
    """Queue a tick of one component now (after a fault or a start)."""
    idle.mark_work(sandbox_id)  # so that the tick wakes an idle sandbox
    enqueue_tick(sandbox_id, component)


def enqueue_due_tick(
    sandbox_id: int, component: str, delay: float, *, first: bool | None = None
) -> None:
    """A tick that runs when the component is due, `delay` wall seconds from now: at once
    if `first` (loops.Due; by default, if the component is on the pod-startup path), else
    after the FIRST work waiting then."""
    if first is None:
        first = loops.on_startup_path(component)
    expires = delay + TICK_EXPIRES_SECONDS
    if loops.mark_due(sandbox_id, component, expires):
        tick.apply_async(
            (sandbox_id, component),
            {"due": True, "yields": not first},
            countdown=delay,
            expires=expires,
            priority=FIRST if first else AFTER,
        )


@shared_task(ignore_result=True)
def trim_history() -> None:
    """Keep traces and scheduling records bounded, as the store bounds its watch log."""
    loops.trim_history()
