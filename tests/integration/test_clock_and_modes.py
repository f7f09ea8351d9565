"""Poll and watch modes, pause and step, and ticks racing on two workers."""

from __future__ import annotations

import datetime as dt
import subprocess
import time

import pytest

from cluster import loops
from cluster.apiserver import ApiServer
from cluster.clock import clock_pause
from cluster.models import Sandbox, Trace
from cluster.sandboxes import sandbox_create
from cluster.tasks import enqueue_tick
from tests.apiserver.manifests import pod_manifest
from tests.integration.test_pod_journey import pod_of
from tests.processes import kill, start_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def binding_trace(sandbox: Sandbox, pod: str) -> Trace | None:
    return Trace.objects.filter(sandbox=sandbox, name=pod, subresource="binding", code=201).first()


def scheduler_polls(sandbox: Sandbox) -> list[Trace]:
    return list(
        Trace.objects.filter(sandbox=sandbox, actor="scheduler", verb="list", resource="pods")
        .exclude(narration__contains="spec.nodeName!=")
        .order_by("id")
    )


def test_watch_mode_binds_at_once_without_waiting_for_the_scheduler_interval(stack, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    created = api.create("pods", pod_manifest("web"), namespace="default")
    trace = wait_for(lambda: binding_trace(sandbox, "web"), timeout=20)
    create_time = Trace.objects.get(
        sandbox=sandbox, actor="alice", verb="create", name="web"
    ).sandbox_time
    # Woken by the watch: well inside the 5 s a poll would wait at worst.
    assert trace.sandbox_time - create_time < dt.timedelta(
        seconds=loops.KINDS["scheduler"].poll_seconds
    )
    assert created


def test_poll_mode_binds_only_at_the_scheduler_next_periodic_ask(stack, alice):
    sandbox = sandbox_create(owner=alice, name="poll", mode=Sandbox.Mode.POLL)
    wait_for(lambda: scheduler_polls(sandbox), timeout=20)
    api = ApiServer.as_user(sandbox, alice)
    api.create("pods", pod_manifest("web"), namespace="default")
    bound = wait_for(lambda: binding_trace(sandbox, "web"), timeout=30)
    polls = scheduler_polls(sandbox)
    assert any(p.id < bound.id for p in polls), "the binding follows a periodic ask"
    # Creating the pod woke nobody: the scheduler asked once per interval, no sooner.
    interval = dt.timedelta(seconds=loops.KINDS["scheduler"].poll_seconds)
    gaps = [b.sandbox_time - a.sandbox_time for a, b in zip(polls, polls[1:], strict=False)]
    assert gaps and all(gap >= interval - dt.timedelta(milliseconds=50) for gap in gaps)


def test_pause_stops_every_change_and_step_advances_exactly_one_tick(stack, sandbox, alice):
    clock_pause(sandbox)
    api = ApiServer.as_user(sandbox, alice)
    api.create("pods", pod_manifest("web"), namespace="default")
    components_before = Trace.objects.filter(sandbox=sandbox).exclude(actor="alice").count()
    time.sleep(2)  # a running worker and beat get every chance to act
    assert Trace.objects.filter(sandbox=sandbox).exclude(actor="alice").count() == components_before
    assert not pod_of(api, "web")["spec"].get("nodeName")

    sandbox.refresh_from_db()
    assert loops.step(sandbox, "scheduler") == ["scheduler"]
    bound = pod_of(api, "web")
    assert bound["spec"]["nodeName"] in {"node-1", "node-2"}
    assert bound["status"]["phase"] == "Pending", "the kubelet has not ticked yet"

    node = bound["spec"]["nodeName"]
    loops.step(sandbox, f"kubelet/{node}")
    statuses = pod_of(api, "web")["status"]["containerStatuses"]
    assert statuses[0]["state"]["waiting"]["reason"] == "ContainerCreating"


def test_two_workers_racing_on_scheduler_ticks_never_bind_a_pod_twice(
    stack, sandbox, alice, tmp_path
):
    second = start_worker(tmp_path / "second-worker.log", "second@%h")
    try:
        api = ApiServer.as_user(sandbox, alice)
        for i in range(12):
            api.create("pods", pod_manifest(f"p{i}"), namespace="default")
            for _ in range(3):
                enqueue_tick(sandbox.pk, "scheduler")
        for i in range(12):
            wait_for(
                lambda i=i: (pod_of(api, f"p{i}") or {}).get("spec", {}).get("nodeName"), timeout=30
            )
    finally:
        kill(second)
    for i in range(12):
        bindings = Trace.objects.filter(sandbox=sandbox, name=f"p{i}", subresource="binding")
        assert bindings.filter(code=201).count() == 1
    assert subprocess  # the second worker ran as its own OS process


def test_trim_history_keeps_the_newest_traces(sandbox, alice, monkeypatch):
    monkeypatch.setattr(loops, "TRACES_KEPT", 5)
    api = ApiServer.as_user(sandbox, alice)
    for _ in range(8):
        api.list("pods")
    newest = list(Trace.objects.filter(sandbox=sandbox).order_by("-id")[:5])
    loops.trim_history()
    assert list(Trace.objects.filter(sandbox=sandbox).order_by("-id")) == newest
