"""The real kubectl 1.32 against a sandbox (kubeapi/): what it prints, as a real cluster
prints it (names and ages aside), and its errors. Each call goes through the sandbox's
API server: it is traced with the command that sent it, as a click on the page is."""

from __future__ import annotations

import json

import pytest

from cluster.models import ApiToken, Trace
from cluster.sandboxes import sandbox_create
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kubectl(kubectl_for, alice, sandbox):
    return kubectl_for(alice, sandbox)


def lines(output: str) -> list[list[str]]:
    return [line.split() for line in output.strip().splitlines()]


def test_version_and_the_resources_it_discovers(kubectl):
    version = kubectl("version").stdout
    assert "Server Version: v1.32.4" in version
    resources = {row[0]: row for row in lines(kubectl("api-resources").stdout)[1:]}
    assert resources["pods"] == ["pods", "po", "v1", "true", "Pod"]
    assert resources["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert resources["nodes"] == ["nodes", "no", "v1", "false", "Node"]


def test_get_nodes_prints_upstream_s_columns_wide_too(kubectl):
    table = lines(kubectl("get", "nodes").stdout)
    assert table[0] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    rows = {row[0]: row for row in table[1:]}
    assert rows["control-plane"][1:3] == ["Ready", "control-plane"]
    assert rows["node-1"][1:3] == ["Ready", "<none>"] and rows["node-1"][4] == "v1.32.4"
    wide = kubectl("get", "nodes", "-o", "wide").stdout.splitlines()[0].split()
    assert wide[5:8] == ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE"]


def test_run_then_get_describe_and_delete_a_pod_traced_as_kubectl(kubectl, stack, sandbox):
    assert kubectl("run", "web", "--image=nginx").stdout.strip() == "pod/web created"
    trace = Trace.objects.get(sandbox=sandbox, verb="create", resource="pods", name="web")
    assert trace.command == "kubectl run"
    assert trace.user_agent.startswith("kubectl/v1.32")

    def phase() -> str:
        return kubectl("get", "pod", "web", "-o", "jsonpath={.status.phase}").stdout

    wait_for(lambda: phase() == "Running", timeout=60)
    header, row = lines(kubectl("get", "pods").stdout)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert row[:4] == ["web", "1/1", "Running", "0"]
    # The container's output, as its kubelet has it (cluster/apiserver/logs.py).
    log = kubectl("logs", "web").stdout.splitlines()
    assert log[0] == "/docker-entrypoint.sh: Configuration complete; ready for start up"
    assert kubectl("logs", "web", "--tail=1").stdout.splitlines() == log[-1:]
    previous = kubectl("logs", "web", "--previous", check=False)
    assert previous.stderr.strip() == (
        'Error from server (BadRequest): previous terminated container "web" in pod "web" not found'
    )
    described = kubectl("describe", "pod", "web").stdout
    assert "Status:           Running" in described
    assert "Successfully assigned default/web to node-" in described
    deleted = kubectl("delete", "pod", "web", "--wait=false").stdout
    assert deleted.strip() == 'pod "web" deleted'


def test_errors_are_upstream_s(kubectl):
    missing = kubectl("get", "pod", "nothere", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "nothere" not found'
    kubectl("run", "web", "--image=nginx")
    again = kubectl("run", "web", "--image=nginx", check=False)
    assert again.stderr.strip() == 'Error from server (AlreadyExists): pods "web" already exists'
    # A shell in the container: there is none, and kubectl says why (not a bare 404).
    shell = kubectl("exec", "web", "--", "ls", check=False)
    assert shell.returncode == 1
    assert shell.stderr.startswith(
        "Error from server (BadRequest): Podlab's containers are simulated: there is no"
        " process in pod web to run a command in."
    )
    assert "Podlab's containers are simulated" in kubectl("attach", "web", check=False).stderr


def test_another_student_s_sandbox_is_forbidden_and_leaves_no_trace(kubectl_for, alice, bob):
    bobs = sandbox_create(owner=bob, name="bob's")
    traces = Trace.objects.filter(sandbox=bobs).count()
    refused = kubectl_for(alice, bobs)("get", "pods", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource'
        ' "pods" in API group "" in the namespace "default"'
    )
    assert Trace.objects.filter(sandbox=bobs).count() == traces


def test_a_revoked_token_is_unauthorized(kubectl, alice):
    kubectl("get", "nodes")
    ApiToken.objects.filter(user=alice).delete()
    refused = kubectl("get", "nodes", check=False)
    assert refused.returncode == 1
    assert "error: You must be logged in to the server (Unauthorized)" in refused.stderr


def test_labels_selectors_and_the_protobuf_bodies_of_kubectl_create(kubectl, sandbox):
    kubectl("run", "web", "--image=nginx")
    assert kubectl("label", "pod", "web", "tier=front").stdout.strip() == "pod/web labeled"
    header, row = lines(kubectl("get", "pods", "-l", "tier=front", "--show-labels").stdout)
    assert header[-1] == "LABELS" and row[0] == "web" and row[-1] == "run=web,tier=front"
    assert kubectl("get", "pods", "-l", "tier=back").stderr.strip() == (
        "No resources found in default namespace."
    )
    # kubectl create sends these as protobuf (kubeapi/protobuf.py).
    created = kubectl("create", "deployment", "api", "--image=nginx", "--replicas=3").stdout
    assert created.strip() == "deployment.apps/api created"
    assert kubectl("create", "namespace", "team-a").stdout.strip() == "namespace/team-a created"
    scaled = kubectl("scale", "deployment", "api", "--replicas=5").stdout
    assert scaled.strip() == "deployment.apps/api scaled"
    spec = kubectl("get", "deployment", "api", "-o", "jsonpath={.spec.replicas}").stdout
    assert spec == "5"
    header, row = lines(kubectl("get", "deployments", "-o", "wide").stdout)
    assert header == [
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]
    assert row[0] == "api" and row[-3:] == ["nginx", "nginx", "app=api"]


def test_get_w_shows_a_new_pod_go_pending_creating_running_and_delete_waits(
    kubectl, stack, sandbox, tmp_path
):
    """The issue's end: kubectl run, and kubectl get pods -w in another terminal."""
    output = tmp_path / "watch.txt"
    watching = kubectl.start("get", "pods", "-w", output=output)
    try:
        # The watch's start is one traced call, as the diagram shows it.
        started = Trace.objects.filter(sandbox=sandbox, verb="watch", resource="pods")
        wait_for(started.exists, timeout=30)
        kubectl("run", "web", "--image=nginx")

        def statuses() -> list[str]:
            rows = [line.split() for line in output.read_text().splitlines()]
            return [row[2] for row in rows if row and row[0] == "web"]

        wait_for(lambda: "Running" in statuses(), timeout=60)
    finally:
        watching.terminate()
        watching.wait(timeout=10)
    seen = list(dict.fromkeys(statuses()))  # each status once, in the order first seen
    assert seen == ["Pending", "ContainerCreating", "Running"]
    # kubectl delete waits for the pod to be gone, with a watch of its own.
    deleted = kubectl("delete", "pod", "web", "--timeout=60s", timeout=90)
    assert deleted.stdout.strip() == 'pod "web" deleted'
    assert kubectl("get", "pods", "-o", "name").stdout == ""


def test_strategic_merge_patches_set_image_cordon_and_taint(kubectl):
    """kubectl sends these as strategic merge patches (cluster/apiserver/strategic_merge.py)."""
    kubectl("create", "deployment", "api", "--image=nginx")
    kubectl("set", "env", "deployment/api", "MODE=fast")
    assert kubectl("set", "image", "deployment/api", "nginx=nginx:1.27").stdout.strip() == (
        "deployment.apps/api image updated"
    )
    container = kubectl(
        "get", "deployment", "api", "-o", "jsonpath={.spec.template.spec.containers[0]}"
    ).stdout
    assert '"image":"nginx:1.27"' in container and '"name":"MODE"' in container
    assert kubectl("cordon", "node-1").stdout.strip() == "node/node-1 cordoned"
    row = lines(kubectl("get", "node", "node-1").stdout)[1]
    assert row[1] == "Ready,SchedulingDisabled"
    assert kubectl("taint", "nodes", "node-2", "dedicated=db:NoSchedule").stdout.strip() == (
        "node/node-2 tainted"
    )
    taints = kubectl("get", "node", "node-2", "-o", "jsonpath={.spec.taints[*].key}").stdout
    assert taints == "dedicated"


DEPLOYMENT_AND_SERVICE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: shop
          image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  selector: {app: shop}
  ports:
    - port: 80
"""


def test_apply_creates_then_leaves_unchanged_then_configures(kubectl, tmp_path):
    """apply -f fetches OpenAPI first (kubeapi/openapi.py), then GET, POST or PATCH."""
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(DEPLOYMENT_AND_SERVICE)
    first = kubectl("apply", "-f", str(manifest)).stdout.splitlines()
    assert first == ["deployment.apps/shop created", "service/shop created"]
    again = kubectl("apply", "-f", str(manifest)).stdout.splitlines()
    assert again == ["deployment.apps/shop unchanged", "service/shop unchanged"]
    manifest.write_text(DEPLOYMENT_AND_SERVICE.replace("replicas: 2", "replicas: 3"))
    edited = kubectl("apply", "-f", str(manifest)).stdout.splitlines()
    assert edited == ["deployment.apps/shop configured", "service/shop unchanged"]
    assert kubectl("get", "deploy", "shop", "-o", "jsonpath={.spec.replicas}").stdout == "3"
    deleted = kubectl("delete", "-f", str(manifest), "--wait=false").stdout.splitlines()
    assert deleted == ['deployment.apps "shop" deleted', 'service "shop" deleted']


def test_an_unknown_field_is_refused_by_name_and_explain_reads_the_schemas(kubectl, tmp_path):
    manifest = tmp_path / "typo.yaml"
    manifest.write_text(DEPLOYMENT_AND_SERVICE.replace("image: nginx", "imagee: nginx"))
    refused = kubectl("apply", "-f", str(manifest), check=False)
    assert refused.returncode == 1
    assert (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error:'
        ' unknown field "spec.template.spec.containers[0].imagee"'
    ) in refused.stderr
    explained = kubectl("explain", "pod.spec.containers").stdout
    assert "FIELD: containers <[]Container>" in explained
    assert "List of containers belonging to the pod." in explained


def test_logs_f_follows_what_the_container_writes(kubectl, stack, tmp_path):
    kubectl(
        "run",
        "ticker",
        "--image=busybox",
        "--",
        "sh",
        "-c",
        "while true; do echo tick; sleep 1; done",
    )
    wait_for(lambda: "tick" in kubectl("logs", "ticker", check=False).stdout, timeout=60)
    output = tmp_path / "follow.txt"
    following = kubectl.start("logs", "-f", "ticker", output=output)
    try:
        wait_for(lambda: output.read_text().count("tick") >= 1, timeout=30)
        first = output.read_text().count("tick")
        # More lines come on the same response, as the container writes them.
        wait_for(lambda: output.read_text().count("tick") >= first + 2, timeout=30)
        assert following.poll() is None  # still following
    finally:
        following.terminate()
        following.wait(timeout=10)


def test_drain_evicts_the_node_s_pods_and_uncordon_lets_them_back(kubectl, stack):
    kubectl("create", "deployment", "web", "--image=nginx", "--replicas=4")

    def nodes_of_running_pods() -> list[str]:
        wide = lines(kubectl("get", "pods", "-o", "wide").stdout)[1:]
        return [row[6] for row in wide if row[2] == "Running"]

    wait_for(lambda: len(nodes_of_running_pods()) == 4, timeout=90)
    drained = kubectl(
        "drain", "node-1", "--ignore-daemonsets", "--force", "--timeout=90s", timeout=120
    )
    assert drained.stdout.strip().endswith("node/node-1 drained")
    assert "evicted" in drained.stdout or "evicting" in drained.stderr
    assert lines(kubectl("get", "node", "node-1").stdout)[1][1] == "Ready,SchedulingDisabled"
    # The ReplicaSet replaces the evicted pods, on the node left.
    wait_for(lambda: nodes_of_running_pods() == ["node-2"] * 4, timeout=90)
    assert kubectl("uncordon", "node-1").stdout.strip() == "node/node-1 uncordoned"


def test_a_server_dry_run_runs_every_stage_and_stores_nothing(kubectl, sandbox, tmp_path):
    dry = kubectl("run", "web", "--image=nginx", "--dry-run=server", "-o", "json").stdout
    pod = json.loads(dry)
    # The pod as it would be stored: admitted (defaulted, given a uid), never stored.
    assert pod["metadata"]["uid"] and pod["spec"]["dnsPolicy"] == "ClusterFirst"
    assert "resourceVersion" not in pod["metadata"]
    assert kubectl("get", "pods", "-o", "name").stdout == ""
    trace = Trace.objects.get(sandbox=sandbox, verb="create", name="web")
    assert trace.stages[-1] == {
        "stage": "etcd",
        "ok": True,
        "detail": "dry run: nothing was stored",
    }
    assert "dry run: nothing was stored" in trace.narration
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(DEPLOYMENT_AND_SERVICE)
    applied = kubectl("apply", "-f", str(manifest), "--dry-run=server").stdout.splitlines()
    assert applied == [
        "deployment.apps/shop created (server dry run)",
        "service/shop created (server dry run)",
    ]
    assert kubectl("get", "deploy,svc", "-o", "name").stdout.split() == ["service/kubernetes"]
    # An invalid manifest is still refused: validation runs in a dry run too.
    manifest.write_text(DEPLOYMENT_AND_SERVICE.replace("replicas: 2", "replicas: -1"))
    refused = kubectl("apply", "-f", str(manifest), "--dry-run=server", check=False)
    assert "spec.replicas: Invalid value: -1: must be greater than or equal to 0" in refused.stderr
    kubectl("run", "web", "--image=nginx")
    deleted = kubectl("delete", "pod", "web", "--dry-run=server").stdout
    assert deleted.strip() == 'pod "web" deleted (server dry run)'
    assert kubectl("get", "pods", "-o", "name").stdout.strip() == "pod/web"
    # A client-side dry run needs no server.
    shown = kubectl("run", "db", "--image=nginx", "--dry-run=client", "-o", "name").stdout
    assert shown.strip() == "pod/db"


def test_config_maps_created_from_literals_listed_and_refused_by_their_keys(kubectl, tmp_path):
    """`kubectl create configmap` sends a protobuf body; a bad key is upstream's 422."""
    created = kubectl(
        "create", "configmap", "app", "--from-literal=mode=fast", "--from-literal=size=2"
    )
    assert created.stdout.strip() == "configmap/app created"
    header, row = lines(kubectl("get", "cm", "app").stdout)
    assert header == ["NAME", "DATA", "AGE"] and row[:2] == ["app", "2"]
    assert kubectl("get", "configmap", "app", "-o", "jsonpath={.data.mode}").stdout == "fast"
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {'a b': x}\n"
    )
    refused = kubectl("apply", "-f", str(manifest), check=False)
    assert 'The ConfigMap "bad" is invalid: data: Invalid value: "a b": a valid config key' in (
        refused.stderr
    )
