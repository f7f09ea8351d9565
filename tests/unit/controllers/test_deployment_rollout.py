"""Whole rollouts, step by step, with the ReplicaSet controller and kubelet simulated
(deployment_harness.Cluster): the bounds at every step, Recreate, revisions and their
history, rollback, paused, scaling mid-rollout, conditions and the progress deadline."""

from __future__ import annotations

import pytest

from cluster.components.controllers.deployment_hash import compute_hash
from cluster.components.controllers.deployment_rollback import RollbackError, rollback_template
from tests.unit.controllers.deployment_harness import NS, Cluster, deployment
from tests.unit.fakes import FakeClusterApi

REVISION = "deployment.kubernetes.io/revision"


def set_image(image: str):
    def change(spec: dict) -> None:
        spec["template"]["spec"]["containers"][0]["image"] = image

    return change


def rolled_out(cluster: Cluster, d: dict) -> Cluster:
    cluster.create(d)
    cluster.run()
    return cluster


def bounds(replicas: int, surge: int, unavailable: int):
    seen = {"max_pods": 0, "min_ready": replicas}

    def check(cluster: Cluster) -> None:
        pods, ready = len(cluster.active_pods()), len(cluster.ready_pods())
        assert pods <= replicas + surge, f"{pods} pods: more than {replicas} + {surge}"
        assert ready >= replicas - unavailable, (
            f"{ready} ready: fewer than {replicas} - {unavailable}"
        )
        seen["max_pods"] = max(seen["max_pods"], pods)
        seen["min_ready"] = min(seen["min_ready"], ready)

    return check, seen


def replica_set_named(cluster: Cluster, name: str) -> dict:
    return cluster.api.get("replicasets", name, namespace=NS)


def by_revision(cluster: Cluster) -> dict[str, dict]:
    return {rs["metadata"]["annotations"][REVISION]: rs for rs in cluster.replica_sets()}


def test_a_deployment_gets_a_replica_set_named_for_its_template_hash():
    cluster = rolled_out(Cluster(), deployment(replicas=3))
    d = cluster.deployment()
    [rs] = cluster.replica_sets()
    template_hash = compute_hash(d["spec"]["template"])
    assert rs["metadata"]["name"] == f"web-{template_hash}"
    assert rs["metadata"]["labels"] == {"app": "web", "pod-template-hash": template_hash}
    assert rs["spec"]["selector"]["matchLabels"]["pod-template-hash"] == template_hash
    assert rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == template_hash
    [owner] = rs["metadata"]["ownerReferences"]
    assert owner["kind"] == "Deployment" and owner["controller"] is True
    assert owner["uid"] == d["metadata"]["uid"]
    annotations = rs["metadata"]["annotations"]
    assert annotations[REVISION] == "1"
    assert annotations["deployment.kubernetes.io/desired-replicas"] == "3"
    assert annotations["deployment.kubernetes.io/max-replicas"] == "4"
    assert d["metadata"]["annotations"][REVISION] == "1"
    [event] = cluster.api.events("ScalingReplicaSet")
    assert event["message"] == f"Scaled up replica set web-{template_hash} to 3"
    assert event["source"] == {"component": "deployment-controller"}


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "resolved"),
    [
        (4, "25%", "25%", (1, 1)),
        (10, "25%", "25%", (3, 2)),
        (3, 1, 0, (1, 0)),
        (3, 0, 1, (0, 1)),
        (5, "0%", "0%", (0, 1)),
    ],
)
def test_a_rolling_update_stays_within_max_surge_and_max_unavailable(
    replicas, surge, unavailable, resolved
):
    cluster = rolled_out(
        Cluster(), deployment(replicas=replicas, max_surge=surge, max_unavailable=unavailable)
    )
    old_rs = cluster.replica_sets()[0]["metadata"]["name"]
    check, seen = bounds(replicas, *resolved)
    cluster.edit("web", set_image("nginx:1.27"))
    cluster.run(check)
    assert cluster.images_of_ready_pods() == ["nginx:1.27"] * replicas
    assert replica_set_named(cluster, old_rs)["spec"]["replicas"] == 0
    # The budget is used, not merely respected.
    assert seen["max_pods"] == replicas + resolved[0]
    assert seen["min_ready"] == replicas - resolved[1]
    d = cluster.deployment()
    assert d["metadata"]["annotations"][REVISION] == "2"
    assert d["status"]["updatedReplicas"] == replicas


def test_the_rollout_tells_its_steps_in_events_and_traces():
    cluster = rolled_out(Cluster(), deployment(replicas=4))
    old = cluster.replica_sets()[0]["metadata"]["name"]
    cluster.edit("web", set_image("nginx:1.27"))
    cluster.run()
    new = f"web-{compute_hash(cluster.deployment()['spec']['template'])}"
    messages = [e["message"] for e in cluster.api.events("ScalingReplicaSet")]
    assert f"Scaled up replica set {new} to 1" in messages
    assert f"Scaled down replica set {old} to 3 from 4" in messages
    assert f"Scaled up replica set {new} to 2 from 1" in messages
    assert f"Scaled down replica set {old} to 0 from 1" in messages
    assert any(
        reason.startswith("deployment default/web wants 4 of nginx:1.27, sees 0 updated and 4 old:")
        and f"creating replica set {new}" in reason
        for reason in cluster.api.reasons
    )
    assert f"scaling down replica set {old} from 4 to 3" in " ".join(cluster.api.reasons)
    assert cluster.api.reason == ""  # each pass ends its explanation


def test_recreate_waits_for_every_old_pod_to_be_gone_before_creating_the_new():
    cluster = rolled_out(Cluster(), deployment(replicas=3, strategy="Recreate"))
    cluster.edit("web", set_image("nginx:1.27"))

    def never_mixed(c: Cluster) -> None:
        images = {p["spec"]["containers"][0]["image"] for p in c.pods()}
        assert len(images) <= 1, f"old and new pods at once: {images}"

    cluster.deployment_controller()
    [old] = cluster.replica_sets()
    assert old["spec"]["replicas"] == 0  # scaled down, nothing new yet
    cluster.replicaset_controller()
    assert len(cluster.pods()) == 3  # terminating, still running
    cluster.deployment_controller()
    assert len(cluster.replica_sets()) == 1  # waits for them
    cluster.run(never_mixed)
    assert cluster.images_of_ready_pods() == ["nginx:1.27"] * 3


def test_revision_history_limit_deletes_the_oldest_empty_replica_sets():
    cluster = rolled_out(Cluster(), deployment(replicas=2, revisionHistoryLimit=1))
    for image in ("nginx:1.26", "nginx:1.27"):
        cluster.edit("web", set_image(image))
        cluster.run()
    cluster.deployment_controller()
    revisions = by_revision(cluster)
    assert sorted(revisions) == ["2", "3"]
    assert revisions["3"]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert revisions["2"]["spec"]["replicas"] == 0


def test_rollback_reuses_the_old_replica_set_and_moves_its_revision():
    cluster = rolled_out(Cluster(), deployment(replicas=4))
    [first] = cluster.replica_sets()
    cluster.edit("web", set_image("nginx:1.27"))
    cluster.run()
    request = rollback_template(cluster.deployment(), cluster.replica_sets())
    assert request["to_revision"] == 1
    assert request["message"] == "deployment.apps/web rolled back"
    cluster.api.patch("deployments", "web", request["patch"], patch_type="json", namespace=NS)
    check, _ = bounds(4, 1, 1)
    cluster.run(check)
    assert len(cluster.replica_sets()) == 2  # no third ReplicaSet
    reused = replica_set_named(cluster, first["metadata"]["name"])
    assert reused["metadata"]["uid"] == first["metadata"]["uid"]
    assert reused["spec"]["replicas"] == 4
    assert reused["metadata"]["annotations"][REVISION] == "3"
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert cluster.deployment()["metadata"]["annotations"][REVISION] == "3"
    assert cluster.images_of_ready_pods() == ["nginx:1.25"] * 4


def test_rollback_template_follows_kubectl():
    cluster = rolled_out(Cluster(), deployment(replicas=1))
    d, rss = cluster.deployment(), cluster.replica_sets()
    with pytest.raises(RollbackError, match='no rollout history found for deployment "web"'):
        rollback_template(d, rss)
    with pytest.raises(RollbackError, match="unable to find specified revision 7 in history"):
        rollback_template(d, rss, to_revision=7)
    skipped = rollback_template(d, rss, to_revision=1)
    assert skipped["patch"] == []
    assert skipped["message"] == "skipped rollback (current template already matches revision 1)"
    paused = {**d, "spec": {**d["spec"], "paused": True}}
    with pytest.raises(RollbackError, match="cannot rollback a paused deployment"):
        rollback_template(paused, rss)


def test_a_paused_deployment_scales_but_does_not_roll_out():
    cluster = rolled_out(Cluster(), deployment(replicas=2))
    [rs] = cluster.replica_sets()
    cluster.edit("web", lambda spec: spec.update(paused=True))
    cluster.edit("web", set_image("nginx:1.27"))
    cluster.edit("web", lambda spec: spec.update(replicas=3))
    for _ in range(3):
        cluster.step()
    assert [r["metadata"]["name"] for r in cluster.replica_sets()] == [rs["metadata"]["name"]]
    assert cluster.images_of_ready_pods() == ["nginx:1.25"] * 3
    progressing = condition(cluster, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("Unknown", "DeploymentPaused")
    assert progressing["message"] == "Deployment is paused"
    cluster.edit("web", lambda spec: spec.update(paused=False))
    cluster.deployment_controller()
    # Resumed (Progressing Unknown, DeploymentResumed), then the rollout starts at once.
    assert any(reason.endswith(": noting it is resumed") for reason in cluster.api.reasons)
    assert condition(cluster, "Progressing")["reason"] == "NewReplicaSetCreated"
    cluster.run()
    assert cluster.images_of_ready_pods() == ["nginx:1.27"] * 3


def test_scaling_mid_rollout_is_proportional():
    cluster = rolled_out(Cluster(), deployment(replicas=10, max_surge=2, max_unavailable=0))
    [old] = cluster.replica_sets()
    cluster.broken_images.add("nginx:1.27")  # the rollout stalls with 10 old and 2 new
    cluster.edit("web", set_image("nginx:1.27"))
    for _ in range(3):
        cluster.step()
    sizes = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in cluster.replica_sets()}
    assert sizes[old["metadata"]["name"]] == 10 and sum(sizes.values()) == 12
    cluster.edit("web", lambda spec: spec.update(replicas=20))
    cluster.step()
    sizes = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in cluster.replica_sets()}
    # 22 allowed (20 + surge 2): 10/12 and 2/12 of 22, rounded.
    assert sizes[old["metadata"]["name"]] == 18
    assert sum(sizes.values()) == 22


def condition(cluster: Cluster, condition_type: str) -> dict:
    [found] = [
        c for c in cluster.deployment()["status"]["conditions"] if c["type"] == condition_type
    ]
    return found


def test_conditions_follow_the_rollout():
    cluster = Cluster()
    cluster.create(deployment(replicas=2))
    cluster.deployment_controller()
    [rs] = cluster.replica_sets()
    name = rs["metadata"]["name"]
    progressing = condition(cluster, "Progressing")
    assert (progressing["reason"], progressing["message"]) == (
        "NewReplicaSetCreated",
        f'Created new replica set "{name}"',
    )
    available = condition(cluster, "Available")
    assert (available["status"], available["reason"]) == ("False", "MinimumReplicasUnavailable")
    assert available["message"] == "Deployment does not have minimum availability."
    cluster.run()
    progressing, available = condition(cluster, "Progressing"), condition(cluster, "Available")
    assert (progressing["status"], progressing["reason"]) == ("True", "NewReplicaSetAvailable")
    assert progressing["message"] == f'ReplicaSet "{name}" has successfully progressed.'
    assert (available["status"], available["reason"]) == ("True", "MinimumReplicasAvailable")
    assert available["message"] == "Deployment has minimum availability."
    status = cluster.deployment()["status"]
    assert {k: status[k] for k in ("replicas", "updatedReplicas", "readyReplicas")} == {
        "replicas": 2,
        "updatedReplicas": 2,
        "readyReplicas": 2,
    }
    assert status["availableReplicas"] == 2 and "unavailableReplicas" not in status
    assert status["observedGeneration"] == cluster.deployment()["metadata"]["generation"]


def test_a_stuck_rollout_exceeds_its_progress_deadline_on_a_timer():
    cluster = rolled_out(Cluster(), deployment(replicas=2, progressDeadlineSeconds=30))
    cluster.broken_images.add("nginx:broken")
    cluster.edit("web", set_image("nginx:broken"))
    for _ in range(3):
        cluster.step()
    progressing = condition(cluster, "Progressing")
    assert progressing["reason"] == "ReplicaSetUpdated"
    wake_at = cluster.memory["wake_at"]
    assert wake_at is not None
    cluster.clock.advance(30)
    assert cluster.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ") >= wake_at
    cluster.deployment_controller()
    progressing = condition(cluster, "Progressing")
    new = f"web-{compute_hash(cluster.deployment()['spec']['template'])}"
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert progressing["message"] == f'ReplicaSet "{new}" has timed out progressing.'
    assert cluster.memory["wake_at"] is None
    # The old pods keep serving: maxUnavailable 25% of 2 is 0.
    assert cluster.images_of_ready_pods() == ["nginx:1.25"] * 2


def test_a_hash_collision_bumps_collision_count_and_names_the_next_replica_set_apart():
    cluster = Cluster()
    d = cluster.create(deployment(replicas=1))
    template_hash = compute_hash(d["spec"]["template"])
    squatter = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": f"web-{template_hash}", "labels": {"app": "other"}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "other"}},
            "template": {"metadata": {"labels": {"app": "other"}}, "spec": {"containers": []}},
        },
    }
    cluster.api.create("replicasets", squatter, namespace=NS)
    cluster.deployment_controller()
    assert cluster.deployment()["status"]["collisionCount"] == 1
    cluster.run()
    names = sorted(rs["metadata"]["name"] for rs in cluster.replica_sets())
    assert names == sorted(
        [f"web-{template_hash}", f"web-{compute_hash(d['spec']['template'], 1)}"]
    )


def test_a_matching_orphan_replica_set_is_adopted_and_serves_as_the_new_one():
    cluster = Cluster()
    d = deployment(replicas=2)
    orphan = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-by-hand", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": d["spec"]["template"],
        },
    }
    cluster.api.create("replicasets", orphan, namespace=NS)
    created = cluster.create(d)
    cluster.run()
    [rs] = cluster.replica_sets()
    assert rs["metadata"]["name"] == "web-by-hand"
    [owner] = rs["metadata"]["ownerReferences"]
    assert (owner["uid"], owner["controller"]) == (created["metadata"]["uid"], True)
    assert rs["metadata"]["annotations"][REVISION] == "1"
    assert any("adopting replica set web-by-hand" in reason for reason in cluster.api.reasons)


def test_a_conflicting_write_leaves_the_deployment_for_the_next_pass():
    class Conflicting(FakeClusterApi):
        def update_status(self, resource, obj, *, namespace=""):
            if resource == "deployments" and not getattr(self, "conflicted", False):
                self.conflicted = True
                obj = {**obj, "metadata": {**obj["metadata"], "resourceVersion": "stale"}}
            return super().update_status(resource, obj, namespace=namespace)

    cluster = Cluster()
    cluster.api = Conflicting(clock=cluster.clock)
    cluster.create(deployment(replicas=2))
    cluster.deployment_controller()  # the conflict is swallowed, as upstream requeues
    assert cluster.api.reason == ""
    cluster.run()
    assert cluster.deployment()["metadata"]["annotations"][REVISION] == "1"
