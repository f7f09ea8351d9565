"""The lesson's ending on the real stack (Celery worker and beat, Redis, the database):
controllers compare desired with actual state and act, so the cluster heals itself."""

from __future__ import annotations

import time

import pytest

from cluster import faults
from cluster.apiserver import ApiServer
from cluster.clock import clock_set_speed
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

LABELS = {"app": "web"}


def template(image: str = "nginx:1.27.3") -> dict:
    return {
        "metadata": {"labels": dict(LABELS)},
        "spec": {"containers": [{"name": "nginx", "image": image}]},
    }


def replicaset(name: str = "web", replicas: int = 3) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "labels": dict(LABELS)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(LABELS)},
            "template": template(),
        },
    }


def deployment(name: str = "web", replicas: int = 3, image: str = "nginx:1.25.5") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(LABELS)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(LABELS)},
            "template": template(image),
        },
    }


def pods(api: ApiServer, *, active_only: bool = True) -> list[dict]:
    items = api.list("pods", namespace="default")["items"]
    return [pod for pod in items if not (active_only and pod["metadata"].get("deletionTimestamp"))]


def is_ready(pod: dict) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def ready_pods(api: ApiServer, count: int, *, image: str = ""):
    def check():
        found = [
            pod
            for pod in pods(api)
            if is_ready(pod) and (not image or pod["spec"]["containers"][0]["image"] == image)
        ]
        return found if len(found) == count and len(pods(api)) == count else None

    return check


def test_a_replicaset_of_3_recreates_a_deleted_pod_and_scales(stack, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    api.create("replicasets", replicaset(), namespace="default")
    first = wait_for(ready_pods(api, 3), timeout=40)
    names = {pod["metadata"]["name"] for pod in first}
    assert all(name.startswith("web-") and len(name) == len("web-") + 5 for name in names)
    assert {pod["metadata"]["ownerReferences"][0]["kind"] for pod in first} == {"ReplicaSet"}

    victim = sorted(names)[0]
    api.delete("pods", victim, namespace="default")
    healed = wait_for(ready_pods(api, 3), timeout=40)
    assert victim not in {pod["metadata"]["name"] for pod in healed}

    api.patch("replicasets", "web", {"spec": {"replicas": 5}}, namespace="default")
    wait_for(ready_pods(api, 5), timeout=40)
    api.patch("replicasets", "web", {"spec": {"replicas": 1}}, namespace="default")
    wait_for(ready_pods(api, 1), timeout=40)
    status = wait_for(
        lambda: (
            (s := api.get("replicasets", "web", namespace="default")["status"]).get("readyReplicas")
            == 1
            and s.get("replicas") == 1
            and s
        ),
        timeout=20,
    )
    assert status["availableReplicas"] == 1


def test_with_the_controller_manager_stopped_nothing_heals_until_it_starts(stack, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    api.create("replicasets", replicaset(replicas=2), namespace="default")
    ready = wait_for(ready_pods(api, 2), timeout=40)
    faults.component_stop(sandbox, alice, "controller-manager")
    api.delete("pods", ready[0]["metadata"]["name"], namespace="default", grace_period_seconds=0)
    time.sleep(3)
    assert len(pods(api)) == 1
    faults.component_start(sandbox, alice, "controller-manager")
    wait_for(ready_pods(api, 2), timeout=40)


def test_a_rolling_update_keeps_within_max_surge_and_max_unavailable_then_rolls_back(
    stack, sandbox, alice
):
    clock_set_speed(sandbox, 5)
    api = ApiServer.as_user(sandbox, alice)
    api.create("deployments", deployment(replicas=4, image="nginx:1.25.5"), namespace="default")
    wait_for(ready_pods(api, 4, image="nginx:1.25.5"), timeout=60)
    before = api.list("pods", namespace="default")

    # A patch, as `kubectl set image` sends: a get-then-update would race the deployment
    # controller's status writes and lose with a 409, as it does upstream.
    image = [
        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.27.3"}
    ]
    api.patch("deployments", "web", image, patch_type="json", namespace="default")
    wait_for(ready_pods(api, 4, image="nginx:1.27.3"), timeout=90)

    # 25% of 4: at most 1 pod more than 4, at most 1 fewer than 4 ready, at every revision.
    # As in upstream 1.32, pods already terminating count towards neither.
    most, fewest_ready = pod_counts_at_every_revision(api, before)
    assert most == 5  # the surge was used, and seen by the replay
    assert fewest_ready >= 3

    replicasets = api.list("replicasets", namespace="default")["items"]
    revisions = {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        for rs in replicasets
    }
    assert revisions == {"nginx:1.25.5": "1", "nginx:1.27.3": "2"}

    # Roll back, as `kubectl rollout undo` does: the old template comes back, and the old
    # ReplicaSet is reused under a new revision.
    from sandbox.rollouts import rollback_template

    deployment_now = api.get("deployments", "web", namespace="default")
    undo = rollback_template(deployment_now, replicasets)
    api.patch("deployments", "web", undo["patch"], patch_type="json", namespace="default")
    wait_for(ready_pods(api, 4, image="nginx:1.25.5"), timeout=90)
    replicasets = api.list("replicasets", namespace="default")["items"]
    assert len(replicasets) == 2
    old = next(
        rs
        for rs in replicasets
        if rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25.5"
    )
    assert old["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"


def pod_counts_at_every_revision(api: ApiServer, before: dict) -> tuple[int, int]:
    """Replay the pods' watch from a list (kubectl's list-then-watch): the most pods not
    terminating there ever were, and the fewest ready among them, at any revision."""
    pods_now = {p["metadata"]["name"]: p for p in before["items"]}
    batch = api.watch(
        "pods", namespace="default", resource_version=before["metadata"]["resourceVersion"]
    )

    def counts() -> tuple[int, int]:
        active = [p for p in pods_now.values() if not p["metadata"].get("deletionTimestamp")]
        return len(active), sum(1 for p in active if is_ready(p))

    most, fewest_ready = counts()
    revision = None
    for event in batch.events:
        obj = event["object"]
        # The bounds hold at each revision, once all of its changes are applied.
        if revision is not None and obj["metadata"]["resourceVersion"] != revision:
            active, ready = counts()
            most, fewest_ready = max(most, active), min(fewest_ready, ready)
        revision = obj["metadata"]["resourceVersion"]
        if event["type"] == "DELETED":
            pods_now.pop(obj["metadata"]["name"], None)
        else:
            pods_now[obj["metadata"]["name"]] = obj
    active, ready = counts()
    return max(most, active), min(fewest_ready, ready)


def test_a_stopped_nodes_pods_come_back_on_another_node(stack, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    api.create("deployments", deployment(replicas=2, image="nginx:1.27.3"), namespace="default")
    ready = wait_for(ready_pods(api, 2), timeout=60)
    node = ready[0]["spec"]["nodeName"]
    other = {"node-1": "node-2", "node-2": "node-1"}[node]
    # 50 s of grace and 300 s of toleration pass in seconds at x100.
    clock_set_speed(sandbox, 100)
    faults.node_stop(sandbox, alice, name=node)

    def unknown():
        conditions = api.get("nodes", node)["status"]["conditions"]
        ready = next(c for c in conditions if c["type"] == "Ready")
        return ready if ready["status"] == "Unknown" else None

    condition = wait_for(unknown, timeout=30)
    assert condition["message"] == "Kubelet stopped posting node status."

    def unreachable():
        taints = api.get("nodes", node)["spec"].get("taints") or []
        return {(t["key"], t["effect"]) for t in taints} >= {
            ("node.kubernetes.io/unreachable", "NoSchedule"),
            ("node.kubernetes.io/unreachable", "NoExecute"),
        }

    wait_for(unreachable, timeout=30)

    def all_on_the_other_node():
        found = [pod for pod in pods(api) if is_ready(pod)]
        on_other = [pod for pod in found if pod["spec"]["nodeName"] == other]
        return on_other if len(on_other) == 2 else None

    wait_for(all_on_the_other_node, timeout=60)
    # At x100 the other node's kubelet still renews its Lease in time: it never went Unknown.
    other_node = api.get("nodes", other)
    assert not any(
        t["key"] == "node.kubernetes.io/unreachable" for t in other_node["spec"].get("taints") or []
    )
    clock_set_speed(sandbox, 1)
    faults.node_start(sandbox, alice, name=node)

    def ready_again():
        conditions = api.get("nodes", node)["status"]["conditions"]
        ready = next(c for c in conditions if c["type"] == "Ready")
        return ready["status"] == "True" and not any(
            t["key"] == "node.kubernetes.io/unreachable"
            for t in api.get("nodes", node)["spec"].get("taints") or []
        )

    wait_for(ready_again, timeout=40)


def test_deleting_a_deployment_cascades_and_orphaning_keeps_the_pods(stack, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    api.create("deployments", deployment(replicas=2, image="nginx:1.27.3"), namespace="default")
    wait_for(ready_pods(api, 2), timeout=60)
    api.delete("deployments", "web", namespace="default")
    wait_for(
        lambda: not api.list("replicasets", namespace="default")["items"] and not pods(api),
        timeout=40,
    )

    api.create("replicasets", replicaset(name="kept", replicas=2), namespace="default")
    kept = wait_for(ready_pods(api, 2), timeout=60)
    api.delete("replicasets", "kept", namespace="default", propagation_policy="Orphan")
    wait_for(lambda: not api.list("replicasets", namespace="default")["items"], timeout=30)

    def orphaned():
        found = pods(api)
        return (
            found
            if found and all(not p["metadata"].get("ownerReferences") for p in found)
            else None
        )

    orphans = wait_for(orphaned, timeout=30)
    assert {p["metadata"]["name"] for p in orphans} == {p["metadata"]["name"] for p in kept}


def test_draining_a_node_moves_its_deployments_pods_to_the_other_node(
    stack, client, sandbox, alice
):
    api = ApiServer.as_user(sandbox, alice)
    api.create("deployments", deployment(replicas=2, image="nginx:1.27.3"), namespace="default")
    ready = wait_for(ready_pods(api, 2), timeout=60)
    node = ready[0]["spec"]["nodeName"]
    client.force_login(alice)
    client.post(f"/sandboxes/{sandbox.pk}/nodes/{node}/drain/", HTTP_HX_REQUEST="true")

    def none_left_on_the_drained_node():
        found = wait_for(ready_pods(api, 2), timeout=60)
        return found if all(pod["spec"]["nodeName"] != node for pod in found) else None

    wait_for(none_left_on_the_drained_node, timeout=60)

    def cordon_tainted():  # the node lifecycle controller turns the cordon into a taint
        taints = api.get("nodes", node)["spec"].get("taints") or []
        return any(t["key"] == "node.kubernetes.io/unschedulable" for t in taints)

    wait_for(cordon_tainted, timeout=30)


def test_a_services_endpoints_and_kube_proxys_rules_follow_readiness(stack, sandbox, alice):
    from sandbox.selectors import kube_proxy_rules

    api = ApiServer.as_user(sandbox, alice)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": dict(LABELS), "ports": [{"port": 80}]},
    }
    cluster_ip = api.create("services", service, namespace="default")["spec"]["clusterIP"]
    manifest = deployment(replicas=2, image="podlab/slow-start:5s")
    api.create("deployments", manifest, namespace="default")

    def rule_targets() -> set[str]:
        rules = kube_proxy_rules(sandbox, "node-1") or []
        rule = next((r for r in rules if r["address"] == f"{cluster_ip}:80/TCP"), None)
        return set(rule["endpoints"]) if rule else set()

    def pod_targets() -> set[str]:
        return {f"{pod['status']['podIP']}:80" for pod in pods(api) if is_ready(pod)}

    # Not ready for 5 s after they start: no endpoint until then, then both.
    wait_for(lambda: len(pod_targets()) == 2 and rule_targets() == pod_targets(), timeout=60)
    slices = api.list("endpointslices", namespace="default")["items"]
    [web] = [s for s in slices if s["metadata"]["labels"]["kubernetes.io/service-name"] == "web"]
    assert all(e["conditions"]["ready"] for e in web["endpoints"])

    victim = pods(api)[0]
    api.delete("pods", victim["metadata"]["name"], namespace="default")
    gone = f"{victim['status']['podIP']}:80"
    wait_for(lambda: gone not in rule_targets(), timeout=30)
    wait_for(lambda: len(pod_targets()) == 2 and rule_targets() == pod_targets(), timeout=60)
