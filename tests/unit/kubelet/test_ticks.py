"""What a tick leaves behind: the time to wake up, JSON-only state, and no needless writes."""

import json

import pytest

from tests.unit.fakes import FakeApiError

from .harness import Node, make_pod, micro_stamp

CRASH = "podlab/crash:exit-1-after-5s"  # a 1 s pull; started at 1 s, it crashes at 6 s


def fail_next_status_update(node: Node, monkeypatch) -> None:
    real = node.api.update_status
    errors = iter([FakeApiError(409, "Conflict", "the object has been modified")])

    def racing(resource, obj, **options):
        if resource == "pods" and (error := next(errors, None)):
            raise error
        return real(resource, obj, **options)

    monkeypatch.setattr(node.api, "update_status", racing)


def test_it_wakes_when_the_runtime_next_changes_by_itself():
    node = Node(make_pod())
    node.tick(0)
    assert node.state["wake_at"] == micro_stamp(4)  # the pull is done


def test_with_nothing_else_due_it_wakes_for_the_next_heartbeat():
    node = Node(make_pod())
    node.ticks(0.5, 4.5)  # pulled and started
    assert node.state["wake_at"] == micro_stamp(10.5)


def test_it_wakes_when_a_crashed_container_may_restart():
    node = Node(make_pod(image=CRASH))
    node.ticks(0, 1, 6, 10, 11)  # the second crash: back-off until 21 s
    assert node.state["wake_at"] == micro_stamp(20)  # the heartbeat comes first

    node.tick(20)
    assert node.state["wake_at"] == micro_stamp(21)


def test_it_wakes_when_a_failed_pull_may_be_retried():
    node = Node()
    node.tick(0)
    node.add(make_pod(image="nosuch"))
    node.ticks(5, 10)  # the pull failed at 5 s: back-off until 15 s
    assert node.state["wake_at"] == micro_stamp(15)


def test_a_tick_with_nothing_to_do_writes_nothing():
    node = Node(make_pod())
    node.tick(0)
    node.forget_calls()
    node.tick(2)  # still pulling
    assert node.api.writes() == []

    node.tick(4)
    node.forget_calls()
    node.tick(5)  # running, nothing due
    assert node.api.writes() == []


def run_a_busy_node(*, json_between_ticks: bool) -> Node:
    node = Node(
        make_pod(),
        make_pod("crasher", CRASH),
        make_pod("missing", "nosuch"),
        make_pod("sleeper", "busybox", command=["sleep", "3600"]),
        json_between_ticks=json_between_ticks,
    )
    for moment in (0, 1, 4, 6, 9, 11, 15, 21, 30):
        node.tick(moment)
        assert json.loads(json.dumps(node.state)) == node.state
    node.delete(31, "sleeper", grace_period_seconds=3)
    node.ticks(31, 34, 40)
    return node


def test_the_state_is_plain_json_and_the_kubelet_carries_on_the_same_after_a_round_trip():
    kept = run_a_busy_node(json_between_ticks=False)
    reloaded = run_a_busy_node(json_between_ticks=True)

    assert reloaded.api.objects == kept.api.objects
    assert reloaded.api.calls == kept.api.calls
    assert reloaded.state == kept.state
    assert ("default", "sleeper") not in kept.api.objects["pods"]
    assert kept.container("crasher")["restartCount"] == 2


def test_a_status_lost_to_a_conflict_is_reported_at_the_next_tick(monkeypatch):
    node = Node(make_pod())
    node.tick(0)
    fail_next_status_update(node, monkeypatch)

    node.tick(4)
    assert node.status()["phase"] == "Pending"

    node.tick(5)
    assert node.status()["phase"] == "Running"


def test_a_final_phase_lost_to_a_conflict_is_still_reported(monkeypatch):
    node = Node(make_pod(image="podlab/job:done-in-3s", restart_policy="Never"))
    node.ticks(0, 1)
    fail_next_status_update(node, monkeypatch)

    node.tick(4)
    assert node.status()["phase"] == "Running"

    node.tick(5)
    assert node.status()["phase"] == "Succeeded"


@pytest.mark.parametrize("broken", [{"command": 5}, {"args": [1, 2]}])
def test_a_pod_that_fails_to_sync_never_stops_the_others_on_its_node(broken):
    node = Node(make_pod("broken", **broken), make_pod("web"))
    node.ticks(0, 5)
    assert node.status("web")["phase"] == "Running"
    [(kind, reason, message)] = node.events("broken")[-1:]
    assert (kind, reason) == ("Warning", "FailedSync")
    assert message.startswith("error syncing pod: ")


def broken_in_store(change) -> dict:
    """A pod as the store might hold one validation never saw (written before a rule
    existed, or by a bug): the kubelet must cope with whatever it lists."""
    pod = make_pod("broken")
    change(pod)
    return pod


BROKEN_IN_STORE = {
    "containers is a number": lambda pod: pod["spec"].update(containers=5),
    "a container's name is a number": lambda pod: pod["spec"]["containers"][0].update(name=5),
    "an init container's command is a number": lambda pod: pod["spec"].update(
        initContainers=[{"name": "init", "image": "busybox", "command": 5}]
    ),
    "no uid": lambda pod: pod["metadata"].pop("uid"),
}


@pytest.mark.parametrize("change", BROKEN_IN_STORE.values(), ids=BROKEN_IN_STORE.keys())
def test_a_pod_broken_in_the_store_never_stops_the_kubelet_serving_the_others(change):
    node = Node(broken_in_store(change), make_pod("web"))
    node.ticks(0, 5)  # raises if one pod's failure escapes its own sync
    assert node.status("web")["phase"] == "Running"

    node.add(make_pod("later"))
    node.ticks(10, 15)
    assert node.status("later")["phase"] == "Running"
    node.delete(16, "web", grace_period_seconds=0)
    node.ticks(17, 20)
    assert ("default", "web") not in node.api.objects["pods"]
