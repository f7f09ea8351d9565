"""The kubelet's heartbeats: the Lease every 10 s; node status when it changed or every 5 min."""

from cluster.components.runtime import lookup
from cluster.objects import format_time
from tests.unit.fakes import FakeApiError

from .harness import NODE, REGISTERED, Node, at, make_pod, micro_stamp, stamp


def lease_and_status_writes(node: Node) -> list[tuple]:
    return [call[:3] for call in node.api.writes() if call[1] in {"leases", "nodes"}]


def test_the_first_tick_creates_the_lease_in_kube_node_lease():
    node = Node()
    node.tick(0)

    lease = node.api.lease(NODE)
    assert lease["apiVersion"] == "coordination.k8s.io/v1"
    assert lease["kind"] == "Lease"
    assert (lease["metadata"]["name"], lease["metadata"]["namespace"]) == (NODE, "kube-node-lease")
    assert lease["spec"] == {
        "holderIdentity": NODE,
        "leaseDurationSeconds": 40,
        "renewTime": micro_stamp(0),
    }


def test_the_lease_is_renewed_only_once_10_s_have_passed():
    node = Node()
    node.tick(0.5)
    node.forget_calls()

    node.ticks(5, 10.4)
    assert lease_and_status_writes(node) == []
    assert node.api.lease(NODE)["spec"]["renewTime"] == micro_stamp(0.5)

    node.tick(10.5)
    assert ("update", "leases", NODE) in lease_and_status_writes(node)
    assert node.api.lease(NODE)["spec"]["renewTime"] == micro_stamp(10.5)


def node_writes(node: Node) -> list[tuple]:
    return [call[:3] for call in node.api.writes() if call[1] == "nodes"]


def conditions(node: Node) -> dict[str, dict]:
    return {c["type"]: c for c in node.api.node(NODE)["status"]["conditions"]}


def set_ready_unknown(node: Node, seconds: float) -> None:
    """What the node lifecycle controller writes when the Lease has not been renewed."""
    node.clock.current = at(seconds)
    changed = node.api.node(NODE)
    ready = next(c for c in changed["status"]["conditions"] if c["type"] == "Ready")
    ready.update(
        status="Unknown",
        reason="NodeStatusUnknown",
        message="Kubelet stopped posting node status.",
        lastTransitionTime=stamp(seconds),
    )
    node.api.put("nodes", changed)


def test_the_first_tick_reports_node_status_with_the_kubelets_conditions():
    node = Node()
    node.tick(0)

    assert ("update_status", "nodes", NODE) in lease_and_status_writes(node)
    status = node.api.node(NODE)["status"]
    assert [c["type"] for c in status["conditions"]] == [
        "MemoryPressure",
        "DiskPressure",
        "PIDPressure",
        "Ready",
    ]
    assert conditions(node)["Ready"] == {
        "type": "Ready",
        "status": "True",
        "reason": "KubeletReady",
        "message": "kubelet is posting ready status",
        "lastHeartbeatTime": stamp(0),
        "lastTransitionTime": format_time(REGISTERED),
    }
    memory = conditions(node)["MemoryPressure"]
    assert memory["lastTransitionTime"] == memory["lastHeartbeatTime"] == stamp(0)  # it began


def test_unchanged_node_status_is_not_written_while_the_lease_is_renewed_every_10_s():
    node = Node()
    node.tick(0)
    node.forget_calls()

    for moment in range(10, 300, 10):
        node.tick(moment)
        assert node.api.lease(NODE)["spec"]["renewTime"] == micro_stamp(moment)
        assert node.state["wake_at"] == micro_stamp(moment + 10)

    assert node_writes(node) == []
    assert lease_and_status_writes(node) == [("update", "leases", NODE)] * 29
    assert conditions(node)["Ready"]["lastHeartbeatTime"] == stamp(0)  # moves only at reports


def test_unchanged_node_status_is_reported_again_5_minutes_after_the_last_report():
    node = Node()
    node.tick(0)
    node.ticks(*range(10, 300, 10))
    node.forget_calls()

    node.tick(300)

    assert node_writes(node) == [("update_status", "nodes", NODE)]
    ready = conditions(node)["Ready"]
    assert ready["lastHeartbeatTime"] == stamp(300)
    assert ready["lastTransitionTime"] == format_time(REGISTERED)
    node.forget_calls()
    node.ticks(310, 320)
    assert node_writes(node) == []


def test_a_condition_changed_by_someone_else_is_set_right_at_the_next_status_update():
    node = Node()
    node.ticks(0, 10)
    set_ready_unknown(node, 12)
    node.forget_calls()

    node.tick(15)  # status is computed every 10 s, not at every tick
    assert node_writes(node) == []

    node.tick(20)
    assert node_writes(node) == [("update_status", "nodes", NODE)]
    ready = conditions(node)["Ready"]
    assert (ready["status"], ready["reason"]) == ("True", "KubeletReady")
    assert ready["lastTransitionTime"] == ready["lastHeartbeatTime"] == stamp(20)
    assert conditions(node)["MemoryPressure"]["lastHeartbeatTime"] == stamp(20)


def test_new_images_on_the_node_are_written_at_the_next_status_update():
    node = Node()
    node.ticks(0, 10)
    node.add(make_pod())
    node.ticks(11, 15)  # nginx pulled from 11 s to 15 s
    node.forget_calls()

    node.tick(20)

    assert node_writes(node) == [("update_status", "nodes", NODE)]
    names = [image["names"][-1] for image in node.api.node(NODE)["status"]["images"]]
    assert "docker.io/library/nginx:latest" in names
    assert conditions(node)["Ready"]["lastHeartbeatTime"] == stamp(20)


def test_node_status_lists_the_images_the_runtime_has():
    node = Node(make_pod())
    node.ticks(0, 4, 10)

    nginx, pause = lookup("nginx"), lookup("registry.k8s.io/pause:3.10")
    assert node.api.node(NODE)["status"]["images"] == [
        {"names": [nginx.image_id, "docker.io/library/nginx:latest"], "sizeBytes": 72_404_038},
        {"names": [pause.image_id, "registry.k8s.io/pause:3.10"], "sizeBytes": 320_368},
    ]


def test_a_heartbeat_that_loses_a_race_is_retried_at_the_next_tick(monkeypatch):
    node = Node()
    real_update_status = node.api.update_status
    answers = iter([FakeApiError(409, "Conflict", "the object has been modified")])

    def racing_update_status(resource, obj, **options):
        if error := next(answers, None):
            raise error
        return real_update_status(resource, obj, **options)

    monkeypatch.setattr(node.api, "update_status", racing_update_status)
    node.tick(0)
    assert node.api.node(NODE)["status"]["conditions"][0]["type"] == "Ready"  # as registered

    node.tick(1)
    assert node.api.node(NODE)["status"]["conditions"][-1]["lastHeartbeatTime"] == stamp(1)


def test_a_node_deleted_from_the_api_does_not_stop_the_kubelet():
    node = Node(make_pod())
    node.api.objects["nodes"].clear()

    node.ticks(0, 4)

    assert node.status()["phase"] == "Running"
    assert "hostIP" not in node.status()


def test_a_node_running_pods_writes_its_status_only_when_its_images_change():
    node = Node(make_pod(), make_pod("sleeper", "busybox", command=["sleep", "3600"]))
    node.ticks(*range(0, 300, 5))

    posts = [call for call in node.api.writes() if call[:2] == ("update_status", "nodes")]
    assert len(posts) == 2  # the first report, then the images pulled by 4 s, at 10 s
    assert conditions(node)["Ready"]["lastHeartbeatTime"] == stamp(10)


def node_events(node: Node) -> list[tuple[str, str, int]]:
    """(reason, message, count) of the Node's events, as the kubelet names its Node."""
    return [
        (e["reason"], e["message"], e["count"])
        for e in node.api.events()
        if (e["involvedObject"]["kind"], e["involvedObject"]["uid"]) == ("Node", NODE)
    ]


def test_the_kubelet_tells_of_its_start_and_each_condition_it_sets_on_the_node_s_events():
    node = Node()
    node.ticks(0, 10, 20)
    assert node_events(node) == [
        ("Starting", "Starting kubelet.", 1),
        ("NodeAllocatableEnforced", "Updated Node Allocatable limit across pods", 1),
        ("NodeHasSufficientMemory", f"Node {NODE} status is now: NodeHasSufficientMemory", 1),
        ("NodeHasNoDiskPressure", f"Node {NODE} status is now: NodeHasNoDiskPressure", 1),
        ("NodeHasSufficientPID", f"Node {NODE} status is now: NodeHasSufficientPID", 1),
        ("NodeReady", f"Node {NODE} status is now: NodeReady", 1),
    ]
    [event] = [e for e in node.api.events() if e["reason"] == "NodeReady"]
    assert event["metadata"]["namespace"] == "default"
    assert event["source"] == {"component": "kubelet", "host": NODE}


def test_a_node_made_ready_again_by_its_kubelet_gets_a_node_ready_event_again():
    node = Node()
    node.ticks(0, 10)
    set_ready_unknown(node, 12)
    node.tick(20)
    reasons = [reason for reason, _, _ in node_events(node)]
    assert reasons.count("NodeReady") == 1 and reasons.count("NodeHasSufficientMemory") == 1
    assert dict((r, c) for r, _, c in node_events(node))["NodeReady"] == 2  # (x2 over ...)
