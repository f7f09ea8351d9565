"""The garbage collector: an owner's deletion reaches its dependents (upstream's
pkg/controller/garbagecollector, controller name "garbagecollector").

Upstream's collector keeps a graph of every object's ownerReferences, fed by informers,
and works on the nodes that change. Podlab has no graph: each pass lists the kinds
that may own or depend, indexes them by uid and compares, then acts as upstream's
attemptToDeleteItem, processDeletingDependentsItem and orphanDependents do:

- a dependent whose owners are all gone (by uid) is deleted, in the background;
- an owner deleted in the foreground (finalizer "foregroundDeletion") has its
  dependents deleted first, the blocking ones (blockOwnerDeletion) first, and loses
  the finalizer once no blocking dependent is left, so the API server deletes it;
- an owner deleted with propagationPolicy Orphan (finalizer "orphan") has its
  ownerReference removed from its dependents, then loses the finalizer.

An owner that the listing misses is looked up before its dependents go (the listing
may predate it), as upstream's isDangling asks the API server.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.controller import (
    KNOW_NOTHING,
    WAKE_BATCH_SECONDS,
    ClusterFacts,
    Controller,
)
from cluster.objects import format_time

ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"

# The kinds that may own or depend, by (API group, kind) as upstream's REST mapper
# resolves an ownerReference: resource and whether it is namespaced. Kinds the API
# server does not serve yet answer 404 to the list and are left out of the pass.
KINDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("", "Pod"): ("pods", True),
    ("", "ReplicationController"): ("replicationcontrollers", True),
    ("", "Service"): ("services", True),
    ("", "Endpoints"): ("endpoints", True),
    ("apps", "ReplicaSet"): ("replicasets", True),
    ("apps", "Deployment"): ("deployments", True),
    ("discovery.k8s.io", "EndpointSlice"): ("endpointslices", True),
    ("", "Node"): ("nodes", False),
}
RESOURCES = tuple(resource for resource, _ in KINDS.values())
# After a pass that acted, another at once: its own writes do not wake it, and upstream
# requeues an item until its graph shows the outcome.
REQUEUE_SECONDS = 0.0
RETRY_SECONDS = 5.0  # after a failed call, as the work queue's rate limiter would


@dataclass(frozen=True)
class Item:
    resource: str
    obj: dict

    @property
    def meta(self) -> dict:
        return self.obj["metadata"]

    @property
    def uid(self) -> str:
        return self.meta.get("uid", "")

    @property
    def namespace(self) -> str:
        return self.meta.get("namespace", "")

    def describe(self) -> str:
        kind = (self.obj.get("kind") or self.resource).lower()
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{kind} {where}{self.meta['name']}"


class Pass:
    """One garbage-collection pass over a listing of every owning and dependent kind."""

    def __init__(self, api: ClusterApi) -> None:
        self.api = api
        self.served: set[str] = set()
        self.items: list[Item] = []
        for resource in RESOURCES:
            try:
                listing = api.list(resource)
            except Exception as error:
                if _code(error) != 404:  # not served (yet): nothing of that kind exists
                    raise
                continue
            self.served.add(resource)
            self.items += [Item(resource, obj) for obj in listing.get("items", [])]
        self.by_uid = {item.uid: item for item in self.items}
        self.dependents: dict[str, list[Item]] = defaultdict(list)
        for item in self.items:
            for ref in item.meta.get("ownerReferences") or []:
                self.dependents[ref.get("uid", "")].append(item)
        self.acted = False
        self.failed = False
        # Objects this pass has acted on: their listed copy is out of date.
        self.handled: set[str] = set()

    def run(self) -> None:
        """Owners being deleted first (they decide their dependents' fate), then every
        other dependent. Being deleted is a one-way trip: such an object only matters
        for its dependents."""
        for item in self.items:
            finalizers = item.meta.get("finalizers") or []
            if not item.meta.get("deletionTimestamp"):
                continue
            if ORPHAN_FINALIZER in finalizers:
                self.orphan_dependents(item)
            elif FOREGROUND_FINALIZER in finalizers:
                self.delete_dependents_first(item)
        for item in self.items:
            meta = item.meta
            owned = meta.get("ownerReferences") and not meta.get("deletionTimestamp")
            if owned and item.uid not in self.handled:
                self.collect_if_unowned(item)

    # -- owners being deleted ------------------------------------------------------

    def orphan_dependents(self, owner: Item) -> None:
        """Orphan: dependents lose their reference to the owner, then the owner its
        finalizer (upstream's orphanDependents, then removeFinalizer)."""
        for dependent in self.dependents.get(owner.uid, []):
            self.handled.add(dependent.uid)
            why = (
                f"{owner.describe()} is deleted with propagationPolicy Orphan: removing its"
                f" ownerReference from {dependent.describe()}"
            )
            if not self.remove_references(dependent, {owner.uid}, why):
                return
        self.remove_finalizer(
            owner,
            ORPHAN_FINALIZER,
            f"{owner.describe()} has no dependents left to orphan: removing its orphan finalizer",
        )

    def delete_dependents_first(self, owner: Item) -> None:
        """Foreground: delete the dependents, the blocking ones first; the owner's
        finalizer goes once no blocking dependent exists (processDeletingDependentsItem)."""
        dependents = sorted(
            self.dependents.get(owner.uid, []),
            key=lambda dependent: not _blocks(dependent, owner.uid),
        )
        for dependent in dependents:
            if dependent.uid not in self.handled and not dependent.meta.get("deletionTimestamp"):
                self.collect_if_unowned(dependent)
        if any(_blocks(dependent, owner.uid) for dependent in dependents):
            return  # the next pass sees them gone
        self.remove_finalizer(
            owner,
            FOREGROUND_FINALIZER,
            f"{owner.describe()} has no blocking dependents left: removing its"
            " foregroundDeletion finalizer",
        )

    # -- dependents ------------------------------------------------------------------

    def collect_if_unowned(self, item: Item) -> None:
        """Upstream's attemptToDeleteItem: delete an object none of whose owners remains
        (or whose owners wait for their dependents), drop references to gone owners from
        one that keeps a living owner."""
        self.handled.add(item.uid)
        solid, dangling, waiting = [], [], []
        for ref in item.meta.get("ownerReferences") or []:
            state, owner_name = self.owner_state(item, ref)
            {"solid": solid, "dangling": dangling, "waiting": waiting}[state].append(
                (ref, owner_name)
            )
        if solid:
            stale = {ref["uid"] for ref, _ in dangling + waiting}
            if stale:
                names = ", ".join(name for _, name in dangling + waiting)
                self.remove_references(
                    item,
                    stale,
                    f"{item.describe()} still has its owner {solid[0][1]}: removing its"
                    f" references to {names}",
                )
            return
        owners = ", ".join(name for _, name in dangling + waiting)
        if waiting and self.dependents.get(item.uid):
            policy = "Foreground"  # its own dependents go before it, as its owner waits
        elif ORPHAN_FINALIZER in (item.meta.get("finalizers") or []):
            policy = "Orphan"
        elif FOREGROUND_FINALIZER in (item.meta.get("finalizers") or []):
            policy = "Foreground"
        else:
            policy = "Background"
        if waiting:
            why = (
                f"{owners} is being deleted in the foreground: deleting its dependent"
                f" {item.describe()}"
            )
        else:
            why = f"{owners} is gone: deleting its dependent {item.describe()}"
        self.call(
            why,
            lambda: self.api.delete(
                item.resource,
                item.meta["name"],
                namespace=item.namespace,
                preconditions={"uid": item.uid, "resourceVersion": item.meta["resourceVersion"]},
                propagation_policy=policy,
            ),
        )

    def owner_state(self, item: Item, ref: dict) -> tuple[str, str]:
        """("solid" | "dangling" | "waiting", the owner as told), as upstream's
        classifyReferences: dangling when no object of that name has the uid; waiting
        when the owner is being deleted in the foreground."""
        group = ref.get("apiVersion", "").rpartition("/")[0]
        resource, namespaced = KINDS.get((group, ref.get("kind", "")), ("", False))
        namespace = item.namespace if namespaced else ""
        where = f"{namespace}/" if namespace else ""
        owner_name = f"{ref.get('kind', '').lower()} {where}{ref.get('name', '')}"
        if resource not in self.served or (namespaced and not item.namespace):
            return "solid", owner_name  # cannot be resolved: never a reason to delete
        owner = self.by_uid.get(ref.get("uid", ""))
        if owner is None or owner.resource != resource:
            owner_obj = self.live_owner(resource, ref.get("name", ""), namespace)
            if owner_obj is None or owner_obj["metadata"].get("uid") != ref.get("uid"):
                return "dangling", owner_name
            owner = Item(resource, owner_obj)
        deleting_dependents = FOREGROUND_FINALIZER in (owner.meta.get("finalizers") or [])
        if owner.meta.get("deletionTimestamp") and deleting_dependents:
            return "waiting", owner_name
        return "solid", owner_name

    def live_owner(self, resource: str, name: str, namespace: str) -> dict | None:
        try:
            return self.api.get(resource, name, namespace=namespace)
        except Exception as error:
            if _code(error) != 404:
                raise
            return None

    # -- writes ----------------------------------------------------------------------

    def remove_references(self, item: Item, owner_uids: set[str], why: str) -> bool:
        kept = [
            ref
            for ref in item.meta.get("ownerReferences") or []
            if ref.get("uid") not in owner_uids
        ]
        patch = {
            "metadata": {
                "resourceVersion": item.meta["resourceVersion"],
                "ownerReferences": kept or None,
            }
        }
        return self.call(
            why,
            lambda: self.api.patch(
                item.resource, item.meta["name"], patch, namespace=item.namespace
            ),
        )

    def remove_finalizer(self, item: Item, finalizer: str, why: str) -> bool:
        """As upstream's removeFinalizer: a merge patch guarded by the resourceVersion."""
        kept = [f for f in item.meta.get("finalizers") or [] if f != finalizer]
        patch = {
            "metadata": {
                "resourceVersion": item.meta["resourceVersion"],
                "finalizers": kept or None,
            }
        }
        return self.call(
            why,
            lambda: self.api.patch(
                item.resource, item.meta["name"], patch, namespace=item.namespace
            ),
        )

    def call(self, why: str, write: Callable[[], object]) -> bool:
        """One decision's write, explained; a refusal (404, 409...) leaves it for a
        later pass, which sees the object as it is then."""
        self.api.explain(why)
        try:
            write()
        except Exception as error:
            if _code(error) is None:
                raise
            self.failed = True
            return False
        finally:
            self.api.explain("")
        self.acted = True
        return True


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    collector = Pass(api)
    collector.run()
    if collector.acted or collector.failed:
        delay = REQUEUE_SECONDS if collector.acted else RETRY_SECONDS
        memory["wake_at"] = format_time(clock.now() + dt.timedelta(seconds=delay))
    else:
        memory["wake_at"] = None


def _blocks(dependent: Item, owner_uid: str) -> bool:
    return any(
        ref.get("uid") == owner_uid and ref.get("blockOwnerDeletion")
        for ref in dependent.meta.get("ownerReferences") or []
    )


def _code(error: Exception) -> int | None:
    """The HTTP code of an API error (ApiError, or the fake's), None for anything else."""
    return getattr(error, "code", None)


def concerns_the_collector(resource: str, event: dict, facts: ClusterFacts = KNOW_NOTHING) -> bool:
    """What upstream's graph builder reacts to: an object gone (it may own others), one
    being deleted, or a change of ownerReferences (a new dependent among them). A status
    update of an owned pod is none of these."""
    new = (event.get("object") or {}).get("metadata") or {}
    old = (event.get("previous") or {}).get("metadata") or {}
    if event.get("type") == "DELETED":
        # A dependent gone may free its foreground owner; pods own nothing in Podlab,
        # so an unowned pod's deletion (the commonest change of all) concerns nobody.
        return resource != "pods" or bool(new.get("ownerReferences"))
    if new.get("deletionTimestamp"):
        return True
    return new.get("ownerReferences") != old.get("ownerReferences")


# Its eight lists are the controller manager's heaviest look: in poll mode every 10 s.
CONTROLLER = Controller(
    name="garbagecollector",
    poll_seconds=10,
    reconcile=reconcile,
    watches=frozenset(RESOURCES),
    wakes_on=concerns_the_collector,
    wake_delay=WAKE_BATCH_SECONDS,
)
