"""The scheduler's decision reaches the sandbox's viewers before the call that acts on it."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from cluster.apiserver import ApiServer, publish
from cluster.models import ComponentState
from cluster.runs import run_scheduler
from tests.apiserver.manifests import pod_manifest
from tests.apiserver.test_publish import _in_thread, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def schedule_once(sandbox) -> None:
    row = ComponentState.objects.get(sandbox=sandbox, name="scheduler")
    run_scheduler(ApiServer.as_component(sandbox, "scheduler"), sandbox, row)


def acts_on_a_decision(message: dict) -> bool:
    """The scheduler's binding, or its PodScheduled=False status write."""
    return any(
        trace["actor"] == "scheduler" and trace["subresource"] in {"binding", "status"}
        for trace in message.get("traces", [])
    )


def messages_until_the_binding(sandbox, alice, pod: dict) -> list[dict]:
    async def scenario() -> list[dict]:
        socket = await open_socket(sandbox.pk, alice)
        await socket.receive_json_from(timeout=5)  # the snapshot
        await _in_thread(
            lambda: ApiServer.as_user(sandbox, alice).create("pods", pod, namespace="default")
        )
        await _in_thread(lambda: schedule_once(sandbox))
        received = [await socket.receive_json_from(timeout=5)]
        while not acts_on_a_decision(received[-1]):
            received.append(await socket.receive_json_from(timeout=5))
        await socket.disconnect()
        return received

    assert publish.flush()
    return async_to_sync(scenario)()


def test_the_filter_marks_and_scores_arrive_right_before_the_binding(sandbox, alice):
    received = messages_until_the_binding(sandbox, alice, pod_manifest("web"))

    note, binding = received[-2], received[-1]
    assert note["type"] == "scheduling"
    assert note["pod"]["namespace"] == "default" and note["pod"]["name"] == "web"
    assert note["pod"]["uid"]
    chosen = binding["events"][0]["object"]["spec"]["nodeName"]
    assert note["node"] == chosen
    marks = {node["name"]: node for node in note["nodes"]}
    assert set(marks) == {"control-plane", "node-1", "node-2"}
    assert marks["control-plane"]["feasible"] is False
    assert marks["control-plane"]["plugin"] == "TaintToleration"
    assert "untolerated taint" in marks["control-plane"]["reason"]
    assert marks[chosen]["feasible"] is True and marks[chosen]["reason"] == ""
    assert marks[chosen]["score"] == max(m["score"] for m in note["nodes"] if m["feasible"])
    assert note["feasible_nodes"] == 2


def test_a_pod_that_fits_nowhere_is_marked_before_its_pending_status(sandbox, alice):
    too_big = pod_manifest("too-big")
    too_big["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "64"}}
    received = messages_until_the_binding(sandbox, alice, too_big)

    note, status = received[-2], received[-1]
    assert note["type"] == "scheduling" and note["node"] is None
    assert note["message"].startswith("0/3 nodes are available")
    assert {node["reason"] for node in note["nodes"] if node["name"] != "control-plane"} == {
        "Insufficient cpu"
    }
    assert status["traces"][0]["subresource"] == "status"
