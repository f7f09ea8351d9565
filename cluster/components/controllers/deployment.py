"""The Deployment controller (upstream's pkg/controller/deployment, 1.32): a ReplicaSet per
pod template, rolled from old to new within maxSurge and maxUnavailable, or recreated;
revisions and their history; paused Deployments; proportional scaling mid-rollout; and
status with the Progressing and Available conditions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers import deployment_util as du
from cluster.components.controllers.controller import KNOW_NOTHING, ClusterFacts, Controller
from cluster.components.controllers.deployment_rolling import rollout_recreate, rollout_rolling
from cluster.components.controllers.deployment_sync import DeploymentSync
from cluster.components.controllers.ownership import (
    controller_of,
    controller_ref,
    selector_matches,
)
from cluster.components.events import EventRecorder
from cluster.objects import format_time

COMPONENT = "deployment-controller"


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    """One pass over every Deployment, as upstream's workers sync each key; a Deployment whose
    sync fails (a conflict, a vanished object) is left for the next pass, as upstream
    requeues it."""
    deployments = api.list("deployments")["items"]
    replica_sets = api.list("replicasets")["items"]
    pods: list[dict] | None = None

    def all_pods() -> list[dict]:
        nonlocal pods  # listed once, and only when a Recreate rollout needs them
        if pods is None:
            pods = api.list("pods")["items"]
        return pods

    events = memory.setdefault("events", {})
    recorder = EventRecorder(api, clock, component=COMPONENT, memory=events)
    wake_times: list[dt.datetime] = []
    for deployment in sorted(deployments, key=_key):
        try:
            wake_at = sync_deployment(api, clock, recorder, deployment, replica_sets, all_pods)
        except Exception as error:
            if getattr(error, "code", None) is None:
                raise
            wake_at = None
        finally:
            api.explain("")
        if wake_at is not None:
            wake_times.append(wake_at)
    memory["wake_at"] = format_time(min(wake_times)) if wake_times else None


def sync_deployment(
    api: ClusterApi,
    clock: Clock,
    recorder: EventRecorder,
    deployment: dict,
    replica_sets: list[dict],
    all_pods: Callable[[], list[dict]],
) -> dt.datetime | None:
    """As upstream's syncDeployment; returns when the Deployment wants its next progress
    check (its deadline), if it does."""
    meta = deployment["metadata"]
    selector = (deployment.get("spec") or {}).get("selector")
    if selector == {}:
        return _selecting_all(api, recorder, deployment)
    rs_list = claim_replica_sets(api, deployment, replica_sets)
    sync = DeploymentSync(api, clock, recorder, deployment, rs_list)
    if meta.get("deletionTimestamp"):
        new_rs, old_rss = sync.all_replica_sets(create=False)
        sync.sync_deployment_status([*old_rss, new_rs], new_rs)
        return None
    sync.check_paused_conditions()
    if sync.d["spec"].get("paused") or _is_scaling_event(sync):
        _scale_and_sync(sync)
        return None
    if sync.d["spec"]["strategy"].get("type") == du.RECREATE:
        rollout_recreate(sync, _pod_map(deployment, rs_list, all_pods()))
    else:
        rollout_rolling(sync)
    return sync.wake_at


def _scale_and_sync(sync: DeploymentSync) -> None:
    """As upstream's sync(): scaling events and paused Deployments; no rollout progress,
    and a paused one's old revisions are cleaned up."""
    new_rs, old_rss = sync.all_replica_sets(create=False)
    sync.scale(new_rs, old_rss)
    if sync.d["spec"].get("paused"):
        sync.cleanup_deployment(old_rss)
    sync.sync_deployment_status([*old_rss, new_rs], new_rs)


def _is_scaling_event(sync: DeploymentSync) -> bool:
    """As upstream's isScalingEvent: an active ReplicaSet was annotated for another size."""
    new_rs, old_rss = sync.all_replica_sets(create=False)
    for rs in du.filter_active([*old_rss, new_rs]):
        desired = du.int_annotation(rs, du.DESIRED_REPLICAS_ANNOTATION)
        if desired is not None and desired != du.replicas(sync.d):
            return True
    return False


def claim_replica_sets(api: ClusterApi, deployment: dict, replica_sets: list[dict]) -> list[dict]:
    """As upstream's ClaimReplicaSets: ours that still match, plus matching orphans adopted;
    ours that stopped matching are released."""
    meta = deployment["metadata"]
    selector = deployment["spec"].get("selector")
    deleting = bool(meta.get("deletionTimestamp"))
    claimed = []
    for rs in replica_sets:
        rs_meta = rs["metadata"]
        if rs_meta.get("namespace", "") != meta.get("namespace", ""):
            continue
        matches = selector_matches(selector, rs_meta.get("labels"))
        owner = controller_of(rs)
        if owner is not None:
            if owner.get("uid") != meta.get("uid"):
                continue
            if matches:
                claimed.append(rs)
            elif not deleting:
                _set_owner_references(api, deployment, rs, release=True)
            continue
        if deleting or not matches or rs_meta.get("deletionTimestamp"):
            continue
        claimed.append(_set_owner_references(api, deployment, rs, release=False))
    return claimed


def _set_owner_references(api: ClusterApi, deployment: dict, rs: dict, *, release: bool) -> dict:
    meta, rs_meta = deployment["metadata"], rs["metadata"]
    others = [r for r in rs_meta.get("ownerReferences") or [] if r.get("uid") != meta["uid"]]
    references = others if release else [*others, controller_ref(deployment)]
    action = (
        f"releasing replica set {rs_meta['name']}, whose labels no longer match its selector"
        if release
        else f"adopting replica set {rs_meta['name']}, an orphan its selector matches"
    )
    api.explain(f"deployment {meta.get('namespace')}/{meta['name']}: {action}")
    return api.patch(
        "replicasets",
        rs_meta["name"],
        {"metadata": {"ownerReferences": references, "uid": rs_meta.get("uid")}},
        namespace=rs_meta.get("namespace", ""),
    )


def _pod_map(deployment: dict, rs_list: list[dict], pods: list[dict]) -> dict[str, list[dict]]:
    """As upstream's getPodMapForDeployment: the Deployment's pods by owning ReplicaSet uid."""
    namespace = deployment["metadata"].get("namespace", "")
    selector = deployment["spec"].get("selector")
    pod_map: dict[str, list[dict]] = {rs["metadata"]["uid"]: [] for rs in rs_list}
    for pod in pods:
        pod_meta = pod["metadata"]
        owner = controller_of(pod)
        if (
            pod_meta.get("namespace", "") == namespace
            and owner is not None
            and owner.get("uid") in pod_map
            and selector_matches(selector, pod_meta.get("labels"))
        ):
            pod_map[owner["uid"]].append(pod)
    return pod_map


def _selecting_all(api: ClusterApi, recorder: EventRecorder, deployment: dict) -> None:
    """Upstream refuses a Deployment that selects every pod, and says so."""
    recorder.warning(
        deployment,
        "SelectingAll",
        "This deployment is selecting all pods. A non-empty selector is required.",
    )
    meta, status = deployment["metadata"], deployment.get("status") or {}
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        api.explain(f"deployment {meta.get('namespace')}/{meta['name']} selects every pod")
        api.update_status(
            "deployments",
            {**deployment, "status": {**status, "observedGeneration": meta["generation"]}},
            namespace=meta.get("namespace", ""),
        )


def _key(obj: dict) -> tuple[str, str]:
    return (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def recreate_may_go_on(resource: str, event: dict, facts: ClusterFacts = KNOW_NOTHING) -> bool:
    """Pods matter only to Recreate, which waits for the old ones to be gone: as
    upstream's deletePod, only a deleted pod of a ReplicaSet wakes it."""
    if resource != "pods":
        return True
    owner = controller_of(event.get("object") or event.get("previous") or {}) or {}
    return event.get("type") == "DELETED" and owner.get("kind") == "ReplicaSet"


CONTROLLER = Controller(
    name="deployment",
    reconcile=reconcile,
    # Upstream's informers: Deployments, ReplicaSets, and pods (for Recreate's wait).
    watches=frozenset({"deployments", "replicasets", "pods"}),
    wakes_on=recreate_may_go_on,
    wake_delay=0.1,
)
