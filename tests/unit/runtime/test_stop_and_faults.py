"""Stopping honours how each image takes SIGTERM; lessons can crash a container on purpose."""

import pytest

from cluster.components.runtime.errors import FailedPreconditionError, NotFoundError
from cluster.components.runtime.statuses import ContainerState
from tests.unit.runtime.helpers import after_start, new_runtime, start


def test_a_server_that_handles_sigterm_stops_at_once_with_exit_0():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")

    status = runtime.stop_container(container_id, 30, after_start(100))

    assert (status.state, status.exit_code, status.reason) == (
        ContainerState.EXITED,
        0,
        "Completed",
    )
    assert status.finished_at == after_start(100)


def test_a_process_ended_by_sigterm_exits_143():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/slow-start")

    status = runtime.stop_container(container_id, 30, after_start(100))

    assert (status.exit_code, status.reason) == (143, "Error")


def test_a_shell_ignoring_sigterm_runs_until_sigkill_at_the_timeout():
    runtime = new_runtime()
    container_id = start(runtime, "busybox", command=["sleep", "3600"])

    stopping = runtime.stop_container(container_id, 30, after_start(100))
    still = runtime.container_status(container_id, after_start(129))
    killed = runtime.container_status(container_id, after_start(130))

    assert (stopping.state, stopping.stopping) == (ContainerState.RUNNING, True)
    assert still.state == ContainerState.RUNNING
    assert (killed.exit_code, killed.reason, killed.finished_at) == (137, "Error", after_start(130))


def test_a_zero_timeout_kills_at_once():
    runtime = new_runtime()
    container_id = start(runtime, "busybox", command=["sleep", "3600"])

    status = runtime.stop_container(container_id, 0, after_start(100))

    assert (status.state, status.exit_code) == (ContainerState.EXITED, 137)


def test_a_container_that_exits_on_its_own_before_the_kill_keeps_its_own_exit():
    runtime = new_runtime()
    container_id = start(runtime, "busybox", command=["sleep", "110"])
    runtime.stop_container(container_id, 30, after_start(100))

    status = runtime.container_status(container_id, after_start(200))

    assert (status.exit_code, status.finished_at) == (0, after_start(110))


def test_stopping_an_exited_container_changes_nothing():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/job:done-in-10s")

    status = runtime.stop_container(container_id, 30, after_start(100))

    assert (status.exit_code, status.finished_at) == (0, after_start(10))


def test_stopping_the_sandbox_kills_its_running_containers():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")
    sandbox_id = runtime.container_status(container_id, after_start(1)).sandbox_id

    runtime.stop_pod_sandbox(sandbox_id, after_start(50))

    status = runtime.container_status(container_id, after_start(50))
    assert (status.exit_code, status.finished_at) == (137, after_start(50))


def test_removing_a_sandbox_removes_its_containers():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")
    sandbox_id = runtime.container_status(container_id, after_start(1)).sandbox_id

    runtime.remove_pod_sandbox(sandbox_id, after_start(50))

    assert runtime.list_containers(now=after_start(50)) == []


def test_a_removed_container_is_gone_even_if_it_was_running():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")

    runtime.remove_container(container_id, after_start(5))
    runtime.remove_container(container_id, after_start(6))

    with pytest.raises(NotFoundError, match="not found"):
        runtime.container_status(container_id, after_start(6))


def test_a_lesson_can_crash_a_running_container_with_a_chosen_exit_code():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")

    runtime.crash_container(container_id, 42, after_start(30))
    status = runtime.container_status(container_id, after_start(31))

    assert (status.state, status.exit_code, status.reason) == (ContainerState.EXITED, 42, "Error")
    assert status.finished_at == after_start(30)


def test_crashing_with_exit_code_0_reads_as_completed():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")

    runtime.crash_container(container_id, 0, after_start(30))

    assert runtime.container_status(container_id, after_start(30)).reason == "Completed"


def test_only_a_running_container_can_be_crashed():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/job:done-in-10s")

    with pytest.raises(FailedPreconditionError, match="not running"):
        runtime.crash_container(container_id, 1, after_start(20))


def test_methods_accept_the_container_id_with_its_scheme():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")

    status = runtime.container_status("containerd://" + container_id, after_start(1))

    assert status.id == container_id
