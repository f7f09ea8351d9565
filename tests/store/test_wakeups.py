"""A wake-up is never lost, even under a stream of them (cluster.loops.run_tick), on real
Redis: the reruns a tick owes run out, and the last wake-up is kept for beat."""

from __future__ import annotations

import pytest

from cluster import loops
from cluster.coordination import component_key, redis_client
from cluster.loops import TickRun

NO_SANDBOX = 876_543  # no worker runs here
COMPONENT = "scheduler"


@pytest.fixture
def clean():
    def empty() -> None:
        client = redis_client()
        client.srem(loops._woken_key(), loops._member(NO_SANDBOX, COMPONENT))
        client.delete(component_key("dirty", NO_SANDBOX, COMPONENT))

    empty()
    yield
    empty()


def test_a_wake_up_during_the_last_rerun_is_kept_for_beat(clean, monkeypatch):
    """Each pass of the tick finds a new wake-up (a burst of 1,000 pods made while the
    scheduler runs): after MAX_RERUNS the tick stops, and the newest wake-up must wait in
    the woken set for beat, or the pods would wait for nothing."""
    client = redis_client()

    def tick_with_a_wake_up_meanwhile(sandbox_id, component, *, force=False) -> TickRun:
        loops.mark_woken(sandbox_id, component)  # as enqueue_tick does, then...
        client.set(component_key("dirty", sandbox_id, component), 1)  # ...the lock was held
        return TickRun(True)

    monkeypatch.setattr(loops, "_tick_once", tick_with_a_wake_up_meanwhile)
    loops.run_tick(NO_SANDBOX, COMPONENT)
    assert (NO_SANDBOX, COMPONENT) in loops.woken_unserved()


def test_a_tick_after_the_last_wake_up_serves_it(clean, monkeypatch):
    runs = []

    def quiet_tick(sandbox_id, component, *, force=False) -> TickRun:
        runs.append(component)
        return TickRun(True)

    loops.mark_woken(NO_SANDBOX, COMPONENT)
    monkeypatch.setattr(loops, "_tick_once", quiet_tick)
    loops.run_tick(NO_SANDBOX, COMPONENT)
    assert runs == [COMPONENT]
    assert (NO_SANDBOX, COMPONENT) not in loops.woken_unserved()


@pytest.mark.django_db(transaction=True)
def test_a_wake_up_that_waited_past_the_work_mark_still_wakes_an_idle_sandbox(sandbox):
    """A write's wake-up queued behind a busy worker for longer than the quiet period:
    the work mark has lapsed, the sandbox went idle, and the wake-up must still run (the
    lesson's ReplicationController whose controller never ran, in CI)."""
    from cluster import idle
    from cluster.clock import clock_idle
    from cluster.models import ComponentState, Sandbox

    component = "controller-manager/replicationcontroller"
    assert clock_idle(sandbox)
    redis_client().delete(idle._key("worked", sandbox.pk))  # the mark lapsed
    assert not idle.wanted(sandbox.pk)
    loops.mark_woken(sandbox.pk, component)  # as the write's enqueue_tick did
    try:
        assert loops.run_tick(sandbox.pk, component).ran
        assert not Sandbox.objects.get(pk=sandbox.pk).idle
        assert ComponentState.objects.get(sandbox=sandbox, name=component).last_tick_at
        assert (sandbox.pk, component) not in loops.woken_unserved()
    finally:
        redis_client().srem(loops._woken_key(), loops._member(sandbox.pk, component))


@pytest.mark.django_db(transaction=True)
def test_a_periodic_tick_leaves_an_idle_sandbox_resting(sandbox):
    from cluster import idle
    from cluster.apiserver import publish
    from cluster.clock import clock_idle
    from cluster.models import Sandbox

    assert publish.flush()  # the sandbox's own creation woke its components: served here
    redis_client().srem(loops._woken_key(), loops._member(sandbox.pk, "scheduler"))
    redis_client().delete(idle._key("worked", sandbox.pk))
    assert clock_idle(sandbox)
    assert not loops.run_tick(sandbox.pk, "scheduler", due=True).ran
    assert Sandbox.objects.get(pk=sandbox.pk).idle
