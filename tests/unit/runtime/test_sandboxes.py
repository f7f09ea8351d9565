"""Pod sandboxes get IPs from the node's pod CIDR, round-robin, and give them back when stopped."""

import pytest

from cluster.components.runtime import ContainerRuntime
from cluster.components.runtime.errors import FailedPreconditionError, NotFoundError
from cluster.components.runtime.statuses import SandboxState
from tests.unit.runtime.helpers import T0, at, new_runtime


def test_a_sandbox_gets_the_first_pod_ip_after_the_gateway():
    runtime = new_runtime()

    sandbox_id = runtime.run_pod_sandbox("uid-1", "web", "default", T0)
    status = runtime.pod_sandbox_status(sandbox_id, T0)

    assert status.ip == "10.244.1.2"
    assert status.state == SandboxState.READY
    assert (status.pod_uid, status.pod_name, status.namespace) == ("uid-1", "web", "default")
    assert (status.attempt, status.created_at) == (0, T0)


def test_ips_are_handed_out_round_robin_so_a_replacement_gets_a_new_one():
    runtime = new_runtime()
    first = runtime.run_pod_sandbox("uid-1", "a", "default", T0)
    runtime.remove_pod_sandbox(first, at(1))

    second = runtime.run_pod_sandbox("uid-2", "b", "default", at(2))

    assert runtime.pod_sandbox_status(second, at(2)).ip == "10.244.1.3"


def test_allocation_wraps_around_and_skips_ips_in_use():
    runtime = ContainerRuntime({}, "node-1", pod_cidr="10.244.1.0/29")  # pods: .2 to .6
    ids = [runtime.run_pod_sandbox(f"uid-{n}", "p", "default", T0) for n in range(5)]
    runtime.stop_pod_sandbox(ids[1], at(1))  # frees .3

    again = runtime.run_pod_sandbox("uid-new", "p", "default", at(2))

    assert runtime.pod_sandbox_status(again, at(2)).ip == "10.244.1.3"


def test_a_full_pod_cidr_fails_the_sandbox_as_the_cni_plugin_does():
    runtime = ContainerRuntime({}, "node-1", pod_cidr="10.244.1.0/30")  # room for .2 only
    runtime.run_pod_sandbox("uid-1", "p", "default", T0)

    with pytest.raises(FailedPreconditionError, match="no IP addresses available in range set"):
        runtime.run_pod_sandbox("uid-2", "p", "default", T0)


def test_a_second_sandbox_for_the_same_pod_is_a_new_attempt_with_a_new_id():
    runtime = new_runtime()
    first = runtime.run_pod_sandbox("uid-1", "web", "default", T0)
    runtime.remove_pod_sandbox(first, at(1))

    second = runtime.run_pod_sandbox("uid-1", "web", "default", at(2))

    assert second != first
    assert runtime.pod_sandbox_status(second, at(2)).attempt == 1


def test_stopping_a_sandbox_marks_it_not_ready_and_twice_is_fine():
    runtime = new_runtime()
    sandbox_id = runtime.run_pod_sandbox("uid-1", "web", "default", T0)

    runtime.stop_pod_sandbox(sandbox_id, at(1))
    runtime.stop_pod_sandbox(sandbox_id, at(2))

    assert runtime.pod_sandbox_status(sandbox_id, at(2)).state == SandboxState.NOT_READY


def test_a_removed_sandbox_is_gone_and_removing_again_is_fine():
    runtime = new_runtime()
    sandbox_id = runtime.run_pod_sandbox("uid-1", "web", "default", T0)

    runtime.remove_pod_sandbox(sandbox_id, at(1))
    runtime.remove_pod_sandbox(sandbox_id, at(2))

    assert runtime.list_pod_sandboxes(at(2)) == []
    with pytest.raises(NotFoundError):
        runtime.pod_sandbox_status(sandbox_id, at(2))


def test_a_new_node_needs_a_pod_cidr_and_keeps_it():
    with pytest.raises(ValueError, match="pod CIDR"):
        ContainerRuntime({}, "node-1")
    state: dict = {}
    ContainerRuntime(state, "node-1", pod_cidr="10.244.1.0/24")

    assert ContainerRuntime(state, "node-1").list_pod_sandboxes(T0) == []
    with pytest.raises(ValueError, match="already has pod CIDR"):
        ContainerRuntime(state, "node-1", pod_cidr="10.244.2.0/24")
