"""All runtime state is plain JSON on the node's disk, and the same inputs give the same ids."""

import datetime as dt
import json

import pytest

from cluster.components.runtime import ContainerRuntime
from tests.unit.runtime.helpers import T0, after_start, at, new_runtime, start


def busy_node() -> tuple[dict, str]:
    """A node with a job, a pull under way, a stopped server and a stop awaiting SIGKILL."""
    state: dict = {}
    runtime = new_runtime(state)
    container_id = start(runtime, "podlab/job:done-in-10s")
    server = start(runtime, "redis", pod_uid="uid-2")
    sleeper = start(runtime, "busybox", pod_uid="uid-3", command=["sleep", "3600"])
    runtime.stop_container(server, 30, after_start(1))
    runtime.stop_container(sleeper, 30, after_start(1))
    runtime.pull_image("postgres", after_start(1))
    return state, container_id


def plain_json_types(value) -> bool:
    """True if `value` holds nothing but what json.loads gives back (no enums, no tuples)."""
    if isinstance(value, dict):
        return all(type(k) is str and plain_json_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain_json_types(item) for item in value)
    return type(value) in (str, int, float, bool, type(None))


def test_the_state_survives_a_json_round_trip_unchanged():
    state, _ = busy_node()

    assert json.loads(json.dumps(state)) == state
    assert plain_json_types(state)


def test_a_runtime_rebuilt_from_saved_state_carries_on_where_the_last_one_stopped():
    state, container_id = busy_node()
    saved = json.dumps(state)

    original = new_runtime(state)
    rebuilt = ContainerRuntime(json.loads(saved), "node-1")

    for runtime in (original, rebuilt):
        assert runtime.container_status(container_id, after_start(10)).reason == "Completed"
        assert runtime.image_status("postgres", after_start(9)).state == "PULLED"
    assert rebuilt.logs(container_id, after_start(20)) == original.logs(
        container_id, after_start(20)
    )
    assert rebuilt.list_images() == original.list_images()


def test_the_same_inputs_give_the_same_ids():
    first_state, first_id = busy_node()
    second_state, second_id = busy_node()

    assert first_id == second_id
    assert first_state == second_state


def test_ids_look_like_containerds_and_differ_between_nodes():
    node_1, node_2 = new_runtime(node_name="node-1"), new_runtime(node_name="node-2")

    sandbox_1 = node_1.run_pod_sandbox("uid-1", "web", "default", T0)
    sandbox_2 = node_2.run_pod_sandbox("uid-1", "web", "default", T0)

    assert sandbox_1 != sandbox_2
    assert len(sandbox_1) == 64 and int(sandbox_1, 16) >= 0


def test_the_state_belongs_to_one_node():
    state, _ = busy_node()

    with pytest.raises(ValueError, match="node-1"):
        ContainerRuntime(state, "node-2")


def test_naive_times_are_refused():
    runtime = new_runtime()

    with pytest.raises(ValueError, match="timezone-aware"):
        runtime.pull_image("nginx", dt.datetime(2026, 11, 26, 21, 40))


def test_times_in_another_timezone_mean_the_same_moment():
    runtime = new_runtime()
    runtime.pull_image("nginx", T0)
    paris = dt.timezone(dt.timedelta(hours=1))

    assert runtime.image_status("nginx", at(4).astimezone(paris)).state == "PULLED"
