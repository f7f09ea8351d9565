"""The kubelet's heartbeats: the node's Lease and its status, each every 10 s."""

from cluster.components.runtime import lookup
from cluster.objects import format_time
from tests.unit.fakes import FakeApiError

from .harness import NODE, REGISTERED, Node, make_pod, micro_stamp, stamp


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


def test_node_status_is_posted_every_10_s_with_a_moving_heartbeat():
    node = Node()
    node.tick(0)
    first = {c["type"]: c for c in node.api.node(NODE)["status"]["conditions"]}
    node.forget_calls()
    node.tick(5)
    assert lease_and_status_writes(node) == []

    node.tick(10)

    assert ("update_status", "nodes", NODE) in lease_and_status_writes(node)
    conditions = node.api.node(NODE)["status"]["conditions"]
    assert [c["type"] for c in conditions] == [
        "MemoryPressure",
        "DiskPressure",
        "PIDPressure",
        "Ready",
    ]
    ready = conditions[-1]
    assert ready == {
        "type": "Ready",
        "status": "True",
        "reason": "KubeletReady",
        "message": "kubelet is posting ready status",
        "lastHeartbeatTime": stamp(10),
        "lastTransitionTime": format_time(REGISTERED),
    }
    assert first["Ready"]["lastHeartbeatTime"] == stamp(0)
    assert first["MemoryPressure"]["lastTransitionTime"] == stamp(0)  # new condition: it began
    assert conditions[0]["lastTransitionTime"] == stamp(0)


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
