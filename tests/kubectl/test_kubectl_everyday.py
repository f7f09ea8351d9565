"""The everyday kubectl commands of the issue with the real kubectl 1.32, against a sandbox
whose cluster runs (worker and beat): what each prints, as a real cluster prints it
(names, addresses and ages aside). One stack per theme: pods and nodes, a Deployment's
rollout, applied objects and Services; an invalid manifest needs none."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

# More CPU than any node has (2 each): the scheduler finds no node for it.
TOO_BIG = {"requests": {"cpu": "64"}}
# What `describe node` adds up: 250m of a node's 2 CPUs, 256Mi of its 4Gi.
REQUESTS = {"requests": {"cpu": "250m", "memory": "256Mi"}}
ON_NODE_1 = {"kubernetes.io/hostname": "node-1"}
ON_NODE_2 = {"kubernetes.io/hostname": "node-2"}


@pytest.fixture
def kubectl(kubectl_for, alice, sandbox):
    return kubectl_for(alice, sandbox)


def lines(output: str) -> list[list[str]]:
    return [line.split() for line in output.strip().splitlines()]


def rows_by_name(output: str) -> dict[str, list[str]]:
    """A table's rows by their first cell, the header left out."""
    return {row[0]: row for row in lines(output)[1:]}


def run(
    kubectl,
    name: str,
    image: str,
    *flags: str,
    resources: dict | None = None,
    node_selector: dict | None = None,
) -> str:
    """kubectl run, with what its flags cannot say (requests, a node) as --overrides."""
    spec: dict = {"nodeSelector": node_selector} if node_selector else {}
    if resources:
        spec["containers"] = [{"name": name, "image": image, "resources": resources}]
    overrides = [f"--overrides={json.dumps({'spec': spec})}"] if spec else []
    return kubectl("run", name, f"--image={image}", *flags, *overrides).stdout


def section(described: str, title: str) -> list[str]:
    """A `describe` section: the rest of its title's line, then its indented lines."""
    rest_of_title, *following = described.split(f"\n{title}")[1].splitlines()
    indented = []
    for line in following:
        if line and not line.startswith(" "):
            break
        indented.append(line)
    return [rest_of_title, *indented]


def test_pods_and_nodes_as_kubectl_prints_them(kubectl, stack, api_url, sandbox):
    info = kubectl("cluster-info").stdout.splitlines()
    assert info[0] == f"Kubernetes control plane is running at {api_url}/clusters/{sandbox.pk}"
    assert info[-1] == (
        "To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'."
    )

    # On node-1: a pod that completes and one that runs; elsewhere, one in another namespace.
    once = run(kubectl, "once", "busybox", "--restart=Never", node_selector=ON_NODE_1)
    assert once == "pod/once created\n"
    assert run(kubectl, "web", "nginx", resources=REQUESTS, node_selector=ON_NODE_1) == (
        "pod/web created\n"
    )
    assert run(kubectl, "big", "nginx", resources=TOO_BIG) == "pod/big created\n"
    kubectl("create", "namespace", "team-a")
    run(kubectl, "api", "nginx", "-n", "team-a", node_selector=ON_NODE_2)

    def statuses() -> dict[str, str]:
        return {name: row[2] for name, row in rows_by_name(kubectl("get", "pods").stdout).items()}

    wait_for(
        lambda: statuses() == {"big": "Pending", "once": "Completed", "web": "Running"}, timeout=90
    )
    table = lines(kubectl("get", "pods").stdout)
    assert table[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [row[:4] for row in table[1:]] == [
        ["big", "0/1", "Pending", "0"],
        ["once", "0/1", "Completed", "0"],
        ["web", "1/1", "Running", "0"],
    ]

    wide = lines(kubectl("get", "pods", "-o", "wide").stdout)
    assert wide[0] == [
        "NAME", "READY", "STATUS", "RESTARTS", "AGE",
        "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES",
    ]  # fmt: skip
    rows = {row[0]: row for row in wide[1:]}
    assert rows["big"][5:] == ["<none>", "<none>", "<none>", "<none>"]
    assert re.fullmatch(r"10\.244\.\d+\.\d+", rows["web"][5])
    assert rows["web"][6:] == ["node-1", "<none>", "<none>"]
    assert rows["once"][6] == "node-1"

    everywhere = lines(kubectl("get", "pods", "-A").stdout)
    assert everywhere[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [row[:2] for row in everywhere[1:]] == [
        ["default", "big"],
        ["default", "once"],
        ["default", "web"],
        ["team-a", "api"],
    ]

    as_yaml = kubectl("get", "pod", "once", "-o", "yaml").stdout
    assert as_yaml.startswith("apiVersion: v1\nkind: Pod\nmetadata:\n")
    once = yaml.safe_load(as_yaml)
    assert once["spec"]["restartPolicy"] == "Never"
    assert once["status"]["phase"] == "Succeeded"
    terminated = once["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("Completed", 0)
    listed = json.loads(kubectl("get", "pods", "-o", "json").stdout)
    assert (listed["apiVersion"], listed["kind"]) == ("v1", "List")
    assert [pod["metadata"]["name"] for pod in listed["items"]] == ["big", "once", "web"]
    assert {pod["kind"] for pod in listed["items"]} == {"Pod"}

    # A container's events name it as the part of the pod they are about (SUBOBJECT).
    about_web = ["get", "events", "--field-selector", "involvedObject.name=web", "-o", "wide"]
    events = kubectl(*about_web).stdout.splitlines()
    assert events[0].split()[:8] == [
        "LAST", "SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE",
    ]  # fmt: skip
    started = next(re.split(r"\s{2,}", line.strip()) for line in events if " Started " in line)
    assert started[1:7] == [
        "Normal",
        "Started",
        "pod/web",
        "spec.containers{web}",
        "kubelet, node-1",
        "Started container web",
    ]

    # Unschedulable: the scheduler's reasons on a Warning, counted when it is repeated.
    def failed_scheduling(age: str) -> re.Pattern:
        return re.compile(
            rf"  Warning  FailedScheduling  {age}  default-scheduler  0/3 nodes are available:"
            r" 1 node\(s\) had untolerated taint \{node-role.kubernetes.io/control-plane: \}, 2"
            r" Insufficient cpu\. preemption: 0/3 nodes are available: 1 Preemption is not"
            r" helpful for scheduling, 2 No preemption victims found for incoming pod\.$",
            re.MULTILINE,
        )

    def described_big() -> str:
        return kubectl("describe", "pod", "big").stdout

    first = failed_scheduling(r"\d+s( \(x\d+ over \d+s\))?")
    wait_for(lambda: first.search(described_big()), timeout=60)
    # A pod gone frees room: the scheduler tries again, and fails again, once more counted.
    assert kubectl("delete", "pod", "api", "-n", "team-a", timeout=90).stdout == (
        'pod "api" deleted\n'
    )
    repeated = failed_scheduling(r"\d+s \(x\d+ over \d+s\)")
    wait_for(lambda: repeated.search(described_big()), timeout=60)
    described = kubectl("describe", "pod", "big").stdout
    assert "Status:           Pending" in described and "Node:             <none>" in described
    assert section(described, "Conditions:")[1:3] == [
        "  Type           Status",
        "  PodScheduled   False ",
    ]

    node = kubectl("describe", "node", "node-1").stdout
    assert section(node, "Lease:")[1] == "  HolderIdentity:  node-1"
    pods = section(node, "Non-terminated Pods:")
    assert pods[0].split() == ["(1", "in", "total)"]  # not once: it has completed
    assert pods[1].split()[:4] == ["Namespace", "Name", "CPU", "Requests"]
    assert pods[3].split()[:8] == [
        "default", "web", "250m", "(12%)", "0", "(0%)", "256Mi", "(6%)",
    ]  # fmt: skip
    allocated = [line.split() for line in section(node, "Allocated resources:")]
    assert ["cpu", "250m", "(12%)", "0", "(0%)"] in allocated
    assert ["memory", "256Mi", "(6%)", "0", "(0%)"] in allocated
    # Columns are two spaces apart or more; an AGE may read "10s (x2 over 40s)".
    events = [re.split(r"\s{2,}", line.strip()) for line in section(node, "Events:")[3:]]
    by_reason = {event[1]: event for event in events}
    assert by_reason["Starting"][3:] == ["kubelet", "Starting kubelet."]
    assert by_reason["NodeReady"][3:] == ["kubelet", "Node node-1 status is now: NodeReady"]
    assert by_reason["RegisteredNode"][3:] == [
        "node-controller",
        "Node node-1 event: Registered Node node-1 in Controller",
    ]
    assert "NodeHasSufficientMemory" in by_reason


def test_a_deployment_rolls_out_a_new_image_and_back(kubectl, stack):
    created = kubectl("create", "deployment", "web", "--image=nginx", "--replicas=3").stdout
    assert created == "deployment.apps/web created\n"

    def rollout_status() -> str:
        waited = kubectl("rollout", "status", "deployment/web", "--timeout=120s", timeout=150)
        return waited.stdout.splitlines()[-1]

    assert rollout_status() == 'deployment "web" successfully rolled out'
    [first] = rows_by_name(kubectl("get", "rs").stdout).values()
    assert first[1:4] == ["3", "3", "3"]
    first_rs = first[0]

    updated = kubectl("set", "image", "deployment/web", "nginx=nginx:1.27").stdout
    assert updated == "deployment.apps/web image updated\n"
    assert rollout_status() == 'deployment "web" successfully rolled out'
    replica_sets = lines(kubectl("get", "rs", "-o", "wide").stdout)
    assert replica_sets[0] == [
        "NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR",
    ]  # fmt: skip
    by_image = {row[6]: row for row in replica_sets[1:]}
    assert by_image["nginx"][0] == first_rs and by_image["nginx"][1:4] == ["0", "0", "0"]
    assert by_image["nginx:1.27"][1:4] == ["3", "3", "3"]
    second_rs = by_image["nginx:1.27"][0]
    assert by_image["nginx:1.27"][7] == f"app=web,pod-template-hash={second_rs[4:]}"
    # The change cause annotated on the Deployment is copied to its new ReplicaSet.
    cause = "kubernetes.io/change-cause=nginx 1.27"
    assert kubectl("annotate", "deployment/web", cause).stdout == "deployment.apps/web annotated\n"

    def history() -> list[list[str]]:
        listed = kubectl("rollout", "history", "deployment/web").stdout.splitlines()
        return [line.split() for line in listed if line.strip()]

    wait_for(lambda: history()[-1] == ["2", "nginx", "1.27"], timeout=30)
    assert history() == [
        ["deployment.apps/web"],
        ["REVISION", "CHANGE-CAUSE"],
        ["1", "<none>"],
        ["2", "nginx", "1.27"],
    ]

    # Undo goes back to revision 1's template, which becomes revision 3.
    assert kubectl("rollout", "undo", "deployment/web").stdout == (
        "deployment.apps/web rolled back\n"
    )
    assert rollout_status() == 'deployment "web" successfully rolled out'
    counts = {name: row[1:4] for name, row in rows_by_name(kubectl("get", "rs").stdout).items()}
    assert counts == {first_rs: ["3", "3", "3"], second_rs: ["0", "0", "0"]}
    revision = "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
    assert kubectl("get", "rs", first_rs, "-o", revision).stdout == "3"
    assert kubectl("get", "deployment", "web", "-o", revision).stdout == "3"
    image = "jsonpath={.spec.template.spec.containers[0].image}"
    assert kubectl("get", "deployment", "web", "-o", image).stdout == "nginx"
    # kubectl's undo also puts back revision 1's annotations: no change cause.
    assert history()[2:] == [["2", "nginx", "1.27"], ["3", "<none>"]]
    # Already true: answered from the list, then the watch that saw nothing stops at once.
    assert rollout_status() == 'deployment "web" successfully rolled out'
    waited = kubectl("wait", "--for=condition=Available", "deployment/web", "--timeout=30s")
    assert waited.stdout == "deployment.apps/web condition met\n"

    events = kubectl("get", "events").stdout.splitlines()
    assert events[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    told = [line.split(None, 4)[1:] for line in events[1:]]
    scaled_up = f"Scaled up replica set {first_rs} to 3"
    assert ["Normal", "ScalingReplicaSet", "deployment/web", scaled_up] in told
    assert [
        "Normal",
        "ScalingReplicaSet",
        "deployment/web",
        f"Scaled down replica set {second_rs} to 0 from 1",
    ] in told
    assert any(
        event[:3] == ["Normal", "SuccessfulCreate", f"replicaset/{second_rs}"] for event in told
    )


REPLICA_SET_AND_SERVICE = """\
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: front
  labels: {tier: front}
spec:
  replicas: 2
  selector:
    matchLabels: {tier: front}
  template:
    metadata:
      labels: {tier: front}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          ports:
            - {name: http, containerPort: 80}
---
apiVersion: v1
kind: Service
metadata:
  name: front
spec:
  selector: {tier: front}
  ports:
    - {port: 80, targetPort: http}
"""


def test_apply_annotate_services_and_their_endpoints(kubectl, stack, tmp_path):
    manifest = tmp_path / "front.yaml"
    manifest.write_text(REPLICA_SET_AND_SERVICE)
    applied = kubectl("apply", "-f", str(manifest)).stdout.splitlines()
    assert applied == ["replicaset.apps/front created", "service/front created"]
    again = kubectl("apply", "-f", str(manifest)).stdout.splitlines()
    assert again == ["replicaset.apps/front unchanged", "service/front unchanged"]

    assert kubectl("annotate", "rs", "front", "owner=team-a").stdout == (
        "replicaset.apps/front annotated\n"
    )
    assert kubectl("annotate", "service", "front", "owner=team-a").stdout == (
        "service/front annotated\n"
    )
    owner = "jsonpath={.metadata.annotations.owner}"
    assert kubectl("get", "service", "front", "-o", owner).stdout == "team-a"
    # The applied configuration is kept as kubectl's own annotation, untouched by annotate.
    applied_annotation = kubectl(
        "get",
        "rs",
        "front",
        "-o",
        "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}",
    ).stdout
    assert json.loads(applied_annotation)["spec"]["replicas"] == 2

    services = lines(kubectl("get", "svc").stdout)
    assert services[0] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    rows = {row[0]: row for row in services[1:]}
    assert rows["kubernetes"][1:5] == ["ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
    assert rows["front"][1] == "ClusterIP" and rows["front"][3:5] == ["<none>", "80/TCP"]
    assert re.fullmatch(r"10\.9[6-9]\.\d+\.\d+|10\.1[01]\d\.\d+\.\d+", rows["front"][2])

    def endpoints() -> dict[str, list[str]]:
        return rows_by_name(kubectl("get", "endpoints").stdout)

    # The Endpoints controller lists the two pods once they are Ready, on the target port.
    wait_for(lambda: endpoints().get("front", ["", ""])[1].count(":80") == 2, timeout=90)
    table = lines(kubectl("get", "endpoints").stdout)
    assert table[0] == ["NAME", "ENDPOINTS", "AGE"]
    listed = endpoints()
    assert listed["kubernetes"][1] == "10.0.0.2:6443"
    assert re.fullmatch(r"10\.244\.\d+\.\d+:80,10\.244\.\d+\.\d+:80", listed["front"][1])
    described = kubectl("describe", "endpoints", "front").stdout.splitlines()
    assert re.fullmatch(
        r"Annotations:  endpoints\.kubernetes\.io/last-change-trigger-time:"
        r" \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        described[3],
    )
    assert described[5].split() == ["Addresses:", listed["front"][1].replace(":80", "")]

    # Scaled to none, the Service's Endpoints stays, listing no address.
    kubectl("scale", "rs", "front", "--replicas=0")
    wait_for(lambda: endpoints()["front"][1] == "<none>", timeout=90)
    kubectl("delete", "service", "front")
    wait_for(lambda: "front" not in endpoints(), timeout=60)


INVALID_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  restartPolicy: Sometimes
  containers:
    - name: app
    - name: app
      image: nginx
"""


def test_an_invalid_manifest_lists_each_cause(kubectl, tmp_path):
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(INVALID_POD)
    expected = (
        'The Pod "broken" is invalid: \n'
        "* spec.containers[0].image: Required value\n"
        '* spec.containers[1].name: Duplicate value: "app"\n'
        '* spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always",'
        ' "OnFailure", "Never"\n'
    )
    for command in ("apply", "create"):
        refused = kubectl(command, "-f", str(manifest), check=False)
        assert refused.returncode == 1
        assert refused.stderr == expected
    assert kubectl("get", "pods", "-o", "name").stdout == ""
