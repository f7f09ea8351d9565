"""Celery entry points: a few lines each around cluster.loops, and the queueing of
ticks (the top of the tick layer: nothing below imports it)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from cluster import idle, loops

# A tick that waited longer than this in the queue is stale: the next resync
# or notification brings a fresh one, so late ticks expire instead of piling up.
TICK_EXPIRES_SECONDS = 5.0


@shared_task(ignore_result=True)
def tick(sandbox_id: int, component: str, due: bool = False) -> None:
    if component.endswith(loops.EVERY):  # a change every node's kube-proxy watches
        for name in loops.components_named(sandbox_id, component):
            enqueue_tick(sandbox_id, name)
        return
    run = loops.run_tick(sandbox_id, component, due=due)
    if run.due_again_in is not None and run.due_again_in < _beat_period():
        # Due again before beat's next look (a sped-up clock: a kubelet renews its Lease
        # every 10 sandbox seconds, 0.1 s at x100): queue it now, or it would wait for
        # beat and fall behind the sandbox clock (and its node would go Unknown).
        enqueue_due_tick(sandbox_id, component, run.due_again_in)


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
    for sandbox_id, component, delay in loops.due_components(within=every):
        if delay > 0:
            enqueue_due_tick(sandbox_id, component, delay)
        else:
            enqueue_tick(sandbox_id, component)


def enqueue_tick(sandbox_id: int, component: str) -> None:
    """Queue a tick now (a wake-up), kept until a tick of the component has run."""
    if not component.endswith(loops.EVERY):  # the fan-out task marks each one it queues
        loops.mark_woken(sandbox_id, component)
    if loops.mark_queued(sandbox_id, component, TICK_EXPIRES_SECONDS):
        tick.apply_async((sandbox_id, component), expires=TICK_EXPIRES_SECONDS)


def wake(sandbox_id: int, component: str) -> None:
    """Queue a tick of one component now (after a fault or a start)."""
    idle.mark_work(sandbox_id)  # so that the tick wakes an idle sandbox
    enqueue_tick(sandbox_id, component)


def enqueue_due_tick(sandbox_id: int, component: str, delay: float) -> None:
    """A tick that runs when the component is due, `delay` wall seconds from now."""
    expires = delay + TICK_EXPIRES_SECONDS
    if loops.mark_due(sandbox_id, component, expires):
        tick.apply_async((sandbox_id, component), {"due": True}, countdown=delay, expires=expires)


@shared_task(ignore_result=True)
def trim_history() -> None:
    """Keep traces and scheduling records bounded, as the store bounds its watch log."""
    loops.trim_history()
