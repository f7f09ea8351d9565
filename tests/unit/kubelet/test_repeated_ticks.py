"""A tick run again from the memory before it (its worker was killed before the kubelet's
memory was saved) does not pull, create or start the same container twice."""

from __future__ import annotations

import copy

import pytest

from .harness import Node, make_pod


def replay(node: Node, *, lost_at: float) -> None:
    """A tick at `lost_at` whose memory is lost (its worker was killed after its calls)."""
    saved = copy.deepcopy(node.state)
    node.tick(lost_at)
    node.state = saved


def counts(node: Node) -> dict[str, int]:
    seen: dict[str, int] = {}
    for event in node.api.events():
        seen[event["reason"]] = seen.get(event["reason"], 0) + event["count"]
    return seen


@pytest.mark.parametrize("lost_at", [0, 4])  # the tick that pulls; the tick that starts
def test_a_tick_run_again_after_its_memory_was_lost_does_its_work_once(lost_at):
    node = Node(make_pod())
    if lost_at:
        node.tick(0)  # the pull begins (4 s for nginx), and is remembered
    replay(node, lost_at=lost_at)
    node.ticks(5, 10)

    assert node.status()["phase"] == "Running"
    assert counts(node)["Pulling"] == 1
    assert counts(node)["Created"] == 1
    assert counts(node)["Started"] == 1


def test_a_start_the_status_reported_keeps_its_time_when_the_tick_is_run_again():
    node = Node(make_pod(image="busybox", command=["sleep", "3600"]))
    node.tick(0)  # pulling busybox
    replay(node, lost_at=6)  # started at 6 s, reported, then the memory was lost
    started = node.container()["state"]["running"]["startedAt"]
    node.tick(8)

    assert node.container()["state"]["running"]["startedAt"] == started
    assert node.container()["restartCount"] == 0
    assert counts(node)["Started"] == 1


def test_a_restart_is_a_new_start_and_counted():
    node = Node(make_pod(image="podlab/crash:exit-1-after-5s"))
    node.ticks(0, 5)
    started_once = counts(node)["Started"]
    node.ticks(11, 22, 40)

    assert node.container()["restartCount"] >= 1
    assert counts(node)["Started"] > started_once
