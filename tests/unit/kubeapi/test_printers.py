"""The Table kubectl prints (kubeapi.printers): columns, cells and ages as upstream's."""

import datetime as dt

import pytest

from cluster.objects import format_micro_time, format_time
from kubeapi.printers import human_duration, table

NOW = dt.datetime(2026, 11, 26, 21, 40, tzinfo=dt.UTC)


def ago(**elapsed: float) -> str:
    return format_time(NOW - dt.timedelta(**elapsed))


def meta(name: str, *, age: dict | None = None, **fields) -> dict:
    return {"name": name, "creationTimestamp": ago(**(age or {"minutes": 5})), **fields}


def one_row(resource: str, obj: dict, **options) -> dict:
    printed = table(resource, [obj], now=NOW, resource_version="42", **options)
    return printed["rows"][0]


def cells(resource: str, obj: dict) -> list:
    return one_row(resource, obj)["cells"]


def columns(resource: str) -> list[tuple[str, str, int]]:
    printed = table(resource, [], now=NOW, resource_version="1")
    return [(c["name"], c["type"], c["priority"]) for c in printed["columnDefinitions"]]


def running_pod(**status_fields) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta("web", uid="u-1", labels={"run": "web"}),
        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx"}]},
        "status": {
            "phase": "Running",
            "podIP": "10.244.1.5",
            "podIPs": [{"ip": "10.244.1.5"}],
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": ago(minutes=4)}},
                }
            ],
            **status_fields,
        },
    }


@pytest.mark.parametrize(
    ("elapsed", "text"),
    [
        (dt.timedelta(seconds=-3), "<invalid>"),
        (dt.timedelta(seconds=-1), "0s"),
        (dt.timedelta(0), "0s"),
        (dt.timedelta(seconds=59.9), "59s"),
        (dt.timedelta(seconds=119), "119s"),
        (dt.timedelta(minutes=2), "2m"),
        (dt.timedelta(minutes=3, seconds=20), "3m20s"),
        (dt.timedelta(minutes=9, seconds=59), "9m59s"),
        (dt.timedelta(minutes=10, seconds=30), "10m"),
        (dt.timedelta(minutes=179, seconds=59), "179m"),
        (dt.timedelta(hours=3), "3h"),
        (dt.timedelta(hours=7, minutes=30), "7h30m"),
        (dt.timedelta(hours=8, minutes=30), "8h"),
        (dt.timedelta(hours=47, minutes=59), "47h"),
        (dt.timedelta(hours=48), "2d"),
        (dt.timedelta(days=2, hours=5), "2d5h"),
        (dt.timedelta(days=5), "5d"),
        (dt.timedelta(days=7, hours=23), "7d23h"),
        (dt.timedelta(days=8, hours=5), "8d"),
        (dt.timedelta(days=400), "400d"),
        (dt.timedelta(days=730), "2y"),
        (dt.timedelta(days=800), "2y70d"),
        (dt.timedelta(days=365 * 8 + 100), "8y"),
    ],
)
def test_human_duration_follows_upstreams_precision_steps(elapsed, text):
    assert human_duration(elapsed) == text


def test_table_envelope_carries_resource_version_and_continue_only_when_given():
    printed = table("pods", [], now=NOW, resource_version="7", continue_token="abc")
    assert printed["kind"] == "Table"
    assert printed["apiVersion"] == "meta.k8s.io/v1"
    assert printed["metadata"] == {"resourceVersion": "7", "continue": "abc"}
    assert printed["rows"] == []
    assert table("pods", [], now=NOW, resource_version="7")["metadata"] == {"resourceVersion": "7"}


def test_pod_columns_are_upstreams_with_the_wide_ones_at_priority_1():
    assert columns("pods") == [
        ("Name", "string", 0),
        ("Ready", "string", 0),
        ("Status", "string", 0),
        ("Restarts", "string", 0),
        ("Age", "string", 0),
        ("IP", "string", 1),
        ("Node", "string", 1),
        ("Nominated Node", "string", 1),
        ("Readiness Gates", "string", 1),
    ]
    name = table("pods", [], now=NOW, resource_version="1")["columnDefinitions"][0]
    assert name["format"] == "name"
    assert name["description"]


def test_running_pod_row():
    assert cells("pods", running_pod()) == [
        "web",
        "1/1",
        "Running",
        "0",
        "5m",
        "10.244.1.5",
        "node-1",
        "<none>",
        "<none>",
    ]


def test_unscheduled_pod_shows_none_for_ip_and_node():
    pod = running_pod(phase="Pending", podIPs=[], podIP="", containerStatuses=[])
    pod["spec"].pop("nodeName")
    row = cells("pods", pod)
    assert row[1:3] == ["0/1", "Pending"]
    assert row[5:7] == ["<none>", "<none>"]


def test_restarts_say_how_long_ago_the_last_container_terminated():
    pod = running_pod()
    pod["status"]["containerStatuses"][0].update(
        restartCount=3,
        lastState={"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(minutes=4)}},
    )
    assert cells("pods", pod)[3] == "3 (4m ago)"


def test_restarts_of_several_containers_add_up_and_the_latest_termination_counts():
    pod = running_pod()
    older = {"terminated": {"exitCode": 1, "finishedAt": ago(hours=2)}}
    newer = {"terminated": {"exitCode": 1, "finishedAt": ago(seconds=40)}}
    pod["status"]["containerStatuses"] = [
        {"name": "app", "ready": True, "restartCount": 2, "lastState": older, "state": {}},
        {"name": "log", "ready": True, "restartCount": 1, "lastState": newer, "state": {}},
    ]
    assert cells("pods", pod)[3] == "3 (40s ago)"


def test_restarts_without_a_last_termination_are_a_bare_count():
    pod = running_pod()
    pod["status"]["containerStatuses"][0]["restartCount"] = 2
    assert cells("pods", pod)[3] == "2"


def test_a_deleted_running_pod_is_terminating():
    pod = running_pod()
    pod["metadata"]["deletionTimestamp"] = ago(seconds=5)
    assert cells("pods", pod)[2] == "Terminating"


def test_readiness_gates_count_the_true_conditions():
    pod = running_pod()
    pod["spec"]["readinessGates"] = [{"conditionType": "lb/ready"}, {"conditionType": "x/ok"}]
    pod["status"]["conditions"].append({"type": "lb/ready", "status": "True"})
    assert cells("pods", pod)[8] == "1/2"


def test_a_finished_pod_row_is_marked_completed():
    pod = running_pod(phase="Succeeded")
    assert one_row("pods", pod)["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]
    assert "conditions" not in one_row("pods", running_pod())


def test_rows_carry_partial_object_metadata_by_default():
    pod = running_pod()
    assert one_row("pods", pod)["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": pod["metadata"],
    }


def test_include_object_whole_or_none():
    pod = running_pod()
    assert one_row("pods", pod, include_object="Object")["object"] == pod
    assert "object" not in one_row("pods", pod, include_object="None")


def test_an_unknown_include_object_is_refused():
    with pytest.raises(ValueError, match="unrecognized includeObject"):
        table("pods", [], now=NOW, resource_version="1", include_object="Everything")


def test_later_watch_events_leave_the_column_definitions_out():
    printed = table("pods", [running_pod()], now=NOW, resource_version="9", first=False)
    assert printed["columnDefinitions"] == []
    assert printed["rows"][0]["cells"][0] == "web"


def node(name: str, *, ready: str | None = "True", labels: dict | None = None, **spec) -> dict:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready}]
    return {
        "metadata": meta(name, age={"days": 3}, labels=labels or {}),
        "spec": spec,
        "status": {
            "conditions": [{"type": "MemoryPressure", "status": "False"}, *conditions],
            "addresses": [
                {"type": "InternalIP", "address": "172.18.0.2"},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.32.4",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.8.0",
                "containerRuntimeVersion": "containerd://1.7.24",
            },
        },
    }


def test_node_columns():
    assert [name for name, _, _ in columns("nodes")] == [
        "Name",
        "Status",
        "Roles",
        "Age",
        "Version",
        "Internal-IP",
        "External-IP",
        "OS-Image",
        "Kernel-Version",
        "Container-Runtime",
    ]
    assert [priority for _, _, priority in columns("nodes")] == [0] * 5 + [1] * 5


def test_cordoned_not_ready_control_plane_node_row():
    control_plane = node(
        "control-plane",
        ready="False",
        labels={"node-role.kubernetes.io/control-plane": "", "kubernetes.io/os": "linux"},
        unschedulable=True,
    )
    assert cells("nodes", control_plane) == [
        "control-plane",
        "NotReady,SchedulingDisabled",
        "control-plane",
        "3d",
        "v1.32.4",
        "172.18.0.2",
        "<none>",
        "Debian GNU/Linux 12 (bookworm)",
        "6.8.0",
        "containerd://1.7.24",
    ]


def test_a_ready_condition_of_status_unknown_prints_not_ready():
    assert cells("nodes", node("node-1", ready="Unknown"))[1] == "NotReady"


def test_a_node_without_a_ready_condition_is_unknown_with_no_roles():
    assert cells("nodes", node("node-1", ready=None))[1:3] == ["Unknown", "<none>"]


def test_node_roles_come_from_both_role_labels_sorted():
    labels = {"node-role.kubernetes.io/worker": "", "kubernetes.io/role": "edge"}
    assert cells("nodes", node("node-2", labels=labels))[2] == "edge,worker"


def test_namespace_row():
    namespace = {"metadata": meta("default", age={"days": 12}), "status": {"phase": "Active"}}
    assert columns("namespaces") == [
        ("Name", "string", 0),
        ("Status", "string", 0),
        ("Age", "string", 0),
    ]
    assert cells("namespaces", namespace) == ["default", "Active", "12d"]


def test_event_columns_keep_upstreams_order():
    assert columns("events") == [
        ("Last Seen", "string", 0),
        ("Type", "string", 0),
        ("Reason", "string", 0),
        ("Object", "string", 0),
        ("Subobject", "string", 1),
        ("Source", "string", 1),
        ("Message", "string", 0),
        ("First Seen", "string", 1),
        ("Count", "string", 1),
        ("Name", "string", 1),
    ]


def test_event_row():
    event = {
        "metadata": meta("web.1815b7", namespace="default"),
        "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{app}"},
        "type": "Warning",
        "reason": "BackOff",
        "message": "Back-off restarting failed container app\n",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(minutes=5),
        "lastTimestamp": ago(seconds=30),
        "count": 4,
    }
    assert cells("events", event) == [
        "30s",
        "Warning",
        "BackOff",
        "pod/web",
        "spec.containers{app}",
        "kubelet, node-1",
        "Back-off restarting failed container app",
        "5m",
        4,
        "web.1815b7",
    ]


def test_an_event_of_the_new_api_falls_back_on_event_time_and_reporting_fields():
    event = {
        "metadata": meta("node-1.a"),
        "involvedObject": {"kind": "Node"},
        "type": "Normal",
        "reason": "RegisteredNode",
        "eventTime": format_micro_time(NOW - dt.timedelta(minutes=3, microseconds=250)),
        "reportingComponent": "node-controller",
    }
    row = cells("events", event)
    assert row[0] == "3m"
    assert row[3] == "node"
    assert row[5] == "node-controller"
    assert row[7:9] == ["3m", 1]


def test_a_deployment_row_and_its_selector_text():
    deployment = {
        "metadata": meta("web", age={"hours": 7, "minutes": 30}),
        "spec": {
            "replicas": 3,
            "selector": {
                "matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}],
            },
            "template": {
                "spec": {
                    "containers": [
                        {"name": "app", "image": "nginx:1.27"},
                        {"name": "log", "image": "busybox"},
                    ]
                }
            },
        },
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    assert [name for name, _, _ in columns("deployments")] == [
        "Name",
        "Ready",
        "Up-to-date",
        "Available",
        "Age",
        "Containers",
        "Images",
        "Selector",
    ]
    assert cells("deployments", deployment) == [
        "web",
        "2/3",
        3,
        2,
        "7h30m",
        "app,log",
        "nginx:1.27,busybox",
        "app=web,tier in (a,b)",
    ]


def test_a_new_deployment_with_no_status_counts_zero():
    deployment = {"metadata": meta("web"), "spec": {"replicas": 2, "template": {"spec": {}}}}
    assert cells("deployments", deployment)[1:4] == ["0/2", 0, 0]


def test_replica_set_columns_are_integers_and_its_row():
    replica_set = {
        "metadata": meta("web-5d9c", age={"seconds": 90}),
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d9c"}},
            "template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}},
        },
        "status": {"replicas": 3, "readyReplicas": 1},
    }
    assert columns("replicasets")[1:4] == [
        ("Desired", "integer", 0),
        ("Current", "integer", 0),
        ("Ready", "integer", 0),
    ]
    assert cells("replicasets", replica_set) == [
        "web-5d9c",
        3,
        3,
        1,
        "90s",
        "app",
        "nginx",
        "app=web,pod-template-hash=5d9c",
    ]


def test_replication_controller_row_prints_its_map_selector():
    controller = {
        "metadata": meta("legacy"),
        "spec": {"replicas": 1, "selector": {"app": "legacy"}},
        "status": {"replicas": 1, "readyReplicas": 1},
    }
    assert [name for name, _, _ in columns("replicationcontrollers")] == [
        name for name, _, _ in columns("replicasets")
    ]
    assert cells("replicationcontrollers", controller) == [
        "legacy",
        1,
        1,
        1,
        "5m",
        "",
        "",
        "app=legacy",
    ]


def service(service_type: str = "ClusterIP", **spec) -> dict:
    return {
        "metadata": meta("web", age={"minutes": 15}),
        "spec": {
            "type": service_type,
            "clusterIP": "10.96.14.2",
            "clusterIPs": ["10.96.14.2"],
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
            "selector": {"app": "web"},
            **spec,
        },
    }


def test_service_columns_and_a_cluster_ip_row():
    assert [name for name, _, _ in columns("services")] == [
        "Name",
        "Type",
        "Cluster-IP",
        "External-IP",
        "Port(s)",
        "Age",
        "Selector",
    ]
    assert cells("services", service()) == [
        "web",
        "ClusterIP",
        "10.96.14.2",
        "<none>",
        "80/TCP",
        "15m",
        "app=web",
    ]


def test_node_port_service_prints_both_ports_of_each():
    ports = [
        {"port": 80, "nodePort": 30080, "protocol": "TCP"},
        {"port": 53, "protocol": "UDP"},
    ]
    assert cells("services", service("NodePort", ports=ports))[4] == "80:30080/TCP,53/UDP"


def test_load_balancer_without_an_address_is_pending():
    assert cells("services", service("LoadBalancer"))[3] == "<pending>"


def test_headless_service_without_selector_or_ports():
    headless = service(clusterIP="None", clusterIPs=["None"], ports=[], selector={})
    assert cells("services", headless)[2:7] == ["None", "<none>", "<none>", "15m", "<none>"]


def test_endpoints_list_three_addresses_then_how_many_more():
    endpoints = {
        "metadata": meta("web"),
        "subsets": [
            {
                "addresses": [{"ip": f"10.244.{i}.2"} for i in range(1, 5)],
                "ports": [{"port": 80, "protocol": "TCP"}],
            }
        ],
    }
    assert columns("endpoints") == [
        ("Name", "string", 0),
        ("Endpoints", "string", 0),
        ("Age", "string", 0),
    ]
    assert cells("endpoints", endpoints) == [
        "web",
        "10.244.1.2:80,10.244.2.2:80,10.244.3.2:80 + 1 more...",
        "5m",
    ]


def test_endpoints_without_subsets_print_none():
    assert cells("endpoints", {"metadata": meta("web")})[1] == "<none>"


def test_endpoint_slice_row():
    endpoint_slice = {
        "metadata": meta("web-abcde"),
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        "endpoints": [{"addresses": ["10.244.1.2"]}, {"addresses": ["10.244.2.3"]}],
    }
    assert [name for name, _, _ in columns("endpointslices")] == [
        "Name",
        "AddressType",
        "Ports",
        "Endpoints",
        "Age",
    ]
    assert cells("endpointslices", endpoint_slice) == [
        "web-abcde",
        "IPv4",
        "80",
        "10.244.1.2,10.244.2.3",
        "5m",
    ]


def test_an_empty_endpoint_slice_prints_unset():
    empty = {"metadata": meta("web-abcde"), "addressType": "IPv4", "endpoints": []}
    assert cells("endpointslices", empty)[2:4] == ["<unset>", "<unset>"]


def test_lease_row():
    lease = {
        "metadata": meta("node-1", age={"days": 1, "hours": 2}),
        "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40},
    }
    assert [name for name, _, _ in columns("leases")] == ["Name", "Holder", "Age"]
    assert cells("leases", lease) == ["node-1", "node-1", "26h"]


def test_a_resource_without_a_printer_gets_the_default_name_and_created_at():
    widget = {"metadata": meta("settings", age={"hours": 1})}
    assert columns("widgets") == [("Name", "string", 0), ("Created At", "date", 0)]
    assert cells("widgets", widget) == ["settings", "2026-11-26T20:40:00Z"]


def test_config_map_row_counts_its_keys():
    config_map = {
        "metadata": meta("settings", age={"hours": 1}),
        "data": {"a": "1", "b": "2"},
        "binaryData": {"c": "AA=="},
    }
    assert [name for name, _, _ in columns("configmaps")] == ["Name", "Data", "Age"]
    assert cells("configmaps", config_map) == ["settings", 3, "60m"]


def test_an_object_without_a_creation_timestamp_is_of_unknown_age():
    assert cells("namespaces", {"metadata": {"name": "x"}, "status": {}}) == ["x", "", "<unknown>"]
