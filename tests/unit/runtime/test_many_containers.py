"""A node with many pods: every container still exits at its own time, whoever looks when.

The runtime only looks at the containers due by `now` (an index of their next
exits) rather than at every container on every call; these tests pin down
that the outcomes are the ones each container's plan gives, for a node full
of pods started, stopped and crashed at different times.
"""

import copy
import datetime as dt

from cluster.components.runtime.statuses import ContainerState
from tests.unit.runtime.helpers import PULLED, T0, at, new_runtime

IMAGES = ["podlab/job", "podlab/crash", "nginx", "busybox"]
PODS = 120


def fill_node(runtime):
    """PODS pods, one container each, started a second apart; returns (id, start, exit) each."""
    for image in IMAGES:
        runtime.pull_image(image, T0)
    started = []
    for i in range(PODS):
        image, start = IMAGES[i % len(IMAGES)], at(PULLED + i)
        spec = {"name": "app", "image": image}
        if image == "podlab/job":
            spec["image"] = f"podlab/job:done-in-{10 + i % 7}s"
        elif image == "podlab/crash":
            spec["image"] = f"podlab/crash:exit-{1 + i % 5}-after-{3 + i % 11}s"
        elif image == "busybox":
            spec["command"] = ["sleep", str(20 + i)]
        runtime.pull_image(spec["image"], T0)
        sandbox_id = runtime.run_pod_sandbox(f"uid-{i}", f"pod-{i}", "default", start)
        container_id = runtime.create_container(sandbox_id, spec, start)
        runtime.start_container(container_id, start)
        started.append((container_id, start, expected_exit(spec, i, start)))
    return started


def expected_exit(spec, i, start):
    """When the container's plan says it exits by itself (None: it runs until stopped)."""
    if spec["image"].startswith("podlab/job"):
        return start + dt.timedelta(seconds=10 + i % 7), 0
    if spec["image"].startswith("podlab/crash"):
        return start + dt.timedelta(seconds=3 + i % 11), 1 + i % 5
    if spec["image"] == "busybox":
        return start + dt.timedelta(seconds=20 + i), 0
    return None


def test_each_container_exits_at_its_planned_time_whenever_the_node_is_asked():
    runtime = new_runtime()
    started = fill_node(runtime)
    # From when the last pod started (the runtime's clock only moves forward) until all have run.
    for seconds in range(PULLED + PODS, PULLED + 2 * PODS + 160, 7):
        now = at(seconds)
        statuses = {s.id: s for s in runtime.list_containers(now=now)}
        for container_id, _, planned in started:
            status = statuses[container_id]
            if planned is None or planned[0] > now:
                assert status.state == ContainerState.RUNNING
            else:
                assert status.state == ContainerState.EXITED
                assert (status.finished_at, status.exit_code) == planned


def test_a_runtime_reloaded_from_its_state_agrees_with_the_one_that_kept_running():
    runtime = new_runtime()
    started = fill_node(runtime)
    state = runtime._state
    # Stop some containers with a grace period (busybox's sleep ignores SIGTERM), crash others.
    for index, (container_id, _, _) in enumerate(started):
        if index % 4 == 3:
            runtime.stop_container(container_id, 5 + index % 3, at(PULLED + PODS))
        elif index % 4 == 2 and index % 8 == 2:
            runtime.crash_container(container_id, 42, at(PULLED + PODS))
    for seconds in range(PULLED + PODS, PULLED + PODS + 40, 3):
        now = at(seconds)
        reloaded = new_runtime(copy.deepcopy(state))
        assert reloaded.list_containers(now=now) == runtime.list_containers(now=now)


def test_a_sigkill_after_the_grace_period_lands_at_its_time():
    runtime = new_runtime()
    started = fill_node(runtime)
    stopped_at = at(PULLED + PODS)
    container_id, _, _ = started[115]  # busybox sleeping 135 s from PULLED + 115: still running
    runtime.stop_container(container_id, 30, stopped_at)
    before = runtime.container_status(container_id, stopped_at + dt.timedelta(seconds=29))
    after = runtime.container_status(container_id, stopped_at + dt.timedelta(seconds=31))
    assert before.state == ContainerState.RUNNING and before.stopping
    assert after.state == ContainerState.EXITED
    assert (after.exit_code, after.finished_at) == (137, stopped_at + dt.timedelta(seconds=30))
