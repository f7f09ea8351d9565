"""Which due ticks go ahead in the queue (loops.next_due): a startup-path component's
poll or its pods' timers do; a watch-mode resync, a heartbeat or a controller's do not."""

from __future__ import annotations

import datetime as dt

import pytest

import cluster.runs  # noqa: F401  (registers the component kinds)
from cluster.loops import next_due
from cluster.models import ComponentState, Sandbox
from cluster.objects import format_micro_time

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def sandbox(mode: str = Sandbox.Mode.WATCH) -> Sandbox:
    return Sandbox(mode=mode, clock_base=NOW, clock_wall_base=NOW, clock_paused=True)


def row(name: str, state: dict | None = None) -> ComponentState:
    return ComponentState(name=name, state=state or {}, last_tick_at=NOW)


def at(seconds: float) -> str:
    return format_micro_time(NOW + dt.timedelta(seconds=seconds))


def test_a_kubelet_s_heartbeat_waits_its_turn_its_pods_timers_do_not():
    heartbeat = row("kubelet/node-1", {"wake_at": at(10), "work_at": None})
    due = next_due(sandbox(), heartbeat)
    assert due is not None and due.at == NOW + dt.timedelta(seconds=10) and not due.first
    pull_done = row("kubelet/node-1", {"wake_at": at(3), "work_at": at(3)})
    assert next_due(sandbox(), pull_done).first


def test_a_scheduler_s_back_off_goes_first_its_watch_resync_does_not():
    assert next_due(sandbox(), row("scheduler", {"wake_at": at(1)})).first
    assert not next_due(sandbox(), row("scheduler")).first  # the 60 s resync


@pytest.mark.parametrize("name", ["scheduler", "kubelet/node-1"])
def test_in_poll_mode_the_startup_path_s_polls_go_first(name):
    assert next_due(sandbox(Sandbox.Mode.POLL), row(name)).first


def test_a_controller_s_ticks_never_go_first():
    timer = row("controller-manager/taint-eviction-controller", {"wake_at": at(1)})
    assert not next_due(sandbox(), timer).first
    assert not next_due(sandbox(Sandbox.Mode.POLL), row("controller-manager/replicaset")).first


def in_poll_mode(intervals: dict) -> Sandbox:
    polling = sandbox(Sandbox.Mode.POLL)
    polling.intervals = intervals
    return polling


def test_a_lesson_s_intervals_set_poll_mode_s_periods_by_component_kind_or_controller():
    intervals = {"scheduler": 2, "kubelet": 30, "controller-manager": 8}
    intervals["controller-manager/podgc"] = 60
    polling = in_poll_mode(intervals)

    def period(name: str) -> float:
        return (next_due(polling, row(name)).at - NOW).total_seconds()

    assert period("scheduler") == 2
    assert period("kubelet/node-1") == period("kubelet/node-2") == 30
    assert period("controller-manager/replicaset") == 8
    assert period("controller-manager/podgc") == 60  # its own beats its kind's
    assert period("kube-proxy/node-1") == 30  # not given: upstream's syncPeriod
    assert (next_due(in_poll_mode({}), row("scheduler")).at - NOW).total_seconds() == 5


def test_watch_mode_keeps_its_own_periods_whatever_the_intervals():
    watching = in_poll_mode({"kubelet": 30})
    watching.mode = Sandbox.Mode.WATCH
    assert next_due(watching, row("kubelet/node-1")).at == NOW + dt.timedelta(seconds=10)
