"""What happens when a container exits: restartPolicy, exit code, CrashLoopBackOff, OOMKilled."""

from cluster.components.runtime.records import container_id_for, sandbox_id_for

from .harness import FIRST_POD_IP, NODE, Node, make_pod, stamp

CRASH = "podlab/crash:exit-1-after-5s"  # a 1 s pull; started at 1 s, it crashes at 6 s
JOB = "podlab/job:done-in-3s"  # started at 1 s, it exits 0 at 4 s
BACK_OFF_EVENT = "Back-off restarting failed container app in pod web_default(uid-web)"


def container_id(attempt: int) -> str:
    return "containerd://" + container_id_for(sandbox_id_for(NODE, "uid-web", 0), "app", attempt)


def terminated(attempt: int, started: float, finished: float, code: int, reason: str) -> dict:
    return {
        "terminated": {
            "exitCode": code,
            "reason": reason,
            "startedAt": stamp(started),
            "finishedAt": stamp(finished),
            "containerID": container_id(attempt),
        }
    }


def back_off(seconds: str) -> dict:
    return {
        "waiting": {
            "reason": "CrashLoopBackOff",
            "message": (
                f"back-off {seconds} restarting failed container=app pod=web_default(uid-web)"
            ),
        }
    }


def test_always_restarts_after_the_first_crash_at_once():
    node = Node(make_pod(image=CRASH))
    node.ticks(0, 1, 6)

    container = node.container()
    assert container["restartCount"] == 1
    assert container["state"] == {"running": {"startedAt": stamp(6)}}
    assert container["lastState"] == terminated(0, 1, 6, 1, "Error")
    assert container["containerID"] == container_id(1)
    assert node.status()["phase"] == "Running"
    counts = node.event_counts()
    assert counts['Container image "podlab/crash:exit-1-after-5s" already present on machine'] == 1
    assert counts["Created container: app"] == counts["Started container app"] == 2
    assert BACK_OFF_EVENT not in counts


def test_always_backs_off_10_s_after_the_second_crash_then_restarts():
    node = Node(make_pod(image=CRASH))
    node.ticks(0, 1, 6, 11)

    container = node.container()
    assert container["state"] == back_off("10s")
    assert container["lastState"] == terminated(1, 6, 11, 1, "Error")
    assert container["restartCount"] == 1
    assert container["ready"] is container["started"] is False
    assert node.status()["phase"] == "Running"
    assert node.conditions()["Ready"]["reason"] == "ContainersNotReady"
    assert ("Warning", "BackOff", BACK_OFF_EVENT) in node.events()

    node.tick(20.9)
    assert node.container()["state"] == back_off("10s")

    node.tick(21)
    container = node.container()
    assert container["restartCount"] == 2
    assert container["state"] == {"running": {"startedAt": stamp(21)}}
    assert container["lastState"] == terminated(1, 6, 11, 1, "Error")


def test_always_doubles_the_back_off_after_each_crash_and_stays_running():
    node = Node(make_pod(image=CRASH))
    phases = []
    for moment in (0, 1, 6, 11, 21, 26, 45, 46):
        node.tick(moment)
        phases.append(node.status()["phase"])

    assert node.container()["restartCount"] == 3
    assert "running" in node.container()["state"]
    assert phases == ["Pending", "Running", *["Running"] * 6]

    node.tick(51)  # the fourth crash
    assert node.container()["state"] == back_off("40s")
    assert node.event_counts()[BACK_OFF_EVENT] == 4  # one per sync spent backing off


def test_a_container_that_ran_ten_minutes_is_restarted_at_once_again():
    node = Node(make_pod(image="podlab/crash:exit-1-after-600s"))
    node.ticks(0, 1, 601, 1201)

    container = node.container()
    assert container["restartCount"] == 2
    assert container["state"] == {"running": {"startedAt": stamp(1201)}}


def test_always_restarts_even_a_container_that_completed():
    node = Node(make_pod(image=JOB))
    node.ticks(0, 1, 4)

    container = node.container()
    assert container["restartCount"] == 1
    assert container["lastState"] == terminated(0, 1, 4, 0, "Completed")
    assert node.status()["phase"] == "Running"


def test_on_failure_lets_a_successful_container_finish_and_the_pod_succeed():
    node = Node(make_pod(image=JOB, restart_policy="OnFailure"))
    node.ticks(0, 1, 4)

    status = node.status()
    assert status["phase"] == "Succeeded"
    assert node.container()["state"] == terminated(0, 1, 4, 0, "Completed")
    assert node.container()["restartCount"] == 0
    assert node.container()["lastState"] == {}
    conditions = node.conditions()
    assert conditions["PodReadyToStartContainers"]["status"] == "False"
    assert (conditions["Initialized"]["status"], conditions["Initialized"]["reason"]) == (
        "True",
        "PodCompleted",
    )
    for kind in ("Ready", "ContainersReady"):
        assert conditions[kind] == {
            "type": kind,
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": stamp(4),  # ready while the job ran
            "reason": "PodCompleted",
        }
    assert status["podIP"] == FIRST_POD_IP  # reported still, though given back to the node
    assert node.state["runtime"]["allocatedIps"] == {}

    events_before = node.events()
    node.tick(60)
    assert node.events() == events_before
    assert node.status() == status


def test_on_failure_restarts_a_failed_container():
    node = Node(make_pod(image=CRASH, restart_policy="OnFailure"))
    node.ticks(0, 1, 6)

    assert node.container()["restartCount"] == 1
    assert node.container()["lastState"] == terminated(0, 1, 6, 1, "Error")
    assert node.status()["phase"] == "Running"


def test_never_leaves_a_failed_container_and_the_pod_fails():
    node = Node(make_pod(image=CRASH, restart_policy="Never"))
    node.ticks(0, 1, 6, 30)

    assert node.status()["phase"] == "Failed"
    assert node.container()["state"] == terminated(0, 1, 6, 1, "Error")
    assert node.container()["restartCount"] == 0
    assert node.conditions()["Ready"]["reason"] == "PodFailed"
    assert node.conditions()["ContainersReady"]["reason"] == "PodFailed"
    assert node.event_counts()["Started container app"] == 1


def test_never_with_a_successful_container_succeeds():
    node = Node(make_pod(image=JOB, restart_policy="Never"))
    node.ticks(0, 1, 4)

    assert node.status()["phase"] == "Succeeded"
    assert node.container()["state"] == terminated(0, 1, 4, 0, "Completed")


def test_a_container_over_its_memory_limit_is_oom_killed():
    # 256Mi allocated evenly over 4 s crosses a 128Mi limit after 2 s.
    pod = make_pod(image="podlab/memory-hog:256Mi-after-4s", restart_policy="Never")
    pod["spec"]["containers"][0]["resources"] = {"limits": {"memory": "128Mi"}}
    node = Node(pod)
    node.ticks(0, 1, 3)

    assert node.container()["state"] == terminated(0, 1, 3, 137, "OOMKilled")
    assert node.status()["phase"] == "Failed"


def test_a_back_off_over_a_minute_reads_as_go_prints_it():
    node = Node(make_pod(image="podlab/crash:exit-1-after-1s"))
    # Crashes at 2 (restarted at once), 3 (+10 s), 14 (+20 s), 35 (+40 s) and 76 s.
    node.ticks(0, 1, 2, 3, 13, 14, 34, 35, 75, 76)

    assert node.container()["state"] == back_off("1m20s")
    assert node.container()["restartCount"] == 4


def test_only_the_newest_dead_container_is_kept_on_the_node():
    node = Node(make_pod(image=CRASH))
    node.ticks(0, 1, 6, 11, 21)  # three containers have run; the third runs now

    kept = [c["attempt"] for c in node.state["runtime"]["containers"].values()]
    assert sorted(kept) == [1, 2]


def test_a_pod_the_api_reports_finished_is_not_started_again():
    pod = make_pod(image="podlab/job:done-in-3s", restart_policy="Never")
    pod["status"]["phase"] = "Succeeded"
    node = Node(pod)  # e.g. a kubelet that lost its memory

    node.tick(0)

    assert ("update_status", "pods", "web") not in node.api.writes()
    assert node.events() == []
    assert node.state["runtime"]["sandboxes"] == {}
