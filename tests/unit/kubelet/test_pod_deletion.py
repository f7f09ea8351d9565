"""Deleting a pod: the graceful way through the kubelet, and the forced way behind its back."""

from .harness import Node, make_pod, micro_stamp

SLEEPER = {"image": "busybox", "command": ["sleep", "3600"]}  # PID 1 ignores SIGTERM


def runtime_is_empty(node: Node) -> bool:
    runtime = node.state["runtime"]
    return runtime["sandboxes"] == runtime["containers"] == runtime["allocatedIps"] == {}


def kubelet_deletes(node: Node) -> list[tuple]:
    return [call for call in node.api.calls if call[:2] == ("delete", "pods")]


def test_a_terminating_pod_is_stopped_then_deleted_for_good_with_its_uid():
    node = Node(make_pod())
    node.ticks(0, 4)
    node.delete(10)  # kubectl delete: a 30 s grace period
    assert node.pod()["metadata"]["deletionGracePeriodSeconds"] == 30
    node.forget_calls()

    node.tick(10)  # nginx shuts down at once on SIGTERM

    assert ("Normal", "Killing", "Stopping container app") in node.events()
    assert kubelet_deletes(node) == [("delete", "pods", "web", 0, {"uid": "uid-web"})]
    assert ("default", "web") not in node.api.objects["pods"]
    assert node.state["pods"] == {}
    assert runtime_is_empty(node)


def test_a_container_that_ignores_sigterm_is_killed_when_the_grace_period_ends():
    node = Node(make_pod(**SLEEPER))
    node.ticks(0, 1)
    node.delete(10, grace_period_seconds=5)
    node.forget_calls()

    node.tick(10)
    assert kubelet_deletes(node) == []
    assert node.state["wake_at"] == micro_stamp(15)  # when SIGKILL comes

    node.tick(12)
    assert node.event_counts()["Stopping container app"] == 1

    node.tick(15)
    assert kubelet_deletes(node) == [("delete", "pods", "web", 0, {"uid": "uid-web"})]
    assert runtime_is_empty(node)


def test_a_pod_force_deleted_behind_the_kubelets_back_is_cleaned_off_the_node():
    node = Node(make_pod())
    node.ticks(0, 4)
    node.delete(4, grace_period_seconds=0)
    node.forget_calls()

    node.tick(5)

    assert runtime_is_empty(node)
    assert node.state["pods"] == {}
    assert node.api.writes() == []
