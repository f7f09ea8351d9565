"""The RollingUpdate and Recreate strategies (upstream's rolling.go and recreate.go)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cluster.components.controllers import deployment_status as ds
from cluster.components.controllers import deployment_util as du
from cluster.components.controllers.deployment_sync import DeploymentSync


def rollout_rolling(sync: DeploymentSync) -> None:
    """As upstream's rolloutRolling: scale the new ReplicaSet up if the surge allows, else
    the old ones down if availability allows; clean up once complete; then status."""
    new_rs, old_rss = sync.all_replica_sets(create=True)
    all_rss = [*old_rss, new_rs]
    if reconcile_new_replica_set(sync, all_rss, new_rs):
        return sync.sync_rollout_status(all_rss, new_rs)
    if reconcile_old_replica_sets(sync, all_rss, du.filter_active(old_rss), new_rs):
        return sync.sync_rollout_status(all_rss, new_rs)
    if ds.deployment_complete(sync.d, sync.d["status"]):
        sync.cleanup_deployment(old_rss)
    sync.sync_rollout_status(all_rss, new_rs)


def reconcile_new_replica_set(sync: DeploymentSync, all_rss: Sequence, new_rs: dict) -> bool:
    wanted = du.replicas(sync.d)
    if du.replicas(new_rs) == wanted:
        return False
    if du.replicas(new_rs) > wanted:
        return sync.scale_replica_set_and_record_event(new_rs, wanted)[0]
    count = du.new_rs_new_replicas(sync.d, all_rss, new_rs)
    return sync.scale_replica_set_and_record_event(new_rs, count)[0]


def reconcile_old_replica_sets(
    sync: DeploymentSync, all_rss: Sequence, old_rss: list[dict], new_rs: dict
) -> bool:
    """As upstream's reconcileOldReplicaSets. What may go: all pods, less the minimum
    available, less the new ReplicaSet's unavailable pods (so a crashlooping new template
    does not eat into the old pods that still serve)."""
    if du.total_replicas(old_rss) == 0:
        return False
    min_available = du.replicas(sync.d) - du.max_unavailable(sync.d)
    new_unavailable = du.replicas(new_rs) - du.status_of(new_rs, "availableReplicas")
    max_scaled_down = du.total_replicas(all_rss) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    old_rss, cleaned = cleanup_unhealthy_replicas(sync, old_rss, max_scaled_down)
    scaled = scale_down_old_replica_sets_for_rolling_update(sync, [*old_rss, new_rs], old_rss)
    return cleaned + scaled > 0


def cleanup_unhealthy_replicas(
    sync: DeploymentSync, old_rss: list[dict], max_cleanup: int
) -> tuple[list[dict], int]:
    """As upstream's cleanupUnhealthyReplicas: first take away old pods that are not
    available anyway (the ReplicaSet deletes not-ready pods first), oldest ReplicaSet
    first, which costs no availability."""
    old_rss = sorted(old_rss, key=du.creation_key)
    total = 0
    for index, rs in enumerate(old_rss):
        if total >= max_cleanup:
            break
        unhealthy = du.replicas(rs) - du.status_of(rs, "availableReplicas")
        if du.replicas(rs) == 0 or unhealthy <= 0:
            continue
        count = min(max_cleanup - total, unhealthy)
        _, old_rss[index] = sync.scale_replica_set_and_record_event(rs, du.replicas(rs) - count)
        total += count
    return old_rss, total


def scale_down_old_replica_sets_for_rolling_update(
    sync: DeploymentSync, all_rss: Sequence, old_rss: list[dict]
) -> int:
    """As upstream's scaleDownOldReplicaSetsForRollingUpdate: as many old pods as are
    available beyond the minimum, oldest ReplicaSet first."""
    min_available = du.replicas(sync.d) - du.max_unavailable(sync.d)
    available = du.total_status(all_rss, "availableReplicas")
    if available <= min_available:
        return 0
    wanted = available - min_available
    total = 0
    for rs in sorted(old_rss, key=du.creation_key):
        if total >= wanted:
            break
        if du.replicas(rs) == 0:
            continue
        count = min(du.replicas(rs), wanted - total)
        sync.scale_replica_set_and_record_event(rs, du.replicas(rs) - count)
        total += count
    return total


def rollout_recreate(sync: DeploymentSync, pod_map: Mapping[str, list[dict]]) -> None:
    """As upstream's rolloutRecreate: every old ReplicaSet to 0, wait until none of their
    pods runs, then create (or scale up) the new one at full size."""
    new_rs, old_rss = sync.all_replica_sets(create=False)
    all_rss = [*old_rss, new_rs]
    scaled_down = False
    for rs in du.filter_active(old_rss):
        scaled_down |= sync.scale_replica_set_and_record_event(rs, 0)[0]
    if scaled_down or old_pods_running(new_rs, old_rss, pod_map):
        return sync.sync_rollout_status(all_rss, new_rs)
    if new_rs is None:
        new_rs, old_rss = sync.all_replica_sets(create=True)
        all_rss = [*old_rss, new_rs]
    sync.scale_replica_set_and_record_event(new_rs, du.replicas(sync.d))
    if ds.deployment_complete(sync.d, sync.d["status"]):
        sync.cleanup_deployment(old_rss)
    sync.sync_rollout_status(all_rss, new_rs)


def old_pods_running(
    new_rs: Mapping | None, old_rss: Sequence[Mapping], pod_map: Mapping[str, list[dict]]
) -> bool:
    """As upstream's oldPodsRunning: an old ReplicaSet still counts pods, or a pod of one is
    not yet Succeeded or Failed (a terminating pod still runs)."""
    if du.total_status(old_rss, "replicas") > 0:
        return True
    new_uid = new_rs["metadata"].get("uid") if new_rs else None
    return any(
        (pod.get("status") or {}).get("phase") not in {"Succeeded", "Failed"}
        for uid, pods in pod_map.items()
        if uid != new_uid
        for pod in pods
    )
