"""Init containers: one at a time, in order, each to a zero exit, before the app containers."""

import pytest

from .harness import Node, make_pod, micro_stamp, stamp

JOB = "podlab/job:done-in-3s"  # pulled from 0 s to 1 s, it runs from 1 s and exits 0 at 4 s
SLEEP_2 = ["sh", "-c", "sleep 2"]  # busybox, pulled from 4 s to 5 s: runs from 5 s to 7 s
FAIL_AFTER_2 = ["sh", "-c", "sleep 2; exit 1"]
BACK_OFF = "back-off {} restarting failed container=init-b pod=web_default(uid-web)"


def init_pod(second_command=SLEEP_2, restart_policy="Always") -> dict:
    pod = make_pod(restart_policy=restart_policy)  # its app: nginx, a 4 s pull
    pod["spec"]["initContainers"] = [
        {"name": "init-a", "image": JOB},
        {"name": "init-b", "image": "busybox", "command": second_command},
    ]
    return pod


def init_statuses(node: Node) -> dict[str, dict]:
    return {s["name"]: s for s in node.status()["initContainerStatuses"]}


def states(node: Node) -> dict[str, dict]:
    status = node.status()
    return {s["name"]: s["state"] for s in status["initContainerStatuses"]} | {
        s["name"]: s["state"] for s in status["containerStatuses"]
    }


def started_order(node: Node) -> list[str]:
    return [message for _, reason, message in node.events() if reason == "Started"]


def test_init_containers_run_one_at_a_time_in_order_then_the_app_containers():
    node = Node(init_pod())

    node.ticks(0, 1)
    assert states(node) == {
        "init-a": {"running": {"startedAt": stamp(1)}},
        "init-b": {"waiting": {"reason": "PodInitializing"}},
        "app": {"waiting": {"reason": "PodInitializing"}},
    }
    node.tick(4)  # init-a exits 0; init-b's image is pulled
    assert "terminated" in states(node)["init-a"]
    assert states(node)["init-b"] == {"waiting": {"reason": "PodInitializing"}}
    node.ticks(5, 7)  # init-b runs from 5 s to 7 s; the app's pull begins
    assert states(node)["app"] == {"waiting": {"reason": "PodInitializing"}}
    assert node.status()["phase"] == "Pending"

    node.tick(11)
    assert states(node)["app"] == {"running": {"startedAt": stamp(11)}}
    assert node.status()["phase"] == "Running"
    assert started_order(node) == [
        "Started container init-a",
        "Started container init-b",
        "Started container app",
    ]


def test_init_container_statuses_follow_the_spec_and_are_ready_once_they_exited_0():
    node = Node(init_pod())
    node.ticks(0, 1, 4)

    [first, second] = node.status()["initContainerStatuses"]
    assert (first["name"], second["name"]) == ("init-a", "init-b")
    assert first["state"]["terminated"] | {"containerID": ""} == {
        "exitCode": 0,
        "reason": "Completed",
        "startedAt": stamp(1),
        "finishedAt": stamp(4),
        "containerID": "",
    }
    assert first["ready"] is True and first["started"] is False
    assert first["restartCount"] == 0 and first["lastState"] == {}
    assert first["imageID"].startswith("docker.io/podlab/job@sha256:")
    assert second["ready"] is second["started"] is False

    node.tick(5)
    assert init_statuses(node)["init-b"]["started"] is True
    assert init_statuses(node)["init-b"]["ready"] is False  # running is not done


def test_initialized_is_false_naming_the_incomplete_init_containers_until_all_exited_0():
    node = Node(init_pod())
    node.ticks(0, 1)
    initialized = node.conditions()["Initialized"]
    assert (initialized["status"], initialized["reason"], initialized["message"]) == (
        "False",
        "ContainersNotInitialized",
        "containers with incomplete status: [init-a init-b]",
    )
    assert node.conditions()["Ready"]["message"] == "containers with unready status: [app]"

    node.tick(4)
    assert node.conditions()["Initialized"]["message"] == (
        "containers with incomplete status: [init-b]"
    )

    node.ticks(5, 7)
    initialized = node.conditions()["Initialized"]
    assert initialized["status"] == "True"
    assert "reason" not in initialized and "message" not in initialized
    assert initialized["lastTransitionTime"] == stamp(7)
    assert node.conditions()["Ready"]["status"] == "False"  # the app is still pulling


@pytest.mark.parametrize("restart_policy", ["Always", "OnFailure"])
def test_a_failing_init_container_is_restarted_with_back_off_and_the_pod_stays_pending(
    restart_policy,
):
    node = Node(init_pod(FAIL_AFTER_2, restart_policy))
    node.ticks(0, 1, 4, 5, 7)  # fails at 7 s, restarted at once
    assert init_statuses(node)["init-b"]["restartCount"] == 1

    node.tick(9)  # fails again: back-off 10 s
    init_b = init_statuses(node)["init-b"]
    assert init_b["state"] == {
        "waiting": {"reason": "CrashLoopBackOff", "message": BACK_OFF.format("10s")}
    }
    assert init_b["lastState"]["terminated"]["exitCode"] == 1
    assert init_b["lastState"]["terminated"]["reason"] == "Error"
    assert node.status()["phase"] == "Pending"
    assert (
        "Warning",
        "BackOff",
        "Back-off restarting failed container init-b in pod web_default(uid-web)",
    ) in node.events()
    node.tick(10)
    assert node.state["wake_at"] == micro_stamp(19)  # the kubelet wakes when the back-off ends

    node.ticks(18, 19)
    assert init_statuses(node)["init-b"]["restartCount"] == 2
    assert init_statuses(node)["init-b"]["state"] == {"running": {"startedAt": stamp(19)}}
    node.tick(21)
    assert init_statuses(node)["init-b"]["state"]["waiting"]["message"] == BACK_OFF.format("20s")
    assert states(node)["app"] == {"waiting": {"reason": "PodInitializing"}}
    assert "Started container app" not in started_order(node)
    assert node.conditions()["Initialized"]["status"] == "False"


def test_under_restart_policy_never_a_failed_init_container_fails_the_pod():
    node = Node(init_pod(FAIL_AFTER_2, "Never"))
    node.ticks(0, 1, 4, 5, 7, 30)

    status = node.status()
    assert status["phase"] == "Failed"
    init_b = init_statuses(node)["init-b"]
    assert init_b["state"]["terminated"]["reason"] == "Error"
    assert init_b["restartCount"] == 0
    assert states(node)["app"] == {"waiting": {"reason": "PodInitializing"}}
    assert started_order(node) == ["Started container init-a", "Started container init-b"]
    conditions = node.conditions()
    assert conditions["Initialized"]["message"] == "containers with incomplete status: [init-b]"
    assert conditions["Ready"]["reason"] == "PodFailed"
    assert conditions["PodReadyToStartContainers"]["status"] == "False"  # its sandbox stopped


def test_under_restart_policy_never_init_containers_that_succeed_let_the_app_run():
    node = Node(init_pod(restart_policy="Never"))
    node.ticks(0, 1, 4, 5, 7, 11)
    assert node.status()["phase"] == "Running"


def test_init_containers_are_not_run_again_when_an_app_container_restarts():
    pod = init_pod()
    pod["spec"]["containers"][0]["image"] = "podlab/crash:exit-1-after-5s"
    node = Node(pod)
    node.ticks(0, 1, 4, 5, 7, 8, 13)  # the app starts at 8 s, crashes at 13 s, restarts

    assert started_order(node).count("Started container init-a") == 1
    assert node.container()["restartCount"] == 1
    assert node.conditions()["Initialized"]["status"] == "True"


def test_deleting_a_pod_stops_its_running_init_container():
    node = Node(init_pod())
    node.ticks(0, 1)
    node.delete(2, grace_period_seconds=5)
    node.tick(2)
    assert ("Normal", "Killing", "Stopping container init-a") in node.events()


def test_an_init_container_whose_image_cannot_be_pulled_holds_the_pod_back():
    pod = init_pod()
    pod["spec"]["initContainers"][0]["image"] = "nosuch"
    node = Node(pod)
    node.ticks(0, 5)

    assert states(node)["init-a"]["waiting"]["reason"] in {"ErrImagePull", "ImagePullBackOff"}
    assert (
        states(node)["init-b"] == states(node)["app"] == {"waiting": {"reason": "PodInitializing"}}
    )
    assert node.status()["phase"] == "Pending"
    assert started_order(node) == []


def test_each_container_s_events_name_it_as_their_field_path():
    node = Node(init_pod())
    node.ticks(0, 1, 4, 5, 7, 11)
    parts = {
        (e["reason"], e["message"]): e["involvedObject"].get("fieldPath") for e in node.api.events()
    }
    assert parts[("Started", "Started container init-a")] == "spec.initContainers{init-a}"
    assert parts[("Pulling", 'Pulling image "busybox"')] == "spec.initContainers{init-b}"
    assert parts[("Created", "Created container: app")] == "spec.containers{app}"
    assert parts[("Started", "Started container app")] == "spec.containers{app}"
