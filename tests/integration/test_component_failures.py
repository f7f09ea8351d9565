"""A component's failures: never unseen, never for good, never spread to other pods.

The ticks run in this process through the task layer (cluster.loops), on the
real database and Redis, with the sandbox clock paused and stepped: a day of
sandbox time passes in seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from cluster import loops
from cluster.apiserver import ApiServer
from cluster.clock import clock_pause, clock_set_speed
from cluster.models import ComponentState, Sandbox
from cluster.sandboxes import sandbox_create
from sandbox.selectors import sandbox_snapshot
from tests.apiserver.manifests import pod_manifest, workload_manifest

DAY_SECONDS = 24 * 60 * 60
STEP_SECONDS = 600  # past the 5-minute flush of the unschedulable pool: one attempt per step


def too_big(name: str) -> dict:
    resources = {"requests": {"cpu": "8", "memory": "16Gi"}}
    manifest = pod_manifest(name)
    manifest["spec"]["containers"][0]["resources"] = resources
    return manifest


def scheduler_row(sandbox: Sandbox) -> ComponentState:
    return ComponentState.objects.get(sandbox=sandbox, name="scheduler")


def test_a_pod_pending_for_a_simulated_day_never_stops_the_scheduler(sandbox, alice):
    clock_pause(sandbox)
    api = ApiServer.as_user(sandbox, alice)
    api.create("pods", too_big("huge"), namespace="default")

    for _ in range(DAY_SECONDS // STEP_SECONDS):
        assert loops.step(sandbox, "scheduler", seconds=STEP_SECONDS) == ["scheduler"]

    row = scheduler_row(sandbox)
    assert row.failure == "" and row.failed_ticks == 0
    [entry] = row.state["backoff"].values()
    assert entry["attempts"] == DAY_SECONDS // STEP_SECONDS  # far past the 47 that overflowed
    assert not api.get("pods", "huge", namespace="default")["spec"].get("nodeName")

    api.create("pods", pod_manifest("web"), namespace="default")
    loops.step(sandbox, "scheduler", seconds=STEP_SECONDS)
    assert api.get("pods", "web", namespace="default")["spec"]["nodeName"] in {"node-1", "node-2"}


@pytest.fixture
def failing_scheduler(monkeypatch):
    """The scheduler's reconcile replaced by one that raises, as a bug would."""

    def broken(api, sandbox, row):
        raise OverflowError("date value out of range\n(and a second line nobody needs)")

    healthy = loops.KINDS["scheduler"]
    monkeypatch.setitem(loops.KINDS, "scheduler", dataclasses.replace(healthy, reconcile=broken))
    return lambda: monkeypatch.setitem(loops.KINDS, "scheduler", healthy)


def test_a_tick_that_raises_marks_the_component_failing_until_a_tick_succeeds(
    sandbox, alice, failing_scheduler
):
    clock_pause(sandbox)
    loops.step(sandbox, "scheduler")
    started = scheduler_row(sandbox).failing_since
    loops.step(sandbox, "scheduler")

    row = scheduler_row(sandbox)
    assert row.failure == "OverflowError: date value out of range"
    assert row.failed_ticks == 2
    assert row.failing_since == started is not None
    components = sandbox_snapshot(sandbox, alice)["components"]
    [shown] = [c for c in components if c["name"] == "scheduler"]
    assert shown["failure"] == "OverflowError: date value out of range"
    assert shown["failingSince"]

    failing_scheduler()  # the bug is fixed
    loops.step(sandbox, "scheduler")
    row = scheduler_row(sandbox)
    assert (row.failure, row.failing_since, row.failed_ticks) == ("", None, 0)


def test_a_failing_kubelet_does_not_stop_the_scheduler(sandbox, alice, monkeypatch):
    def broken(api, sandbox, row):
        raise RuntimeError("disk full")

    kubelet = loops.KINDS["kubelet"]
    monkeypatch.setitem(loops.KINDS, "kubelet", dataclasses.replace(kubelet, reconcile=broken))
    clock_pause(sandbox)
    ApiServer.as_user(sandbox, alice).create("pods", pod_manifest("web"), namespace="default")

    ticked = loops.step(sandbox)

    assert "scheduler" in ticked and "kubelet/node-1" in ticked
    failing = ComponentState.objects.filter(sandbox=sandbox, failed_ticks__gt=0)
    assert sorted(failing.values_list("name", flat=True)) == [
        "kubelet/control-plane",
        "kubelet/node-1",
        "kubelet/node-2",
    ]
    assert scheduler_row(sandbox).failure == ""


def test_beat_queues_the_poll_due_before_its_next_look_with_its_delay(alice):
    """Beat looks once a (wall) second: a poll due in between is queued with its delay,
    so the scheduler asks every 5 sandbox seconds, even at x10, not at beat's next look."""
    sandbox = sandbox_create(owner=alice, name="poll", mode=Sandbox.Mode.POLL)
    clock_set_speed(sandbox, 10)
    ComponentState.objects.filter(sandbox=sandbox).update(
        last_tick_at=sandbox.now() - dt.timedelta(seconds=1)  # due in 4 sandbox s: 0.4 s
    )

    assert "scheduler" not in [due.component for due in loops.due_components(within=0)]
    [poll] = [due for due in loops.due_components(within=1) if due.component == "scheduler"]
    assert 0 < poll.delay <= 0.4
    assert poll.first  # a poll-mode scheduler's poll is the pod's way to a node


def test_objects_with_the_longest_names_keep_every_component_healthy(sandbox, alice):
    """Names as long as validation allows (253): the pods a ReplicaSet makes from one, a
    Deployment's ReplicaSet that would be longer than a name may be, a pod's events.
    Before, on PostgreSQL, their traces overflowed a column and the ticks raised every
    pass."""
    clock_pause(sandbox)
    api = ApiServer.as_user(sandbox, alice)
    longest = ".".join(["a" * 63] * 4)[:253]
    deployment = workload_manifest("Deployment", "web")
    deployment["metadata"]["name"] = longest
    replicaset = workload_manifest("ReplicaSet", "cache")
    replicaset["metadata"]["name"] = "r" * 253
    pod = pod_manifest("web")
    pod["metadata"]["name"] = "p" * 253
    for resource, manifest in [
        ("deployments", deployment),
        ("replicasets", replicaset),
        ("pods", pod),
    ]:
        api.create(resource, manifest, namespace="default")

    for _ in range(3):
        loops.step(sandbox, seconds=2)

    failing = ComponentState.objects.filter(sandbox=sandbox).exclude(failure="")
    assert list(failing.values_list("name", "failure")) == []
    names = [pod["metadata"]["name"] for pod in api.list("pods")["items"]]
    assert "p" * 253 in names
    # upstream's name generator cuts the ReplicaSet's name to 58 before its 5 characters
    assert any(name.startswith("r" * 58) and len(name) == 63 for name in names)
