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
