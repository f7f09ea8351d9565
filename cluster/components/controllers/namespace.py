"""The namespace controller: a Terminating namespace is emptied, then finalized (upstream's
pkg/controller/namespace, namespacedResourcesDeleter).

Deleting a namespace only marks it (deletionTimestamp, phase Terminating). Each pass,
for every such namespace still carrying the "kubernetes" finalizer, this controller
deletes everything in it through the API server, one object at a time with
propagationPolicy Background (Podlab's API server has no deletecollection), records
how far it got in the namespace's conditions as upstream does, and once nothing is
left removes its finalizer through namespaces/finalize; the API server then deletes
the namespace. While content remains (pods in their grace period, objects held by
finalizers) it looks again after upstream's estimate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cluster.components.api import Clock, ClusterApi
from cluster.components.controllers.controller import WAKE_BATCH_SECONDS, Controller
from cluster.objects import format_time

FINALIZER = "kubernetes"
# The namespaced resources to empty, pods last as upstream orders them (their owners go
# first so nothing recreates them). Resources not served yet answer 404 and are skipped.
NAMESPACED_RESOURCES: tuple[tuple[str, str], ...] = (
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("", "replicationcontrollers"),
    ("", "services"),
    ("", "configmaps"),
    ("", "endpoints"),
    ("discovery.k8s.io", "endpointslices"),
    ("coordination.k8s.io", "leases"),
    ("", "events"),
    ("", "pods"),
)
# Upstream's finalizerEstimateSeconds: how long to expect finalizers to take.
FINALIZER_ESTIMATE_SECONDS = 15
CONDITION_TYPES = (
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
    "NamespaceContentRemaining",
    "NamespaceFinalizersRemaining",
)
# Each condition when all is well (upstream's okReasons and okMessages).
_OK = {
    "NamespaceDeletionDiscoveryFailure": (
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    "NamespaceDeletionGroupVersionParsingFailure": (
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    "NamespaceDeletionContentFailure": (
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    "NamespaceContentRemaining": ("ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": (
        "ContentHasNoFinalizers",
        "All content-preserving finalizers finished",
    ),
}


@dataclass
class Content:
    """What deleting a namespace's content left, as upstream's allGVRDeletionMetadata."""

    estimate: int = 0
    remaining: dict[str, int] = field(default_factory=dict)  # "pods." -> count
    finalizers: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def reconcile(api: ClusterApi, clock: Clock, memory: dict) -> None:
    wake: list[dt.datetime] = []
    for namespace in api.list("namespaces").get("items", []):
        meta = namespace["metadata"]
        if not meta.get("deletionTimestamp"):
            continue
        if FINALIZER not in (namespace.get("spec", {}).get("finalizers") or []):
            continue
        estimate = namespace_sync(api, clock, namespace)
        if estimate:
            # Upstream requeues after estimate/2 + 1 seconds (namespace_controller.go).
            wake.append(clock.now() + dt.timedelta(seconds=estimate // 2 + 1))
    memory["wake_at"] = format_time(min(wake)) if wake else None


def namespace_sync(api: ClusterApi, clock: Clock, namespace: dict) -> int:
    """One pass over a Terminating namespace; the seconds to wait when content remains
    (0: it was finalized)."""
    name = namespace["metadata"]["name"]
    content = delete_content(api, name)
    namespace = _update_conditions(api, clock, namespace, content)
    if content.remaining or content.errors:
        return max(content.estimate, 1)
    api.explain(f"namespace {name} is Terminating and empty: removing its kubernetes finalizer")
    try:
        finalized = {
            **namespace,
            "spec": {
                **namespace.get("spec", {}),
                "finalizers": [f for f in namespace["spec"]["finalizers"] if f != FINALIZER],
            },
        }
        api.update("namespaces", finalized, subresource="finalize")
    except Exception as error:
        if _code(error) is None:
            raise
        if _code(error) != 404:  # gone already: nothing left to do
            return 1
    finally:
        api.explain("")
    return 0


def delete_content(api: ClusterApi, namespace: str) -> Content:
    """Delete every object in the namespace, then count what remains (upstream's
    deleteAllContent, with deleteEachItem for each resource)."""
    content = Content()
    for group, resource in NAMESPACED_RESOURCES:
        try:
            items = api.list(resource, namespace=namespace).get("items", [])
        except Exception as error:
            if _code(error) != 404:
                raise
            continue  # not served: nothing of that kind exists
        if resource == "pods":
            content.estimate = max(content.estimate, _pods_estimate(items))
        if not items:
            continue
        for item in items:
            if item["metadata"].get("deletionTimestamp"):
                continue  # already on its way out
            _delete(api, resource, namespace, item, content)
        remaining = api.list(resource, namespace=namespace).get("items", [])
        if not remaining:
            continue
        content.remaining[f"{resource}.{group}"] = len(remaining)
        held = False
        for item in remaining:
            for finalizer in item["metadata"].get("finalizers") or []:
                content.finalizers[finalizer] = content.finalizers.get(finalizer, 0) + 1
                held = True
        if held and not content.estimate:
            content.estimate = FINALIZER_ESTIMATE_SECONDS
        elif not held and resource != "pods":
            version = f"{group}/v1" if group else "/v1"
            content.errors.append(
                f"unexpected items still remain in namespace: {namespace} for gvr:"
                f" {version}, Resource={resource}"
            )
    return content


def _delete(api: ClusterApi, resource: str, namespace: str, item: dict, content: Content) -> None:
    name = item["metadata"]["name"]
    singular = (item.get("kind") or resource).lower()
    api.explain(
        f"namespace {namespace} is Terminating: deleting {singular} {namespace}/{name} in it"
    )
    try:
        api.delete(resource, name, namespace=namespace, propagation_policy="Background")
    except Exception as error:
        if _code(error) is None:
            raise
        if _code(error) not in (404, 405):
            content.errors.append(getattr(error, "message", str(error)))
    finally:
        api.explain("")


def _pods_estimate(pods: list[dict]) -> int:
    """The longest grace period of the pods still running (upstream's
    estimateGracefulTerminationForPods)."""
    estimate = 0
    for pod in pods:
        if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            continue
        estimate = max(estimate, int(pod.get("spec", {}).get("terminationGracePeriodSeconds", 30)))
    return estimate


def _update_conditions(api: ClusterApi, clock: Clock, namespace: dict, content: Content) -> dict:
    """Set the five deletion conditions as upstream's namespaceConditionUpdater does;
    write the status only when one changed."""
    wanted = dict(_OK)
    if content.errors:
        errors = sorted(content.errors)
        wanted["NamespaceDeletionContentFailure"] = (
            "ContentDeletionFailed",
            f"Failed to delete all resource types, {len(errors)} remaining: {', '.join(errors)}",
        )
    if content.remaining:
        counts = sorted(f"{gr} has {n} resource instances" for gr, n in content.remaining.items())
        wanted["NamespaceContentRemaining"] = (
            "SomeResourcesRemain",
            f"Some resources are remaining: {', '.join(counts)}",
        )
    if content.finalizers:
        counts = sorted(f"{f} in {n} resource instances" for f, n in content.finalizers.items())
        wanted["NamespaceFinalizersRemaining"] = (
            "SomeFinalizersRemain",
            f"Some content in the namespace has finalizers remaining: {', '.join(counts)}",
        )
    status = dict(namespace.get("status") or {})
    conditions = [dict(c) for c in status.get("conditions") or []]
    changed = False
    now = format_time(clock.now())
    for kind in CONDITION_TYPES:
        reason, message = wanted[kind]
        state = "True" if (reason, message) != _OK[kind] else "False"
        old = next((c for c in conditions if c.get("type") == kind), None)
        if old is None:
            conditions.append(
                {
                    "type": kind,
                    "status": state,
                    "lastTransitionTime": now,
                    "reason": reason,
                    "message": message,
                }
            )
            changed = True
        elif (old.get("status"), old.get("reason"), old.get("message")) != (state, reason, message):
            if old.get("status") != state:
                old["lastTransitionTime"] = now
            old.update(status=state, reason=reason, message=message)
            changed = True
    if not changed:
        return namespace
    name = namespace["metadata"]["name"]
    left = sum(content.remaining.values())
    api.explain(
        f"namespace {name} is Terminating: {left} objects left in it"
        if left
        else f"namespace {name} is Terminating: nothing left in it"
    )
    try:
        return api.update_status(
            "namespaces", {**namespace, "status": {**status, "conditions": conditions}}
        )
    except Exception as error:
        if _code(error) is None:
            raise
        return namespace
    finally:
        api.explain("")


def _code(error: Exception) -> int | None:
    return getattr(error, "code", None)


# A namespace being deleted is rare: in poll mode it looks every 10 s.
CONTROLLER = Controller(
    name="namespace",
    poll_seconds=10,
    reconcile=reconcile,
    watches=frozenset({"namespaces"}),
    wake_delay=WAKE_BATCH_SECONDS,
)
