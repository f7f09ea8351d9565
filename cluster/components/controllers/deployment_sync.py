"""One Deployment's sync, the parts every strategy shares: finding or creating the new
ReplicaSet and its revision, scaling a ReplicaSet, proportional scaling, cleaning up old
revisions, and writing status (upstream's sync.go and progress.go)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers import deployment_status as ds
from cluster.components.controllers import deployment_util as du
from cluster.components.controllers.deployment_hash import (
    POD_TEMPLATE_HASH_LABEL,
    compute_hash,
    equal_ignore_hash,
)
from cluster.components.controllers.ownership import controller_of, controller_ref
from cluster.components.events import EventRecorder


class DeploymentSync:
    """The state of one pass over one Deployment: `d` is a defaulted copy that the pass
    updates as it writes, as upstream's syncDeployment does with its DeepCopy."""

    def __init__(
        self,
        api: ClusterApi,
        clock: Clock,
        recorder: EventRecorder,
        deployment: dict,
        rs_list: list[dict],
    ) -> None:
        self.api = api
        self.clock = clock
        self.recorder = recorder
        self.d = du.with_defaults(deployment)
        self.rs_list = rs_list
        self.namespace = self.d["metadata"].get("namespace", "")
        self.name = self.d["metadata"]["name"]
        # When this Deployment wants its next pass at the latest (the progress deadline).
        self.wake_at: dt.datetime | None = None
        self._story = self._desired_against_actual()

    # -- telling why -------------------------------------------------------------------

    def explain(self, action: str) -> None:
        self.api.explain(f"{self._story}: {action}")

    def _desired_against_actual(self) -> str:
        containers = (self.d["spec"].get("template") or {}).get("spec", {}).get("containers", [])
        images = ", ".join(c.get("image", "?") for c in containers) or "no image"
        new_rs = du.find_new_replica_set(self.d, self.rs_list)
        old = du.total_status(du.find_old_replica_sets(self.d, self.rs_list), "replicas")
        updated = du.status_of(new_rs, "replicas")
        return (
            f"deployment {self.namespace}/{self.name} wants {du.replicas(self.d)} of {images},"
            f" sees {updated} updated and {old} old"
        )

    def now(self) -> dt.datetime:
        return self.clock.now()

    def _annotations(self) -> dict:
        return self.d["metadata"].setdefault("annotations", {}) or {}

    # -- the new ReplicaSet and revisions ------------------------------------------------

    def all_replica_sets(self, *, create: bool) -> tuple[dict | None, list[dict]]:
        """As upstream's getAllReplicaSetsAndSyncRevision: (new, all old)."""
        old_rss = du.find_old_replica_sets(self.d, self.rs_list)
        return self.new_replica_set(old_rss, create=create), old_rss

    def new_replica_set(self, old_rss: list[dict], *, create: bool) -> dict | None:
        """As upstream's getNewReplicaSet: the ReplicaSet of the current template, its
        revision moved above every old one (a rollback reuses an old ReplicaSet this way),
        created when missing and `create`."""
        existing = du.find_new_replica_set(self.d, self.rs_list)
        new_revision = du.max_revision(old_rss) + 1
        if existing is not None:
            rs = copy.deepcopy(existing)
            annotations_changed = du.set_new_replica_set_annotations(
                self.d, rs, new_revision, exists=True
            )
            min_ready = self.d["spec"]["minReadySeconds"]
            if annotations_changed or rs["spec"].get("minReadySeconds", 0) != min_ready:
                rs["spec"]["minReadySeconds"] = min_ready
                self.explain(
                    f"replica set {rs['metadata']['name']} serves the template:"
                    f" giving it revision {du.revision(rs)}"
                )
                return self._replace(self.api.update("replicasets", rs, namespace=self.namespace))
            needs_update = self._set_revision(str(du.revision(rs)))
            if ds.has_progress_deadline(self.d) and not self._condition(ds.PROGRESSING):
                ds.set_condition(
                    self.d["status"],
                    ds.new_condition(
                        ds.PROGRESSING,
                        "True",
                        ds.FOUND_NEW_REPLICA_SET,
                        f'Found new replica set "{rs["metadata"]["name"]}"',
                        self.now(),
                    ),
                )
                needs_update = True
            if needs_update:
                self.explain(f"recording revision {du.revision(rs)}")
                self.write_status()
            return rs
        if not create:
            return None
        return self._create_new_replica_set(old_rss, new_revision)

    def _create_new_replica_set(self, old_rss: list[dict], new_revision: int) -> dict:
        d = self.d
        template = copy.deepcopy(d["spec"]["template"])
        template_hash = compute_hash(template, d["status"].get("collisionCount"))
        template.setdefault("metadata", {})
        template["metadata"]["labels"] = {
            **(template["metadata"].get("labels") or {}),
            POD_TEMPLATE_HASH_LABEL: template_hash,
        }
        selector = copy.deepcopy(d["spec"]["selector"])
        selector["matchLabels"] = {
            **(selector.get("matchLabels") or {}),
            POD_TEMPLATE_HASH_LABEL: template_hash,
        }
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{self.name}-{template_hash}",
                "namespace": self.namespace,
                "ownerReferences": [controller_ref(d)],
                "labels": dict(template["metadata"]["labels"]),
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": d["spec"]["minReadySeconds"],
                "selector": selector,
                "template": template,
            },
        }
        count = du.new_rs_new_replicas(d, [*old_rss, rs], rs)
        rs["spec"]["replicas"] = count
        du.set_new_replica_set_annotations(d, rs, new_revision, exists=False)
        name = rs["metadata"]["name"]
        self.explain(f"creating replica set {name} (revision {new_revision}) with {count} pods")
        try:
            created = self.api.create("replicasets", rs, namespace=self.namespace)
        except Exception as error:
            if getattr(error, "code", None) != 409:
                self._report_create_error(name, error)
                raise
            return self._adopt_existing_or_bump_collision(name, error)
        self.rs_list.append(created)
        if count > 0:
            self.recorder.normal(d, "ScalingReplicaSet", f"Scaled up replica set {name} to {count}")
        self._set_revision(str(new_revision))
        if ds.has_progress_deadline(d):
            ds.set_condition(
                d["status"],
                ds.new_condition(
                    ds.PROGRESSING,
                    "True",
                    ds.NEW_REPLICA_SET_CREATED,
                    f'Created new replica set "{name}"',
                    self.now(),
                ),
            )
        self.write_status()
        return created

    def _adopt_existing_or_bump_collision(self, name: str, error: Exception) -> dict:
        """The name is taken: ours with our template is the new ReplicaSet (a slow cache
        upstream); anything else is a hash collision, so collisionCount goes up and the
        next pass tries another name."""
        rs = self.api.get("replicasets", name, namespace=self.namespace)
        owner = controller_of(rs)
        if (
            owner
            and owner.get("uid") == self.d["metadata"].get("uid")
            and equal_ignore_hash(self.d["spec"]["template"], rs["spec"].get("template"))
        ):
            return rs
        status = self.d["status"]
        status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
        self.explain(f"replica set {name} exists with another template: hash collision")
        self.write_status()
        raise error

    def _report_create_error(self, name: str, error: Exception) -> None:
        message = f'Failed to create new replica set "{name}": {error}'
        if ds.has_progress_deadline(self.d):
            ds.set_condition(
                self.d["status"],
                ds.new_condition(ds.PROGRESSING, "False", ds.FAILED_RS_CREATE, message, self.now()),
            )
            try:
                self.write_status()
            except Exception as status_error:  # the bigger problem is the one reported
                if getattr(status_error, "code", None) is None:
                    raise
        self.recorder.warning(self.d, ds.FAILED_RS_CREATE, message)

    def _set_revision(self, value: str) -> bool:
        """As upstream's SetDeploymentRevision."""
        annotations = self.d["metadata"].setdefault("annotations", {})
        if annotations.get(du.REVISION_ANNOTATION) == value:
            return False
        annotations[du.REVISION_ANNOTATION] = value
        return True

    def _replace(self, rs: dict) -> dict:
        """Keep the pass's list of ReplicaSets current after a write."""
        uid = rs["metadata"].get("uid")
        self.rs_list[:] = [r if r["metadata"].get("uid") != uid else rs for r in self.rs_list]
        return rs

    # -- scaling ------------------------------------------------------------------------

    def scale(self, new_rs: dict | None, old_rss: list[dict]) -> None:
        """As upstream's scale(): a scaling event (or a paused Deployment) resizes the only
        active ReplicaSet, or distributes the difference proportionally over all active
        ones, larger first, so a rollout is neither hastened nor set back."""
        d = self.d
        active_or_latest = du.find_active_or_latest(new_rs, old_rss)
        if active_or_latest is not None:
            if du.replicas(active_or_latest) != du.replicas(d):
                self.scale_replica_set_and_record_event(active_or_latest, du.replicas(d))
            return
        if du.is_saturated(d, new_rs):
            for old in du.filter_active(old_rss):
                self.scale_replica_set_and_record_event(old, 0)
            return
        if not du.is_rolling_update(d):
            return
        for rs, size, operation in proportional_sizes(d, [*old_rss, new_rs]):
            self.scale_replica_set(rs, size, operation)

    def scale_replica_set_and_record_event(self, rs: dict, new_scale: int) -> tuple[bool, dict]:
        if du.replicas(rs) == new_scale:
            return False, rs
        operation = "up" if du.replicas(rs) < new_scale else "down"
        return self.scale_replica_set(rs, new_scale, operation)

    def scale_replica_set(self, rs: dict, new_scale: int, operation: str) -> tuple[bool, dict]:
        """As upstream's scaleReplicaSet: new size and replicas annotations in one update,
        and a ScalingReplicaSet event in 1.32's wording when the size changed."""
        d = self.d
        old_scale = du.replicas(rs)
        desired, maximum = du.replicas(d), du.replicas(d) + du.max_surge(d)
        size_changed = old_scale != new_scale
        if not size_changed and not du.replicas_annotations_need_update(rs, desired, maximum):
            return False, rs
        updated = copy.deepcopy(rs)
        updated["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(updated, desired, maximum)
        name = rs["metadata"]["name"]
        if size_changed:
            self.explain(f"scaling {operation} replica set {name} from {old_scale} to {new_scale}")
        else:
            self.explain(f"noting on replica set {name} that the deployment wants {desired}")
        stored = self._replace(self.api.update("replicasets", updated, namespace=self.namespace))
        if size_changed:
            self.recorder.normal(
                d,
                "ScalingReplicaSet",
                f"Scaled {operation} replica set {name} to {new_scale} from {old_scale}",
            )
        return size_changed, stored

    # -- cleanup ------------------------------------------------------------------------

    def cleanup_deployment(self, old_rss: list[dict]) -> None:
        """As upstream's cleanupDeployment: keep revisionHistoryLimit old ReplicaSets, delete
        the oldest beyond that which have no pods and whose size the ReplicaSet controller
        has seen."""
        d = self.d
        if not ds.has_revision_history_limit(d):
            return
        cleanable = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        limit = d["spec"]["revisionHistoryLimit"]
        surplus = len(cleanable) - limit
        if surplus <= 0:
            return
        for rs in du.by_revision(cleanable)[:surplus]:
            meta = rs["metadata"]
            if (
                du.status_of(rs, "replicas") != 0
                or du.replicas(rs) != 0
                or meta.get("generation", 0) > du.status_of(rs, "observedGeneration")
            ):
                continue
            self.explain(
                f"deleting old replica set {meta['name']} (revision {du.revision(rs)}):"
                f" revisionHistoryLimit is {limit}"
            )
            try:
                self.api.delete("replicasets", meta["name"], namespace=self.namespace)
            except Exception as error:
                if getattr(error, "code", None) != 404:
                    raise
            gone = meta.get("uid")
            self.rs_list[:] = [r for r in self.rs_list if r["metadata"].get("uid") != gone]

    # -- status ---------------------------------------------------------------------------

    def sync_deployment_status(self, all_rss: Sequence[dict | None], new_rs: dict | None) -> None:
        """As upstream's syncDeploymentStatus: counts and Available, no progress estimate."""
        status = ds.calculate_status(all_rss, new_rs, self.d, self.now())
        if status != self.d.get("status"):
            self.d["status"] = status
            self.explain(_status_words(status, self.d))
            self.write_status()

    def sync_rollout_status(self, all_rss: Sequence[dict | None], new_rs: dict | None) -> None:
        """As upstream's syncRolloutStatus: status, and the Progressing condition measured
        against progressDeadlineSeconds."""
        d = self.d
        status = ds.calculate_status(all_rss, new_rs, d, self.now())
        if not ds.has_progress_deadline(d):
            ds.remove_condition(status, ds.PROGRESSING)
        current = self._condition(ds.PROGRESSING)
        complete_before = (
            status.get("replicas", 0) == status.get("updatedReplicas", 0)
            and current is not None
            and current.get("reason") == ds.NEW_RS_AVAILABLE
        )
        if ds.has_progress_deadline(d) and not complete_before:
            self._estimate_progress(status, new_rs, current)
        self._promote_replica_failure(status, all_rss, new_rs)
        self.wake_at = ds.progress_check_at(d, status)
        if status != d.get("status"):
            d["status"] = status
            self.explain(_status_words(status, d))
            self.write_status()

    def _estimate_progress(self, status: dict, new_rs: dict | None, current: dict | None) -> None:
        d, now = self.d, self.now()
        subject = (
            f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs else f'Deployment "{self.name}"'
        )
        if ds.deployment_complete(d, status):
            ds.set_condition(
                status,
                ds.new_condition(
                    ds.PROGRESSING,
                    "True",
                    ds.NEW_RS_AVAILABLE,
                    f"{subject} has successfully progressed.",
                    now,
                ),
            )
        elif ds.deployment_progressing(d, status):
            condition = ds.new_condition(
                ds.PROGRESSING, "True", ds.REPLICA_SET_UPDATED, f"{subject} is progressing.", now
            )
            # Progress refreshes lastUpdateTime even when the reason stays (upstream's
            # special case), keeping the transition time while the status stays True.
            if current is not None:
                if current.get("status") == "True":
                    condition["lastTransitionTime"] = current.get("lastTransitionTime")
                ds.remove_condition(status, ds.PROGRESSING)
            ds.set_condition(status, condition)
        elif ds.deployment_timed_out(d, status, now):
            ds.set_condition(
                status,
                ds.new_condition(
                    ds.PROGRESSING,
                    "False",
                    ds.TIMED_OUT,
                    f"{subject} has timed out progressing.",
                    now,
                ),
            )

    def _promote_replica_failure(
        self, status: dict, all_rss: Sequence[dict | None], new_rs: dict | None
    ) -> None:
        """As upstream's getReplicaFailures: a ReplicaSet's ReplicaFailure condition (the new
        one's first) becomes the Deployment's."""
        ordered = [new_rs, *[rs for rs in all_rss if rs is not new_rs]]
        for rs in ordered:
            failure = ds.get_condition((rs or {}).get("status") or {}, ds.REPLICA_FAILURE)
            if failure:
                ds.set_condition(
                    status,
                    {
                        "type": ds.REPLICA_FAILURE,
                        "status": failure.get("status"),
                        "lastUpdateTime": failure.get("lastTransitionTime"),
                        "lastTransitionTime": failure.get("lastTransitionTime"),
                        "reason": failure.get("reason"),
                        "message": failure.get("message"),
                    },
                )
                return
        ds.remove_condition(status, ds.REPLICA_FAILURE)

    def check_paused_conditions(self) -> None:
        """As upstream's checkPausedConditions: Progressing Unknown while paused, so a
        Deployment resumed after its deadline is not reported as stuck."""
        d = self.d
        if not ds.has_progress_deadline(d):
            return
        current = self._condition(ds.PROGRESSING)
        if current and current.get("reason") == ds.TIMED_OUT:
            return
        paused_noted = bool(current and current.get("reason") == ds.PAUSED)
        if d["spec"].get("paused") and not paused_noted:
            reason, message, action = ds.PAUSED, "Deployment is paused", "noting it is paused"
        elif not d["spec"].get("paused") and paused_noted:
            reason, message, action = ds.RESUMED, "Deployment is resumed", "noting it is resumed"
        else:
            return
        ds.set_condition(
            d["status"], ds.new_condition(ds.PROGRESSING, "Unknown", reason, message, self.now())
        )
        self.explain(action)
        self.write_status()

    def _condition(self, condition_type: str) -> dict | None:
        return ds.get_condition(self.d.get("status") or {}, condition_type)

    def write_status(self) -> None:
        """UpdateStatus with the pass's Deployment: its status, and the revision annotation
        set in the same request (the status subresource lets a Deployment's annotations
        through, so the annotation is no new generation), as upstream's controller does."""
        meta = self.d["metadata"]
        written = self.api.update_status("deployments", self.d, namespace=self.namespace)
        meta["resourceVersion"] = written["metadata"]["resourceVersion"]


def proportional_sizes(d: dict, rss: Sequence[dict | None]) -> list[tuple[dict, int, str]]:
    """The sizes upstream's scale() gives the active ReplicaSets of a rolling Deployment:
    the replicas to add (or remove) shared in proportion to each one's size, larger
    first (newer first among equals when adding, older first when removing), leftovers
    to the first."""
    active = du.filter_active(rss)
    allowed = du.replicas(d) + du.max_surge(d) if du.replicas(d) > 0 else 0
    to_add = allowed - du.total_replicas(active)
    operation = ""
    if to_add > 0:
        active, operation = du.by_size_newer(active), "up"
    elif to_add < 0:
        active, operation = du.by_size_older(active), "down"
    added, sizes = 0, []
    for rs in active:
        proportion = du.get_proportion(rs, d, to_add, added) if to_add else 0
        sizes.append(du.replicas(rs) + proportion)
        added += proportion
    if active and to_add:
        sizes[0] = max(sizes[0] + to_add - added, 0)
    return [(rs, size, operation) for rs, size in zip(active, sizes, strict=True)]


def _status_words(status: dict, d: dict) -> str:
    progressing = ds.get_condition(status, ds.PROGRESSING)
    words = (
        f"recording status: {status.get('updatedReplicas', 0)} of {du.replicas(d)} updated,"
        f" {status.get('availableReplicas', 0)} available"
    )
    if progressing:
        words += f" ({progressing['reason']})"
    return words
