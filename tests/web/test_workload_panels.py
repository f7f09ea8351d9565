"""The workload panels: a Deployment's ReplicaSets side by side, and scale, roll out, roll
back and delete, each the API calls of its kubectl command, refused to other users."""

from __future__ import annotations

import pytest
from django.test import Client

from cluster.apiserver import ApiServer
from cluster.components.controllers import deployment as deployment_controller
from cluster.components.controllers import replicaset as replicaset_controller
from cluster.models import Trace
from tests.web.test_panels import HTMX

pytestmark = pytest.mark.django_db

LABELS = {"app": "web"}


def manifest(kind: str = "Deployment", image: str = "nginx:1.25.5") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": dict(LABELS)},
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {"containers": [{"name": "nginx", "image": image}]},
            },
        },
    }


def controllers_pass(sandbox) -> None:
    """One pass of the Deployment and ReplicaSet controllers, as their ticks would run."""
    deployment_controller.reconcile(
        ApiServer.as_component(sandbox, "controller-manager/deployment"), sandbox, {}
    )
    replicaset_controller.reconcile(
        ApiServer.as_component(sandbox, "controller-manager/replicaset"), sandbox, {}
    )


@pytest.fixture
def owner(client, alice) -> Client:
    client.force_login(alice)
    return client


def calls(sandbox) -> list[tuple[str, str, str, str]]:
    rows = Trace.objects.filter(sandbox=sandbox, actor="alice").exclude(command="")
    return list(rows.order_by("id").values_list("command", "verb", "resource", "subresource"))


def test_a_deployment_panel_shows_its_replicasets_and_pods(owner, sandbox, alice):
    ApiServer.as_user(sandbox, alice).create("deployments", manifest(), namespace="default")
    controllers_pass(sandbox)
    page = owner.get(f"/sandboxes/{sandbox.pk}/workloads/deployments/default/web/", **HTMX)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-workload="deployments/default/web"' in html
    assert "revision 1" in html and "nginx:1.25.5" in html
    assert html.count("web-") >= 3  # the ReplicaSet and its two pods


def test_scale_roll_out_and_roll_back_are_kubectl_commands(owner, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    api.create("deployments", manifest(), namespace="default")
    controllers_pass(sandbox)
    base = f"/sandboxes/{sandbox.pk}/workloads/deployments/default/web"

    owner.post(f"{base}/scale/", {"replicas": "3"}, **HTMX)
    assert api.get("deployments", "web", namespace="default")["spec"]["replicas"] == 3

    owner.post(f"{base}/image/", {"container": "nginx", "image": "nginx:1.27.3"}, **HTMX)
    template = api.get("deployments", "web", namespace="default")["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "nginx:1.27.3"
    controllers_pass(sandbox)  # a scaling event first: upstream syncs it before a rollout
    controllers_pass(sandbox)

    panel = owner.post(f"{base}/undo/", **HTMX)
    assert panel.status_code == 200, panel.content.decode().split('role="alert"')[-1][:400]
    template = api.get("deployments", "web", namespace="default")["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "nginx:1.25.5"
    assert "pod-template-hash" not in template["metadata"]["labels"]
    # Each call kubectl makes for the command, labelled with it (its reads included).
    scale = "kubectl scale deployment web --replicas=3"
    image = "kubectl set image deployment/web nginx=nginx:1.27.3"
    undo = "kubectl rollout undo deployment/web"
    assert calls(sandbox) == [
        (scale, "patch", "deployments", "scale"),
        (image, "get", "deployments", ""),
        (image, "patch", "deployments", ""),
        (undo, "get", "deployments", ""),
        (undo, "list", "replicasets", ""),
        (undo, "patch", "deployments", ""),
    ]


def test_bad_input_is_shown_not_sent(owner, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    api.create("deployments", manifest(), namespace="default")
    base = f"/sandboxes/{sandbox.pk}/workloads/deployments/default/web"
    for data in ({"replicas": "many"}, {"replicas": "-1"}, {"replicas": "1000"}):
        answer = owner.post(f"{base}/scale/", data, **HTMX)
        assert answer.status_code == 422
        assert "Replicas must be" in answer.content.decode()
    undo = owner.post(f"{base}/undo/", **HTMX)  # only one revision yet
    assert undo.status_code == 422
    assert "no rollout history found for deployment &quot;web&quot;" in undo.content.decode()
    assert api.get("deployments", "web", namespace="default")["spec"]["replicas"] == 2
    assert owner.post(f"{base}/explode/", **HTMX).status_code == 404
    rs_base = f"/sandboxes/{sandbox.pk}/workloads/replicasets/default/web"
    assert owner.post(f"{rs_base}/image/", {"image": "x"}, **HTMX).status_code == 404


def test_another_student_can_neither_see_nor_change_a_workload(sandbox, alice, bob):
    api = ApiServer.as_user(sandbox, alice)
    api.create("deployments", manifest(), namespace="default")
    other = Client()
    other.force_login(bob)
    base = f"/sandboxes/{sandbox.pk}/workloads/deployments/default/web"
    assert other.get(f"{base}/", **HTMX).status_code == 404
    for action, data in (("scale", {"replicas": "0"}), ("image", {"image": "x"}), ("delete", {})):
        assert other.post(f"{base}/{action}/", data, **HTMX).status_code == 404
    kept = api.get("deployments", "web", namespace="default")
    assert kept["spec"]["replicas"] == 2
    assert kept["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25.5"


def test_the_instructor_reads_the_panel_without_its_buttons(client, sandbox, alice, teacher):
    ApiServer.as_user(sandbox, alice).create("deployments", manifest(), namespace="default")
    client.force_login(teacher)
    base = f"/sandboxes/{sandbox.pk}/workloads/deployments/default/web"
    html = client.get(f"{base}/", **HTMX).content.decode()
    assert "Read-only" in html and "scale/" not in html
    assert client.post(f"{base}/scale/", {"replicas": "5"}, **HTMX).status_code == 403


def test_deleting_a_replicaset_from_its_panel(owner, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    api.create("replicasets", manifest("ReplicaSet"), namespace="default")
    answer = owner.post(
        f"/sandboxes/{sandbox.pk}/workloads/replicasets/default/web/delete/", **HTMX
    )
    assert "ReplicaSet default/web deleted" in answer.content.decode()
    assert api.list("replicasets", namespace="default")["items"] == []
    assert calls(sandbox) == [("kubectl delete replicaset web", "delete", "replicasets", "")]


def test_a_pods_panel_links_to_its_replicaset(owner, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    api.create("replicasets", manifest("ReplicaSet"), namespace="default")
    controllers_pass(sandbox)
    pod = api.list("pods", namespace="default")["items"][0]
    html = owner.get(
        f"/sandboxes/{sandbox.pk}/pods/default/{pod['metadata']['name']}/", **HTMX
    ).content.decode()
    assert f"/sandboxes/{sandbox.pk}/workloads/replicasets/default/web/" in html
    assert "ReplicaSet web" in html


def test_a_services_panel_lists_its_endpoints_and_another_student_gets_404(
    owner, sandbox, alice, bob
):
    from cluster.components.controllers import endpointslice

    api = ApiServer.as_user(sandbox, alice)
    api.create(
        "services",
        {"metadata": {"name": "web"}, "spec": {"selector": dict(LABELS), "ports": [{"port": 80}]}},
        namespace="default",
    )
    pod = {
        "metadata": {"name": "web-1", "labels": dict(LABELS)},
        "spec": {"containers": [{"name": "nginx", "image": "nginx"}], "nodeName": "node-1"},
    }
    api.create("pods", pod, namespace="default")
    kubelet = ApiServer.as_component(sandbox, "kubelet/node-1")
    running = kubelet.get("pods", "web-1", namespace="default")
    running["status"] = {
        "phase": "Running",
        "podIP": "10.244.1.7",
        "conditions": [{"type": "Ready", "status": "True"}],
    }
    kubelet.update_status("pods", running, namespace="default")
    endpointslice.reconcile(
        ApiServer.as_component(sandbox, "controller-manager/endpointslice"), sandbox, {}
    )
    url = f"/sandboxes/{sandbox.pk}/workloads/services/default/web/"
    html = owner.get(url, **HTMX).content.decode()
    assert api.get("services", "web", namespace="default")["spec"]["clusterIP"] in html
    assert "10.244.1.7" in html and "ready" in html and "web-1" in html
    other = Client()
    other.force_login(bob)
    assert other.get(url, **HTMX).status_code == 404
