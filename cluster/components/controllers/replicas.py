"""The replica manager behind the ReplicaSet and ReplicationController controllers.

Upstream runs one ReplicaSetController for both kinds (pkg/controller/replicaset): the
replication manager wraps it with conversions, as if ReplicationController were an older
version of ReplicaSet (pkg/controller/replication). Here a ReplicaKind says what differs:
the resource, the kind named in ownerReferences and events, the selector (a LabelSelector
or a map) and the events' source.

One pass syncs every owner of the kind, as upstream's syncReplicaSet does for one key:
claim the active pods, create or delete the difference, and write the status.

No expectations. Upstream reads pods from an informer's cache, which may not yet hold the
pods it has just created or show the ones it has just deleted, so it remembers what it
expects to see (ControllerExpectations) and does not act on the same difference twice. A
Podlab pass lists pods from the store at its latest revision, after the previous pass's
writes have committed, so it always sees its own creations and deletions; within a pass,
pods it patched replace their listed copies (pod_claims).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.ownership import controller_of, controller_ref
from cluster.components.controllers.pod_claims import claim_pods
from cluster.components.controllers.pod_ranking import pods_to_delete
from cluster.components.controllers.pod_state import available_at
from cluster.components.controllers.replica_status import (
    calculate_status,
    desired_replicas,
    min_ready_seconds,
    write_status,
)
from cluster.components.events import EventRecorder
from cluster.objects import format_time

logger = logging.getLogger(__name__)

# Upstream's BurstReplicas: at most this many creations or deletions per sync.
BURST_REPLICAS = 500
# Upstream's controller.SlowStartInitialBatchSize.
SLOW_START_INITIAL_BATCH_SIZE = 1
# A failed sync is retried as upstream's workqueue.DefaultControllerRateLimiter does per
# item: 5 ms, doubling, up to 1000 s.
RETRY_BASE_SECONDS = 0.005
RETRY_MAX_SECONDS = 1000.0
NAMESPACE_TERMINATING_CAUSE = "NamespaceTerminating"


@dataclass(frozen=True)
class ReplicaKind:
    resource: str  # "replicasets"
    api_version: str  # "apps/v1"
    kind: str  # "ReplicaSet"
    event_source: str  # "replicaset-controller", the events' source.component
    # Whether the owner's spec.selector selects these labels.
    selects: Callable[[Mapping, Mapping], bool]

    def subject(self, owner: Mapping) -> str:
        """How traces name an owner: "replicaset default/web-7d4b9"."""
        meta = owner["metadata"]
        return f"{self.kind.lower()} {meta.get('namespace', '')}/{meta['name']}"


class ReplicaError(Exception):
    """A failure of the controller's own, not an API error (upstream's fmt.Errorf)."""


def reconcile_replicas(kind: ReplicaKind, api: ClusterApi, clock: Clock, memory: dict) -> None:
    now = clock.now()
    events = EventRecorder(
        api, clock, component=kind.event_source, memory=memory.setdefault("events", {})
    )
    owners = [
        {**item, "apiVersion": kind.api_version, "kind": kind.kind}
        for item in api.list(kind.resource)["items"]
    ]
    pods_by_namespace: dict[str, list[dict]] = defaultdict(list)
    for pod in api.list("pods")["items"]:
        pods_by_namespace[pod["metadata"].get("namespace", "")].append(pod)
    backoff: dict[str, int] = memory.setdefault("backoff", {})
    wakes: list[dt.datetime] = []
    sync = _Sync(kind, api, events, now, owners)
    for owner in owners:
        key = _key(owner)
        try:
            wake = sync.run(owner, pods_by_namespace[owner["metadata"].get("namespace", "")])
        except Exception as error:
            if not isinstance(error, ReplicaError) and getattr(error, "code", None) is None:
                raise  # a bug, not a failed call: let it surface
            logger.info("sync of %s %s failed: %s", kind.kind, key, error)
            wakes.append(_retry_at(backoff, key, now))
            continue
        backoff.pop(key, None)
        if wake is not None:
            wakes.append(wake)
    for gone in set(backoff) - {_key(owner) for owner in owners}:
        del backoff[gone]
    memory["wake_at"] = format_time(_whole_second_from(min(wakes))) if wakes else None


@dataclass
class _Sync:
    kind: ReplicaKind
    api: ClusterApi
    events: EventRecorder
    now: dt.datetime
    owners: list[dict]

    def run(self, owner: dict, namespace_pods: list[dict]) -> dt.datetime | None:
        """One owner's sync (upstream's syncReplicaSet); when it next needs a pass."""
        subject = self.kind.subject(owner)
        spec = owner.get("spec") or {}
        claimed = claim_pods(
            self.api,
            owner,
            namespace_pods,
            selects=lambda labels: self.kind.selects(spec, labels),
            owner_ref=controller_ref(owner),
            subject=subject,
        )
        error = None
        if not owner["metadata"].get("deletionTimestamp"):
            error = self._manage_replicas(owner, claimed, namespace_pods)
        status = calculate_status(owner, claimed, error, self.now)
        reason = (
            f"{subject} wants {desired_replicas(owner)}, sees {status['replicas']} "
            f"({status.get('readyReplicas', 0)} ready, "
            f"{status.get('availableReplicas', 0)} available): updating its status"
        )
        write_status(self.api, self.kind.resource, owner, status, reason=reason)
        if error is not None:
            raise error
        return self._next_pass(owner, claimed)

    def _manage_replicas(
        self, owner: dict, claimed: list[dict], namespace_pods: list[dict]
    ) -> Exception | None:
        """Create or delete the difference (upstream's manageReplicas); the first error."""
        wanted = desired_replicas(owner)
        difference = len(claimed) - wanted
        seeing = f"{self.kind.subject(owner)} wants {wanted}, sees {len(claimed)}"
        if difference < 0:
            count = min(-difference, BURST_REPLICAS)
            with _explaining(self.api, f"{seeing}: creating {count}"):
                _, error = slow_start_batch(
                    count, SLOW_START_INITIAL_BATCH_SIZE, lambda: self._create_pod(owner)
                )
            return error
        if difference > 0:
            count = min(difference, BURST_REPLICAS)
            related = self._indirectly_related_pods(owner, namespace_pods)
            doomed = pods_to_delete(claimed, related, count, self.now)
            with _explaining(self.api, f"{seeing}: deleting {count}"):
                errors = [error for pod in doomed if (error := self._delete_pod(owner, pod))]
            return errors[0] if errors else None
        return None

    def _create_pod(self, owner: dict) -> Exception | None:
        """A pod from the template (upstream's GetPodFromTemplate and createPods)."""
        template = (owner.get("spec") or {}).get("template") or {}
        template_meta = template.get("metadata") or {}
        if not template_meta.get("labels"):
            return ReplicaError("unable to create pods, no labels")
        meta: dict = {
            "generateName": f"{owner['metadata']['name']}-",
            "labels": dict(template_meta["labels"]),
        }
        if template_meta.get("annotations"):
            meta["annotations"] = dict(template_meta["annotations"])
        if template_meta.get("finalizers"):
            meta["finalizers"] = list(template_meta["finalizers"])
        meta["ownerReferences"] = [controller_ref(owner)]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {}),
        }
        try:
            created = self.api.create("pods", pod, namespace=owner["metadata"].get("namespace", ""))
        except Exception as error:  # an ApiError, whose package the components may not import
            if getattr(error, "code", None) is None:
                raise
            if _namespace_terminating(error):
                return None  # every creation would fail, and the namespace goes anyway
            self.events.warning(owner, "FailedCreate", f"Error creating: {error}")
            return error
        self.events.normal(owner, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return None

    def _delete_pod(self, owner: dict, pod: Mapping) -> Exception | None:
        """Upstream's RealPodControl.DeletePod: a pod already gone is no failure."""
        name = pod["metadata"]["name"]
        try:
            self.api.delete("pods", name, namespace=owner["metadata"].get("namespace", ""))
        except Exception as error:  # an ApiError, whose package the components may not import
            code = getattr(error, "code", None)
            if code is None:
                raise
            if code == 404:
                return None
            self.events.warning(owner, "FailedDelete", f"Error deleting: {error}")
            return ReplicaError(f"unable to delete pods: {error}")
        self.events.normal(owner, "SuccessfulDelete", f"Deleted pod: {name}")
        return None

    def _indirectly_related_pods(self, owner: Mapping, namespace_pods: list[dict]) -> list[dict]:
        """The pods selected by any owner with the same controller as this one, such as the
        ReplicaSets of one Deployment (upstream's getIndirectlyRelatedPods); none when it
        has no controller, as upstream's getReplicaSetsWithSameController finds none."""
        ref = controller_of(owner)
        if ref is None:
            return []
        namespace = owner["metadata"].get("namespace", "")
        siblings = [
            other
            for other in self.owners
            if other["metadata"].get("namespace", "") == namespace
            and (other_ref := controller_of(other)) is not None
            and other_ref.get("uid") == ref.get("uid")
        ]
        related: dict[str, dict] = {}
        for sibling in siblings:
            spec = sibling.get("spec") or {}
            for pod in namespace_pods:
                if self.kind.selects(spec, pod["metadata"].get("labels") or {}):
                    related.setdefault(pod["metadata"].get("uid", ""), pod)
        return list(related.values())

    def _next_pass(self, owner: Mapping, claimed: list[dict]) -> dt.datetime | None:
        """Now when a burst left work undone (this pass's own writes wake nobody); else when
        the first ready pod becomes available after minReadySeconds (upstream re-queues
        after minReadySeconds + 1 s for that)."""
        if abs(len(claimed) - desired_replicas(owner)) > BURST_REPLICAS:
            return self.now
        min_ready = min_ready_seconds(owner)
        if min_ready <= 0:
            return None
        upcoming = [
            when
            for pod in claimed
            if (when := available_at(pod, min_ready)) is not None and when > self.now
        ]
        return min(upcoming, default=None)


def slow_start_batch(
    count: int, initial_batch_size: int, attempt: Callable[[], Exception | None]
) -> tuple[int, Exception | None]:
    """Make `count` attempts in batches of 1, 2, 4, ... (upstream's slowStartBatch): a batch
    with a failure is the last, so a create that fails for all (a quota, a bad template)
    is tried a few times, not hundreds. The successes, and the first error if any."""
    remaining, successes = count, 0
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        errors = [error for _ in range(batch) if (error := attempt()) is not None]
        successes += batch - len(errors)
        if errors:
            return successes, errors[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


@contextmanager
def _explaining(api: ClusterApi, reason: str) -> Iterator[None]:
    api.explain(reason)
    try:
        yield
    finally:
        api.explain("")


def _namespace_terminating(error: Exception) -> bool:
    causes = (getattr(error, "details", None) or {}).get("causes") or []
    return any(cause.get("reason") == NAMESPACE_TERMINATING_CAUSE for cause in causes)


def _retry_at(backoff: dict[str, int], key: str, now: dt.datetime) -> dt.datetime:
    failures = backoff.get(key, 0)
    backoff[key] = failures + 1
    delay = min(RETRY_BASE_SECONDS * 2 ** min(failures, 32), RETRY_MAX_SECONDS)
    return now + dt.timedelta(seconds=delay)


def _whole_second_from(moment: dt.datetime) -> dt.datetime:
    """The sandbox's timers keep whole seconds; round up so a wake is never early."""
    if moment.microsecond:
        return moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    return moment


def _key(owner: Mapping) -> str:
    return f"{owner['metadata'].get('namespace', '')}/{owner['metadata']['name']}"
