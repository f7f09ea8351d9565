"""Each image behaviour plays out at its scheduled times, whenever the kubelet looks."""

import pytest

from cluster.components.runtime.errors import FailedPreconditionError
from cluster.components.runtime.statuses import ContainerState
from tests.unit.runtime.helpers import PULLED, T0, after_start, at, new_runtime, start


def test_a_created_container_waits_to_be_started():
    runtime = new_runtime()
    runtime.pull_image("nginx", T0)
    sandbox_id = runtime.run_pod_sandbox("uid-1", "web", "default", at(PULLED))

    container_id = runtime.create_container(
        sandbox_id, {"name": "web", "image": "nginx"}, at(PULLED)
    )
    status = runtime.container_status(container_id, at(PULLED + 10))

    assert status.state == ContainerState.CREATED
    assert (status.started_at, status.exit_code, status.ready) == (None, None, False)
    assert status.kubernetes_state() == {"waiting": {"reason": "ContainerCreating"}}


def test_a_web_server_is_still_running_an_hour_later():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")

    status = runtime.container_status(container_id, after_start(3600))

    assert status.state == ContainerState.RUNNING
    assert status.started_at == after_start(0)
    assert status.ready
    assert status.kubernetes_state() == {"running": {"startedAt": "2026-11-26T21:41:00Z"}}


def test_a_job_exits_0_at_its_time_with_reason_completed():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/job:done-in-10s")

    before = runtime.container_status(container_id, after_start(9))
    after = runtime.container_status(container_id, after_start(10))

    assert before.state == ContainerState.RUNNING
    assert after.state == ContainerState.EXITED
    assert (after.exit_code, after.reason, after.finished_at) == (0, "Completed", after_start(10))


def test_an_exit_is_dated_when_it_happened_not_when_it_was_noticed():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/job:done-in-10s")

    status = runtime.container_status(container_id, after_start(500))

    assert status.finished_at == after_start(10)


def test_a_crash_image_exits_with_its_code_and_reason_error():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/crash:exit-3-after-20s")

    status = runtime.container_status(container_id, after_start(20))

    assert (status.state, status.exit_code, status.reason) == (ContainerState.EXITED, 3, "Error")
    assert status.kubernetes_state()["terminated"] == {
        "exitCode": 3,
        "reason": "Error",
        "startedAt": "2026-11-26T21:41:00Z",
        "finishedAt": "2026-11-26T21:41:20Z",
        "containerID": status.container_id,
    }


def test_hello_world_has_exited_by_the_time_it_is_started():
    runtime = new_runtime()

    container_id = start(runtime, "hello-world")
    status = runtime.container_status(container_id, after_start(0))

    assert (status.state, status.exit_code, status.reason) == (
        ContainerState.EXITED,
        0,
        "Completed",
    )


def test_busybox_with_nothing_to_do_exits_0_at_once():
    runtime = new_runtime()

    status = runtime.container_status(start(runtime, "busybox"), after_start(0))

    assert (status.state, status.reason) == (ContainerState.EXITED, "Completed")


def test_busybox_with_sleep_runs_for_the_sleep():
    runtime = new_runtime()
    container_id = start(runtime, "busybox", command=["sleep", "3600"])

    assert runtime.container_status(container_id, after_start(3599)).state == "running"
    assert runtime.container_status(container_id, after_start(3600)).exit_code == 0


def test_memory_hog_is_oom_killed_when_its_limit_is_lower_than_it_needs():
    runtime = new_runtime()
    container_id = start(
        runtime, "podlab/memory-hog:256Mi-after-8s", resources={"limits": {"memory": "128Mi"}}
    )

    status = runtime.container_status(container_id, after_start(60))

    assert (status.exit_code, status.reason) == (137, "OOMKilled")
    # It allocates evenly, so it crosses a limit of half its need halfway through.
    assert status.finished_at == after_start(4)


@pytest.mark.parametrize("resources", [{}, {"limits": {"memory": "512Mi"}}])
def test_memory_hog_keeps_running_within_its_limit_or_without_one(resources):
    runtime = new_runtime()
    container_id = start(runtime, "podlab/memory-hog:256Mi-after-8s", resources=resources)

    assert runtime.container_status(container_id, after_start(3600)).state == "running"


def test_a_slow_starter_runs_at_once_but_is_ready_only_after_its_warm_up():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/slow-start:20s")

    warming = runtime.container_status(container_id, after_start(19))
    ready = runtime.container_status(container_id, after_start(20))

    assert (warming.state, warming.ready) == (ContainerState.RUNNING, False)
    assert (ready.state, ready.ready) == (ContainerState.RUNNING, True)


def test_postgres_without_a_password_exits_1_as_the_real_image_does():
    runtime = new_runtime()

    status = runtime.container_status(start(runtime, "postgres"), after_start(1))

    assert (status.state, status.exit_code, status.reason) == (ContainerState.EXITED, 1, "Error")


def test_postgres_with_a_password_runs():
    runtime = new_runtime()
    env = [{"name": "POSTGRES_PASSWORD", "value": "s3cret"}]

    status = runtime.container_status(start(runtime, "postgres", env=env), after_start(3600))

    assert status.state == ContainerState.RUNNING


def test_each_new_container_of_a_name_in_a_sandbox_is_the_next_attempt():
    runtime = new_runtime()
    first = start(runtime, "podlab/crash")
    sandbox_id = runtime.container_status(first, after_start(10)).sandbox_id

    second = runtime.create_container(
        sandbox_id, {"name": "app", "image": "podlab/crash"}, after_start(10)
    )

    assert runtime.container_status(first, after_start(10)).attempt == 0
    assert runtime.container_status(second, after_start(10)).attempt == 1
    assert second != first
    assert [s.id for s in runtime.list_containers(sandbox_id, now=after_start(10))] == [
        first,
        second,
    ]


def test_a_container_reports_the_image_it_was_asked_for_in_full():
    runtime = new_runtime()

    status = runtime.container_status(start(runtime, "nginx"), after_start(1))

    assert status.image == "docker.io/library/nginx:latest"
    assert status.image_id.startswith("docker.io/library/nginx@sha256:")
    assert status.container_id == "containerd://" + status.id


def test_a_container_needs_its_image_on_the_node_and_a_ready_sandbox():
    runtime = new_runtime()
    sandbox_id = runtime.run_pod_sandbox("uid-1", "web", "default", T0)

    with pytest.raises(FailedPreconditionError, match="not present"):
        runtime.create_container(sandbox_id, {"name": "web", "image": "nginx"}, T0)
    runtime.pull_image("nginx", T0)
    runtime.stop_pod_sandbox(sandbox_id, at(10))
    with pytest.raises(FailedPreconditionError, match="not ready"):
        runtime.create_container(sandbox_id, {"name": "web", "image": "nginx"}, at(10))


def test_a_container_is_started_only_once():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")

    with pytest.raises(FailedPreconditionError):
        runtime.start_container(container_id, after_start(1))


def test_the_next_event_is_the_next_thing_due():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/slow-start:20s")
    runtime.pull_image("podlab/job", after_start(0))

    assert runtime.next_event_at(after_start(0)) == after_start(1)  # the pull
    assert runtime.next_event_at(after_start(1)) == after_start(20)  # ready
    runtime.stop_container(container_id, 30, after_start(21))
    assert runtime.next_event_at(after_start(21)) is None
