"""Each click or YAML submission records, on the traces of the calls it makes, the kubectl
command it stands for; the page's own reads and the sandbox's faults record none."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer
from cluster.models import Trace
from sandbox.kubectl import node_command, run_command, workload_command
from tests.web.test_panels import HTMX, pod_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def commands_of(sandbox, *, verb: str, resource: str = "pods") -> list[str]:
    calls = Trace.objects.filter(sandbox=sandbox, actor="alice", verb=verb, resource=resource)
    return list(calls.order_by("id").values_list("command", flat=True))


def test_the_form_stands_for_kubectl_run(alice_client, sandbox):
    alice_client.post(f"/sandboxes/{sandbox.pk}/pods/new/", pod_form(), **HTMX)
    assert commands_of(sandbox, verb="create") == [
        "kubectl run web --image=nginx:1.27.3 --restart=Always"
    ]
    # The panel that answers reads the pod and its events: the page's own reads.
    assert set(commands_of(sandbox, verb="list", resource="events")) == {""}


def test_replicas_are_a_kubectl_create_deployment(alice_client, sandbox):
    form = pod_form(replicas=3, workload="Deployment", image="busybox")
    alice_client.post(f"/sandboxes/{sandbox.pk}/pods/new/", form, **HTMX)
    assert commands_of(sandbox, verb="create", resource="deployments") == [
        "kubectl create deployment web --image=busybox --replicas=3"
    ]


def test_a_replicaset_has_no_kubectl_create_so_its_manifest_is_sent(alice_client, sandbox):
    form = pod_form(replicas=2, workload="ReplicaSet")
    alice_client.post(f"/sandboxes/{sandbox.pk}/pods/new/", form, **HTMX)
    assert commands_of(sandbox, verb="create", resource="replicasets") == ["kubectl create -f -"]


def test_workload_actions_stand_for_scale_set_image_and_rollout_undo():
    assert workload_command("scale", "Deployment", "default", "web", replicas=5) == (
        "kubectl scale deployment web --replicas=5"
    )
    assert (
        workload_command(
            "image", "Deployment", "default", "web", container="nginx", image="nginx:1.27"
        )
        == "kubectl set image deployment/web nginx=nginx:1.27"
    )
    assert workload_command("undo", "Deployment", "lab", "web") == (
        "kubectl rollout undo deployment/web -n lab"
    )
    assert workload_command("delete", "ReplicaSet", "default", "web-7d4b9") == (
        "kubectl delete replicaset web-7d4b9"
    )


def test_requests_need_a_manifest_kubectl_run_has_no_flag_for(alice_client, sandbox):
    alice_client.post(f"/sandboxes/{sandbox.pk}/pods/new/", pod_form(cpu_request="250m"), **HTMX)
    assert commands_of(sandbox, verb="create") == ["kubectl create -f -"]


def test_the_yaml_editor_stands_for_kubectl_create_from_stdin(alice_client, sandbox):
    manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hello\nspec:\n  containers:\n"
    manifest += "    - name: app\n      image: nginx\n"
    alice_client.post(f"/sandboxes/{sandbox.pk}/manifests/", {"manifest": manifest}, **HTMX)
    assert commands_of(sandbox, verb="create") == ["kubectl create -f -"]


def test_deleting_a_pod_stands_for_kubectl_delete(alice_client, sandbox, alice):
    ApiServer.as_user(sandbox, alice).create(
        "pods",
        {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
        namespace="default",
    )
    alice_client.post(f"/sandboxes/{sandbox.pk}/pods/default/web/delete/", **HTMX)
    assert commands_of(sandbox, verb="delete") == ["kubectl delete pod web"]


def test_node_actions_stand_for_cordon_taint_and_drain(alice_client, sandbox):
    base = f"/sandboxes/{sandbox.pk}/nodes/node-1"
    alice_client.post(f"{base}/cordon/", **HTMX)
    alice_client.post(f"{base}/uncordon/", **HTMX)
    alice_client.post(
        f"{base}/taint/", {"key": "dedicated", "value": "lab", "effect": "NoSchedule"}, **HTMX
    )
    alice_client.post(f"{base}/taint/", {"key": "dedicated", "effect": "NoExecute"}, **HTMX)
    alice_client.post(f"{base}/untaint/", {"key": "dedicated"}, **HTMX)
    alice_client.post(f"{base}/drain/", **HTMX)
    assert commands_of(sandbox, verb="patch", resource="nodes") == [
        "kubectl cordon node-1",
        "kubectl uncordon node-1",
        "kubectl taint nodes node-1 dedicated=lab:NoSchedule",
        "kubectl taint nodes node-1 dedicated:NoExecute --overwrite",
        "kubectl taint nodes node-1 dedicated-",
        "kubectl drain node-1 --ignore-daemonsets --force --disable-eviction",
    ]


def test_stopping_a_kubelet_has_no_kubectl_command(alice_client, sandbox):
    alice_client.post(f"/sandboxes/{sandbox.pk}/nodes/node-1/stop-kubelet/", **HTMX)
    stop = Trace.objects.get(sandbox=sandbox, actor="alice", verb="stop")
    assert stop.command == ""
    assert node_command("stop-kubelet", "node-1") == ""


def test_the_command_is_pushed_with_the_trace(sandbox, alice):
    api = ApiServer.as_user(sandbox, alice, command="kubectl cordon node-2")
    api.patch("nodes", "node-2", {"spec": {"unschedulable": True}})
    trace = Trace.objects.filter(sandbox=sandbox, verb="patch").latest("id")
    assert trace.as_message()["command"] == "kubectl cordon node-2"


def test_a_pod_outside_default_names_its_namespace():
    manifest = {
        "metadata": {"name": "db", "namespace": "team-a", "labels": {"run": "db"}},
        "spec": {"containers": [{"name": "app", "image": "postgres:17"}]},
    }
    assert run_command(manifest) == "kubectl run db --image=postgres:17 --restart=Always -n team-a"
