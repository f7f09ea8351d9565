"""The htmx panels and controls: create pods, inspect them, act on nodes and the clock."""

from __future__ import annotations

import pytest
from django.test import Client

from cluster import loops
from cluster.apiserver import ApiServer
from cluster.components.runtime import ContainerRuntime
from cluster.models import ComponentState, Sandbox

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def pod_form(**overrides) -> dict:
    return {
        "name": "web",
        "image": "nginx:1.27.3",
        "replicas": 1,
        "restart_policy": "Always",
        "cpu_request": "",
        "memory_request": "",
        "cpu_limit": "",
        "memory_limit": "",
        "node_selector": "",
        "tolerations": "",
        **overrides,
    }


def test_the_form_creates_a_pod_and_shows_its_panel(alice_client, sandbox, alice):
    response = alice_client.post(
        f"/sandboxes/{sandbox.pk}/pods/new/",
        pod_form(
            cpu_request="250m",
            node_selector="kubernetes.io/hostname=node-2",
            tolerations="dedicated=lab:NoSchedule",
        ),
        **HTMX,
    )
    assert response.status_code == 200
    assert 'data-pod="default/web"' in response.content.decode()
    pod = ApiServer.as_user(sandbox, alice).get("pods", "web", namespace="default")
    assert pod["spec"]["containers"][0]["resources"] == {"requests": {"cpu": "250m"}}
    assert pod["spec"]["nodeSelector"] == {"kubernetes.io/hostname": "node-2"}
    assert {"key": "dedicated", "operator": "Equal", "value": "lab", "effect": "NoSchedule"} in (
        pod["spec"]["tolerations"]
    )


def test_the_api_servers_cause_appears_next_to_the_field(alice_client, sandbox):
    response = alice_client.post(
        f"/sandboxes/{sandbox.pk}/pods/new/", pod_form(cpu_request="lots", name="Bad_Name"), **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 422
    name_block = page.split('id="error-name"')[1].split("</p>")[0]
    cpu_block = page.split('id="error-cpu_request"')[1].split("</p>")[0]
    assert "metadata.name: Invalid value: &quot;Bad_Name&quot;" in name_block
    assert (
        "spec.containers[0].resources.requests[cpu]: Invalid value: &quot;lots&quot;" in cpu_block
    )


def test_a_toleration_without_an_effect_is_refused_by_the_form(alice_client, sandbox):
    response = alice_client.post(
        f"/sandboxes/{sandbox.pk}/pods/new/", pod_form(tolerations="dedicated=lab"), **HTMX
    )
    assert response.status_code == 422
    assert "needs an effect after a colon" in response.content.decode()


def test_replicas_make_a_deployment_not_numbered_pods(alice_client, sandbox, alice):
    response = alice_client.post(
        f"/sandboxes/{sandbox.pk}/pods/new/",
        pod_form(replicas=3, workload="Deployment", image="nginx:1.27.3"),
        **HTMX,
    )
    assert response.status_code == 200
    assert 'data-workload="deployments/default/web"' in response.content.decode()
    api = ApiServer.as_user(sandbox, alice)
    deployment = api.get("deployments", "web", namespace="default")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    template = deployment["spec"]["template"]
    assert template["metadata"]["labels"] == {"app": "web"}
    assert template["spec"]["containers"][0]["name"] == "nginx"  # as kubectl names it
    assert api.list("pods")["items"] == []  # the controllers make them, not the form


def test_a_bare_pod_has_no_replicas(alice_client, sandbox, alice):
    response = alice_client.post(f"/sandboxes/{sandbox.pk}/pods/new/", pod_form(replicas=3), **HTMX)
    assert response.status_code == 422
    replicas_block = response.content.decode().split('id="error-replicas"')[1].split("</p>")[0]
    assert "A bare pod has no replicas" in replicas_block
    assert ApiServer.as_user(sandbox, alice).list("pods")["items"] == []


def test_a_replicaset_refused_by_the_api_server_shows_why_at_the_field(alice_client, sandbox):
    response = alice_client.post(
        f"/sandboxes/{sandbox.pk}/pods/new/",
        pod_form(replicas=2, workload="ReplicaSet", restart_policy="Never"),
        **HTMX,
    )
    assert response.status_code == 422
    block = response.content.decode().split('id="error-restart_policy"')[1].split("</p>")[0]
    assert "spec.template.spec.restartPolicy: Unsupported value: &quot;Never&quot;" in block


def test_the_pod_panel_explains_why_a_pod_is_pending(alice_client, sandbox, alice):
    manifest = {
        "metadata": {"name": "huge"},
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx", "resources": {"requests": {"cpu": "3"}}}
            ]
        },
    }
    ApiServer.as_user(sandbox, alice).create("pods", manifest, namespace="default")
    loops.step(sandbox, "scheduler")
    page = alice_client.get(f"/sandboxes/{sandbox.pk}/pods/default/huge/", **HTMX).content.decode()
    assert "Why pending" in page
    assert "0/3 nodes are available: 1 node(s) had untolerated taint" in page
    assert "✘ Insufficient cpu" in page
    assert page.count('class="infeasible"') == 3


def test_the_pod_panel_says_why_here_once_scheduled(alice_client, sandbox, alice):
    ApiServer.as_user(sandbox, alice).create(
        "pods",
        {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
        namespace="default",
    )
    loops.step(sandbox, "scheduler")
    page = alice_client.get(f"/sandboxes/{sandbox.pk}/pods/default/web/", **HTMX).content.decode()
    assert "Why here: the scheduler chose node-" in page
    assert "Successfully assigned default/web to node-" in page


def test_node_actions_go_through_the_api_server(alice_client, sandbox, alice):
    base = f"/sandboxes/{sandbox.pk}/nodes/node-1"
    alice_client.post(f"{base}/cordon/", **HTMX)
    api = ApiServer.as_user(sandbox, alice)
    assert api.get("nodes", "node-1")["spec"]["unschedulable"] is True
    alice_client.post(
        f"{base}/taint/", {"key": "dedicated", "value": "lab", "effect": "NoSchedule"}, **HTMX
    )
    assert {"key": "dedicated", "value": "lab", "effect": "NoSchedule"} in (
        api.get("nodes", "node-1")["spec"]["taints"]
    )
    alice_client.post(f"{base}/untaint/", {"key": "dedicated"}, **HTMX)
    assert "taints" not in api.get("nodes", "node-1")["spec"]
    alice_client.post(f"{base}/stop-kubelet/", **HTMX)
    assert not ComponentState.objects.get(sandbox=sandbox, name="kubelet/node-1").running


def test_stopping_a_node_stops_its_kubelet_and_empties_its_runtime(alice_client, sandbox, bob):
    kubelet = ComponentState.objects.get(sandbox=sandbox, name="kubelet/node-1")
    runtime = ContainerRuntime(
        kubelet.state.setdefault("runtime", {}), "node-1", pod_cidr=kubelet.state["podCIDR"]
    )
    runtime.run_pod_sandbox("uid-1", "web", "default", sandbox.now())
    images_before = dict(kubelet.state["runtime"]["images"])
    kubelet.save()
    other = Client()
    other.force_login(bob)
    base = f"/sandboxes/{sandbox.pk}/nodes/node-1"
    assert other.post(f"{base}/stop-node/", **HTMX).status_code == 404
    kubelet.refresh_from_db()
    assert kubelet.running and kubelet.state["runtime"]["sandboxes"]

    panel = alice_client.post(f"{base}/stop-node/", **HTMX).content.decode()
    kubelet.refresh_from_db()
    assert not kubelet.running
    runtime = kubelet.state["runtime"]
    assert (runtime["containers"], runtime["sandboxes"]) == ({}, {})
    assert runtime["images"] == images_before  # on disk: a reboot keeps them
    assert "Start node" in panel
    alice_client.post(f"{base}/start-node/", **HTMX)
    kubelet.refresh_from_db()
    assert kubelet.running


def test_another_student_gets_404_on_panels_and_controls(client, sandbox, bob):
    client.force_login(bob)
    assert client.get(f"/sandboxes/{sandbox.pk}/nodes/node-1/", **HTMX).status_code == 404
    assert client.get(f"/sandboxes/{sandbox.pk}/components/scheduler/", **HTMX).status_code == 404
    assert client.post(f"/sandboxes/{sandbox.pk}/clock/pause/", **HTMX).status_code == 404
    assert not Sandbox.objects.get(pk=sandbox.pk).clock_paused


def test_new_sandbox_from_a_template(alice_client, alice):
    response = alice_client.post("/sandboxes/new/", {"shape": "ha"})
    sandbox = Sandbox.objects.filter(owner=alice).latest("id")
    assert response["Location"] == f"/sandboxes/{sandbox.pk}/"
    nodes = ApiServer.as_user(sandbox, alice).list("nodes")["items"]
    assert len(nodes) == 5


def test_the_etcd_browser_lists_keys_and_shows_a_keys_history(alice_client, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    api.patch("nodes", "node-1", {"metadata": {"labels": {"lesson": "etcd"}}})
    page = alice_client.get(
        f"/sandboxes/{sandbox.pk}/etcd/?prefix=/registry/minions/&key=/registry/minions/node-1",
        **HTMX,
    ).content.decode()
    assert page.count("/registry/minions/") >= 3
    assert page.count("<li>revision") == 2
    assert "&quot;lesson&quot;: &quot;etcd&quot;" in page


def test_reset_brings_the_sandbox_back_to_its_template(alice_client, sandbox, alice):
    from cluster.faults import worker_add

    api = ApiServer.as_user(sandbox, alice)
    alice_client.post(f"/sandboxes/{sandbox.pk}/pods/new/", pod_form(replicas=2), **HTMX)
    api.patch("nodes", "node-1", {"spec": {"unschedulable": True}})
    worker_add(sandbox, alice, name="node-3")
    ComponentState.objects.filter(sandbox=sandbox, name="scheduler").update(running=False)

    response = alice_client.post(f"/sandboxes/{sandbox.pk}/reset/")
    assert response.status_code == 302
    assert api.list("pods")["items"] == []
    nodes = {n["metadata"]["name"]: n for n in api.list("nodes")["items"]}
    assert sorted(nodes) == ["control-plane", "node-1", "node-2"]
    assert "unschedulable" not in nodes["node-1"]["spec"]
    assert nodes["control-plane"]["spec"]["taints"][0]["key"] == (
        "node-role.kubernetes.io/control-plane"
    )
    assert ComponentState.objects.get(sandbox=sandbox, name="scheduler").running
    assert not ComponentState.objects.filter(sandbox=sandbox, name="kubelet/node-3").exists()


def test_reset_empties_terminating_namespaces_and_lets_held_objects_go(
    alice_client, sandbox, alice
):
    api = ApiServer.as_user(sandbox, alice)
    api.create("namespaces", {"metadata": {"name": "team"}})
    held = {
        "metadata": {"name": "held", "finalizers": ["example.com/keep"]},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    api.create("pods", held, namespace="team")
    api.create("pods", {**held, "metadata": {"name": "web"}}, namespace="default")
    lease = {"metadata": {"name": "node-1"}, "spec": {"holderIdentity": "node-1"}}
    api.create("leases", lease, namespace="kube-node-lease")
    api.delete("namespaces", "team")

    alice_client.post(f"/sandboxes/{sandbox.pk}/reset/")
    assert api.list("pods")["items"] == []
    names = sorted(n["metadata"]["name"] for n in api.list("namespaces")["items"])
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    # The kubelets' leases stay: the nodes are the template's.
    assert api.get("leases", "node-1", namespace="kube-node-lease")


def test_the_api_server_and_controller_manager_have_panels(alice_client, sandbox):
    base = f"/sandboxes/{sandbox.pk}/components"
    assert "Authentication" in alice_client.get(f"{base}/kube-apiserver/", **HTMX).content.decode()
    assert alice_client.get(f"{base}/controller-manager/", **HTMX).status_code == 200
    assert alice_client.get(f"{base}/nonsense/", **HTMX).status_code == 404


def test_the_controller_manager_stops_and_starts_as_a_whole(alice_client, sandbox, bob):
    base = f"/sandboxes/{sandbox.pk}/components/controller-manager"
    controllers = ComponentState.objects.filter(
        sandbox=sandbox, name__startswith="controller-manager/"
    )
    assert controllers.count() >= 3
    panel = alice_client.post(f"{base}/stop/", **HTMX).content.decode()
    assert not any(controllers.values_list("running", flat=True))
    assert "Start the controller manager" in panel
    assert "nothing heals while it is down" in panel
    # Another student may neither read the panel nor start it again.
    other = Client()
    other.force_login(bob)
    assert other.get(f"{base}/", **HTMX).status_code == 404
    assert other.post(f"{base}/start/", **HTMX).status_code == 404
    assert not any(controllers.values_list("running", flat=True))
    panel = alice_client.post(f"{base}/start/", **HTMX).content.decode()
    assert all(controllers.values_list("running", flat=True))
    assert "Stop the controller manager" in panel
    assert alice_client.post(f"{base}/explode/", **HTMX).status_code == 404


def test_removing_a_worker_deletes_its_node_and_stops_its_kubelet(sandbox, alice):
    from cluster.faults import worker_remove

    worker_remove(sandbox, alice, name="node-2")
    names = [
        n["metadata"]["name"] for n in ApiServer.as_user(sandbox, alice).list("nodes")["items"]
    ]
    assert names == ["control-plane", "node-1"]
    assert not ComponentState.objects.filter(sandbox=sandbox, name="kubelet/node-2").exists()


def test_nodes_a_prefilter_ruled_out_span_the_filter_columns(alice_client, sandbox, alice):
    """A pod whose node affinity names node-2 by metadata.name: NodeAffinity's PreFilter
    leaves the other nodes out before any filter runs, and their rows say so across
    the table instead of under the first column."""
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchFields": [
                            {"key": "metadata.name", "operator": "In", "values": ["node-2"]}
                        ]
                    }
                ]
            }
        }
    }
    manifest = {
        "metadata": {"name": "pinned"},
        "spec": {"affinity": affinity, "containers": [{"name": "app", "image": "nginx"}]},
    }
    ApiServer.as_user(sandbox, alice).create("pods", manifest, namespace="default")
    loops.step(sandbox, "scheduler")
    page = alice_client.get(
        f"/sandboxes/{sandbox.pk}/pods/default/pinned/", **HTMX
    ).content.decode()
    assert "Why here: the scheduler chose node-2" in page
    header = page.split("<thead>")[1].split("</thead>")[0]
    assert header.count('<th scope="col">') == 10  # Node, eight filters, Score
    assert page.count('colspan="8"') == 2  # control-plane and node-1


def test_events_of_the_same_second_are_listed_in_the_order_they_were_recorded(
    alice_client, sandbox, alice
):
    api = ApiServer.as_user(sandbox, alice)
    pod = api.create(
        "pods",
        {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
        namespace="default",
    )
    for name, reason in (("web.zzz", "Pulled"), ("web.mmm", "Created"), ("web.aaa", "Started")):
        api.create(
            "events",
            {
                "metadata": {"name": name},
                "involvedObject": {
                    "kind": "Pod",
                    "namespace": "default",
                    "name": "web",
                    "uid": pod["metadata"]["uid"],
                },
                "reason": reason,
                "message": reason,
                "type": "Normal",
                "lastTimestamp": "2026-12-02T10:00:00Z",
            },
            namespace="default",
        )
    page = alice_client.get(f"/sandboxes/{sandbox.pk}/pods/default/web/", **HTMX).content.decode()
    positions = [page.index(f"Normal {reason}") for reason in ("Pulled", "Created", "Started")]
    assert positions == sorted(positions)


def test_crashing_a_container_in_back_off_says_why_it_cannot(alice_client, sandbox, alice):
    ApiServer.as_user(sandbox, alice).create(
        "pods",
        {"metadata": {"name": "loop"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
        namespace="default",
    )
    ApiServer.as_component(sandbox, "scheduler").bind("loop", "node-1")
    kubelet = ApiServer.as_component(sandbox, "kubelet/node-1")
    pod = kubelet.get("pods", "loop", namespace="default")
    pod["status"]["containerStatuses"] = [
        {
            "name": "app",
            "image": "nginx",
            "imageID": "",
            "ready": False,
            "restartCount": 2,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 20s"}},
        }
    ]
    kubelet.update_status("pods", pod, namespace="default")
    response = alice_client.post(
        f"/sandboxes/{sandbox.pk}/pods/default/loop/crash/", {"exit_code": "1"}, **HTMX
    )
    assert response.status_code == 409
    assert (
        "container app of pod default/loop is not running: it is waiting in CrashLoopBackOff"
        in response.content.decode()
    )


def test_a_taint_key_with_two_effects_has_one_remove_button(alice_client, sandbox, alice):
    taints = [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
    ]
    ApiServer.as_user(sandbox, alice).patch("nodes", "node-1", {"spec": {"taints": taints}})
    html = alice_client.get(f"/sandboxes/{sandbox.pk}/nodes/node-1/", **HTMX).content.decode()
    assert html.count("Remove taint node.kubernetes.io/unreachable") == 1
