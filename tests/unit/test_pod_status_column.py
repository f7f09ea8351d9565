"""kubectl's STATUS column (sandbox.pod_status), above all for pods with init containers."""

import pytest

from sandbox.pod_status import pod_status_label, restarts

RUNNING = {"running": {"startedAt": "2026-11-26T21:40:01Z"}}
INITIALIZING = {"waiting": {"reason": "PodInitializing"}}
DONE = {"terminated": {"exitCode": 0, "reason": "Completed"}}
ERROR = {"terminated": {"exitCode": 1, "reason": "Error"}}


def waiting(reason: str) -> dict:
    return {"waiting": {"reason": reason, "message": "..."}}


def pod(init_states, app_state=INITIALIZING, *, phase="Pending", initialized=False, restarts=0):
    return {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "initContainers": [{"name": f"init-{i}"} for i in range(len(init_states))],
            "containers": [{"name": "app"}],
        },
        "status": {
            "phase": phase,
            "conditions": [{"type": "Initialized", "status": "True" if initialized else "False"}],
            "initContainerStatuses": [
                {
                    "name": f"init-{i}",
                    "state": state,
                    "ready": state == DONE,
                    "restartCount": restarts,
                }
                for i, state in enumerate(init_states)
            ],
            "containerStatuses": [{"name": "app", "state": app_state, "ready": False}],
        },
    }


@pytest.mark.parametrize(
    ("init_states", "label"),
    [
        ([INITIALIZING, INITIALIZING], "Init:0/2"),
        ([RUNNING, INITIALIZING], "Init:0/2"),
        ([DONE, RUNNING], "Init:1/2"),
        ([DONE, ERROR], "Init:Error"),
        ([DONE, waiting("CrashLoopBackOff")], "Init:CrashLoopBackOff"),
        ([waiting("ErrImagePull"), INITIALIZING], "Init:ErrImagePull"),
        ([{"terminated": {"exitCode": 3}}, INITIALIZING], "Init:ExitCode:3"),
    ],
)
def test_while_initializing_the_first_unfinished_init_container_names_the_status(
    init_states, label
):
    assert pod_status_label(pod(init_states)) == label


def test_once_initialized_the_app_containers_waiting_reason_shows_pod_initializing():
    assert pod_status_label(pod([DONE, DONE], initialized=True)) == "PodInitializing"


def test_once_initialized_a_running_app_container_shows_the_phase():
    ready = pod([DONE, DONE], RUNNING, phase="Running", initialized=True)
    ready["status"]["containerStatuses"][0]["ready"] = True
    assert pod_status_label(ready) == "Running"


def test_a_pod_failed_by_its_init_container_under_restart_policy_never_shows_init_error():
    assert pod_status_label(pod([DONE, ERROR], phase="Failed")) == "Init:Error"


def test_restarts_count_the_init_containers_while_initializing_then_the_app_containers():
    crashing = pod([waiting("CrashLoopBackOff")], restarts=3)
    assert restarts(crashing) == 3
    initialized = pod([DONE], RUNNING, phase="Running", initialized=True, restarts=3)
    initialized["status"]["containerStatuses"][0]["restartCount"] = 1
    assert restarts(initialized) == 1


def test_the_first_app_containers_reason_wins_as_kubectl_walks_them_backwards():
    two = {
        "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {"name": "a", "state": waiting("CrashLoopBackOff"), "ready": False},
                {"name": "b", "state": waiting("ImagePullBackOff"), "ready": False},
            ],
        },
    }
    assert pod_status_label(two) == "CrashLoopBackOff"


def test_a_completed_container_beside_a_running_one_shows_running_or_not_ready():
    mixed = {
        "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {"name": "a", "state": RUNNING, "ready": True},
                {"name": "b", "state": DONE, "ready": False},
            ],
        },
    }
    assert pod_status_label(mixed) == "NotReady"
    mixed["status"]["conditions"][0]["status"] = "True"
    assert pod_status_label(mixed) == "Running"


def test_a_pod_without_init_containers_keeps_its_usual_labels():
    plain = {
        "spec": {"containers": [{"name": "app"}]},
        "status": {
            "phase": "Pending",
            "containerStatuses": [{"name": "app", "state": waiting("ContainerCreating")}],
        },
    }
    assert pod_status_label(plain) == "ContainerCreating"
    plain["metadata"] = {"deletionTimestamp": "2026-11-26T21:40:00Z"}
    assert pod_status_label(plain) == "Terminating"


def test_a_pod_deleted_on_a_lost_node_shows_unknown():
    lost = pod([DONE], RUNNING, phase="Running", initialized=True)
    lost["metadata"]["deletionTimestamp"] = "2026-11-26T21:40:00Z"
    lost["status"]["reason"] = "NodeLost"
    assert pod_status_label(lost) == "Unknown"


def test_a_finished_pod_being_deleted_keeps_its_last_words():
    finished = {
        "metadata": {"deletionTimestamp": "2026-11-26T21:40:00Z"},
        "spec": {"containers": [{"name": "app"}]},
        "status": {"phase": "Succeeded", "containerStatuses": [{"name": "app", "state": DONE}]},
    }
    assert pod_status_label(finished) == "Completed"


def test_a_pod_held_by_a_scheduling_gate_says_so():
    gated = {
        "spec": {"containers": [{"name": "app"}]},
        "status": {
            "phase": "Pending",
            "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
            ],
        },
    }
    assert pod_status_label(gated) == "SchedulingGated"
