"""Crashes, restart policies and faults, on the real stack (worker, beat, Redis, database)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from cluster import faults
from cluster.apiserver import ApiServer
from cluster.clock import clock_set_speed
from cluster.coordination import component_key, component_lock, redis_client
from cluster.models import ComponentState, Sandbox, Trace
from tests.apiserver.manifests import pod_manifest
from tests.integration.test_pod_journey import phase_is, pod_of
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_sandbox(sandbox: Sandbox) -> Sandbox:
    """Ten sandbox seconds per wall second: backoffs and crash timers pass quickly."""
    clock_set_speed(sandbox, 10)
    return sandbox


def container_of(api: ApiServer, name: str) -> dict:
    pod = pod_of(api, name) or {}
    statuses = pod.get("status", {}).get("containerStatuses") or [{}]
    return statuses[0]


def test_restart_policy_always_brings_a_crashed_container_back_then_backs_off(
    stack, fast_sandbox, alice
):
    api = ApiServer.as_user(fast_sandbox, alice)
    api.create(
        "pods", pod_manifest("crashy", image="podlab/crash:exit-1-after-5s"), namespace="default"
    )

    restarted = wait_for(
        lambda: (c := container_of(api, "crashy")).get("restartCount") == 1 and c, timeout=40
    )
    assert restarted["lastState"]["terminated"]["exitCode"] == 1
    assert restarted["lastState"]["terminated"]["reason"] == "Error"

    def backing_off():
        container = container_of(api, "crashy")
        waiting = container.get("state", {}).get("waiting", {})
        return container if waiting.get("reason") == "CrashLoopBackOff" else None

    looping = wait_for(backing_off, timeout=40, interval=0.05)
    assert looping["state"]["waiting"]["message"].startswith("back-off 10s restarting failed")
    assert pod_of(api, "crashy")["status"]["phase"] == "Running"


def test_restart_policy_never_leaves_a_crashed_pod_failed(stack, fast_sandbox, alice):
    api = ApiServer.as_user(fast_sandbox, alice)
    manifest = pod_manifest("once", image="podlab/crash:exit-3-after-5s", restartPolicy="Never")
    api.create("pods", manifest, namespace="default")
    failed = wait_for(phase_is(api, "once", "Failed"), timeout=40)
    (container,) = failed["status"]["containerStatuses"]
    assert container["state"]["terminated"]["exitCode"] == 3
    assert container["restartCount"] == 0


def test_a_crash_fault_is_traced_and_the_kubelet_restarts_the_container(stack, fast_sandbox, alice):
    api = ApiServer.as_user(fast_sandbox, alice)
    api.create("pods", pod_manifest("web"), namespace="default")
    wait_for(phase_is(api, "web", "Running"), timeout=30)
    faults.container_crash(
        fast_sandbox, alice, namespace="default", pod="web", container="web", exit_code=137
    )
    trace = Trace.objects.filter(sandbox=fast_sandbox, verb="crash").get()
    assert (trace.actor, trace.code, trace.name) == ("alice", 200, "web")
    restarted = wait_for(
        lambda: (c := container_of(api, "web")).get("restartCount") == 1 and c, timeout=30
    )
    assert restarted["lastState"]["terminated"]["exitCode"] == 137


def test_a_fault_holds_each_components_lock_until_its_write_is_committed(
    stack, fast_sandbox, alice, monkeypatch
):
    """A tick that ran between a fault's write to a component's memory and its commit
    would read the memory from before the fault and save it over it: the crashed
    container would run on, never restarted (lesson 1's 'restarted' step stood still)."""
    api = ApiServer.as_user(fast_sandbox, alice)
    api.create("pods", pod_manifest("web"), namespace="default")
    node = wait_for(phase_is(api, "web", "Running"), timeout=30)["spec"]["nodeName"]
    held_at_commit: list[tuple[str, bool]] = []
    save = ComponentState.save

    def save_and_look_at_commit(row, *args, **kwargs):
        save(row, *args, **kwargs)
        lock = component_key("lock", row.sandbox_id, row.name)
        transaction.on_commit(
            lambda: held_at_commit.append((row.name, bool(redis_client().exists(lock))))
        )

    monkeypatch.setattr(ComponentState, "save", save_and_look_at_commit)

    faults.container_crash(fast_sandbox, alice, namespace="default", pod="web", container="web")
    assert held_at_commit == [(f"kubelet/{node}", True)]

    held_at_commit.clear()
    faults.node_stop(fast_sandbox, alice, name=node)
    assert sorted(held_at_commit) == [(f"kube-proxy/{node}", True), (f"kubelet/{node}", True)]


def test_a_crash_waits_for_a_tick_that_holds_the_kubelets_lock(stack, fast_sandbox, alice):
    """A lesson's crash while the kubelet ticks waits for the tick, not fail its run."""
    api = ApiServer.as_user(fast_sandbox, alice)
    api.create("pods", pod_manifest("web"), namespace="default")
    node = wait_for(phase_is(api, "web", "Running"), timeout=30)["spec"]["nodeName"]
    holding, done = threading.Event(), threading.Event()

    def a_long_tick() -> None:
        with component_lock(fast_sandbox.pk, f"kubelet/{node}"):
            holding.set()
            done.wait(1.0)

    tick = threading.Thread(target=a_long_tick)
    tick.start()
    holding.wait(5)
    started = time.monotonic()
    faults.container_crash(fast_sandbox, alice, namespace="default", pod="web", container="web")
    assert time.monotonic() - started >= 0.5  # it waited for the tick's lock
    tick.join()
    assert Trace.objects.filter(sandbox=fast_sandbox, verb="crash", code=200).exists()


def test_a_pod_too_big_for_every_node_is_scheduled_once_a_node_with_room_is_added(
    stack, sandbox, alice
):
    api = ApiServer.as_user(sandbox, alice)
    manifest = pod_manifest("big")
    manifest["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "3"}}
    api.create("pods", manifest, namespace="default")
    wait_for(
        lambda: any(
            c.get("reason") == "Unschedulable"
            for c in pod_of(api, "big")["status"].get("conditions", [])
        ),
        timeout=30,
    )
    faults.worker_add(sandbox, alice, name="node-3", cpu="4")
    running = wait_for(phase_is(api, "big", "Running"), timeout=40)
    assert running["spec"]["nodeName"] == "node-3"


def test_a_stopped_kubelet_stops_renewing_its_lease_and_a_started_one_resumes(
    stack, fast_sandbox, alice
):
    kubelet = ApiServer.as_component(fast_sandbox, "kubelet/node-1")
    first = wait_for(lambda: _lease_renewed(kubelet), timeout=20)
    faults.component_stop(fast_sandbox, alice, "kubelet/node-1")
    stopped_at = _lease_renewed(kubelet)
    # 3 wall seconds are 30 sandbox seconds: three renewals would have happened.
    time.sleep(3)
    assert _lease_renewed(kubelet) == stopped_at
    faults.component_start(fast_sandbox, alice, "kubelet/node-1")
    wait_for(lambda: _lease_renewed(kubelet) != stopped_at, timeout=20)
    assert first


def _lease_renewed(kubelet: ApiServer) -> str | None:
    try:
        return kubelet.get("leases", "node-1", namespace="kube-node-lease")["spec"]["renewTime"]
    except Exception:
        return None
