"""A pod bound to the node: sandbox, image pull, container start, and the status reported."""

from cluster.components.runtime import lookup
from cluster.components.runtime.records import container_id_for, sandbox_id_for

from .harness import FIRST_POD_IP, NODE, NODE_IP, SCHEDULED, Node, make_pod, stamp

NGINX = lookup("nginx")
NGINX_BYTES = 72_404_038  # at 20 MB/s: a 4 s pull


def container_id(pod_uid: str, attempt: int = 0, name: str = "app") -> str:
    return "containerd://" + container_id_for(sandbox_id_for(NODE, pod_uid, 0), name, attempt)


def test_while_the_image_pulls_the_pod_is_pending_in_container_creating():
    node = Node(make_pod())
    node.tick(0)

    assert node.events() == [("Normal", "Pulling", 'Pulling image "nginx"')]
    assert node.status() == {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodReadyToStartContainers",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": stamp(0),
            },
            {
                "type": "Initialized",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": stamp(0),
            },
            {
                "type": "Ready",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": stamp(0),
                "reason": "ContainersNotReady",
                "message": "containers with unready status: [app]",
            },
            {
                "type": "ContainersReady",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": stamp(0),
                "reason": "ContainersNotReady",
                "message": "containers with unready status: [app]",
            },
            SCHEDULED,
        ],
        "hostIP": NODE_IP,
        "hostIPs": [{"ip": NODE_IP}],
        "podIP": FIRST_POD_IP,
        "podIPs": [{"ip": FIRST_POD_IP}],
        "startTime": stamp(0),
        "containerStatuses": [
            {
                "name": "app",
                "image": "nginx",
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "started": False,
                "state": {"waiting": {"reason": "ContainerCreating"}},
                "lastState": {},
            }
        ],
    }


def test_once_pulled_the_container_is_created_started_and_the_pod_runs_ready():
    node = Node(make_pod())
    node.ticks(0, 4)

    assert node.events() == [
        ("Normal", "Pulling", 'Pulling image "nginx"'),
        (
            "Normal",
            "Pulled",
            f'Successfully pulled image "nginx" in 4s (4s including waiting).'
            f" Image size: {NGINX_BYTES} bytes.",
        ),
        ("Normal", "Created", "Created container: app"),
        ("Normal", "Started", "Started container app"),
    ]
    status = node.status()
    assert status["phase"] == "Running"
    assert (status["podIP"], status["hostIP"], status["startTime"]) == (
        FIRST_POD_IP,
        NODE_IP,
        stamp(0),
    )
    assert node.container() == {
        "name": "app",
        "image": "docker.io/library/nginx:latest",
        "imageID": NGINX.image_id,
        "containerID": container_id("uid-web"),
        "ready": True,
        "restartCount": 0,
        "started": True,
        "state": {"running": {"startedAt": stamp(4)}},
        "lastState": {},
    }
    conditions = node.conditions()
    assert {kind: c["status"] for kind, c in conditions.items()} == {
        "PodReadyToStartContainers": "True",
        "Initialized": "True",
        "Ready": "True",
        "ContainersReady": "True",
        "PodScheduled": "True",
    }
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert conditions["Ready"] == {
        "type": "Ready",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": stamp(4),
    }
    assert conditions["Initialized"]["lastTransitionTime"] == stamp(0)
    assert conditions["PodScheduled"] == SCHEDULED


def test_a_second_pod_with_a_cached_image_starts_without_pulling():
    node = Node(make_pod())
    node.ticks(0, 4)
    node.add(make_pod("second"))
    node.tick(5)

    assert node.events("second") == [
        ("Normal", "Pulled", 'Container image "nginx" already present on machine'),
        ("Normal", "Created", "Created container: app"),
        ("Normal", "Started", "Started container app"),
    ]
    assert node.status("second")["phase"] == "Running"
    assert node.status("second")["podIP"] == "10.244.1.3"


def test_image_pull_policy_always_pulls_even_a_cached_image():
    node = Node(make_pod())
    node.ticks(0, 4)
    node.add(make_pod("second", imagePullPolicy="Always"))
    node.tick(5)

    assert node.events("second") == [
        ("Normal", "Pulling", 'Pulling image "nginx"'),
        (
            "Normal",
            "Pulled",
            f'Successfully pulled image "nginx" in 0s (0s including waiting).'
            f" Image size: {NGINX_BYTES} bytes.",
        ),
        ("Normal", "Created", "Created container: app"),
        ("Normal", "Started", "Started container app"),
    ]


def test_image_pull_policy_never_waits_for_an_image_the_node_lacks():
    node = Node(make_pod(imagePullPolicy="Never"))
    node.tick(0)

    message = 'Container image "nginx" is not present with pull policy of Never'
    assert node.container()["state"] == {
        "waiting": {"reason": "ErrImageNeverPull", "message": message}
    }
    assert node.events() == [
        ("Warning", "ErrImageNeverPull", message),
        ("Warning", "Failed", "Error: ErrImageNeverPull"),
    ]
    assert node.status()["phase"] == "Pending"


def test_pulls_queue_on_the_node_and_the_event_counts_the_waiting():
    node = Node(make_pod("first"), make_pod("second", "redis"))  # synced in name order
    node.ticks(0, 4, 7)  # nginx downloads 0-4 s, then redis 4-7 s

    assert node.events("second")[:2] == [
        ("Normal", "Pulling", 'Pulling image "redis"'),
        (
            "Normal",
            "Pulled",
            'Successfully pulled image "redis" in 3s (7s including waiting).'
            " Image size: 45127322 bytes.",
        ),
    ]
    assert node.status("second")["phase"] == "Running"


def test_containers_start_in_order_each_after_its_pull():
    pod = make_pod()
    pod["spec"]["containers"] = [
        {"name": "web", "image": "nginx"},
        {"name": "sidecar", "image": "busybox", "command": ["sleep", "3600"]},
    ]
    node = Node(pod)
    node.tick(0)

    assert node.events() == [("Normal", "Pulling", 'Pulling image "nginx"')]
    status = node.status()
    assert [c["name"] for c in status["containerStatuses"]] == ["sidecar", "web"]  # by name
    assert node.conditions()["Ready"]["message"] == "containers with unready status: [web sidecar]"

    node.ticks(4, 5)  # busybox downloads 4-5 s, after nginx

    assert [reason for _, reason, _ in node.events()] == [
        "Pulling",
        "Pulled",
        "Created",
        "Started",
        "Pulling",
        "Pulled",
        "Created",
        "Started",
    ]
    assert [event[2] for event in node.events()][-2:] == [
        "Created container: sidecar",
        "Started container sidecar",
    ]
    assert node.status()["phase"] == "Running"
    assert node.conditions()["Ready"]["status"] == "True"


def test_an_image_name_that_does_not_parse_is_invalid_and_not_pulled():
    node = Node(make_pod(image="NGINX"))
    node.tick(0)

    message = (
        'Failed to apply default image tag "NGINX": couldn\'t parse image name "NGINX": '
        "invalid reference format: repository name (library/NGINX) must be lowercase"
    )
    assert node.container()["state"] == {
        "waiting": {"reason": "InvalidImageName", "message": message}
    }
    assert node.events() == [
        ("Warning", "InspectFailed", message),
        ("Warning", "Failed", "Error: InvalidImageName"),
    ]
