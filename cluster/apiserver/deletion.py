"""Deletes, as upstream's generic Store.Delete: graceful deletion and finalizers first, the
object leaves the store only when neither holds it; namespaces go Terminating first."""

from __future__ import annotations

import copy
from dataclasses import replace

from cluster.apiserver import errors, reads, strategy
from cluster.apiserver.registry import Registry
from cluster.apiserver.results import Outcome, object_of, with_revision
from cluster.apiserver.strategy import GC_UNSUPPORTED, SYSTEM_NAMESPACES, TERMINATING
from cluster.apiserver.tracing import REVISION, Request, Stages
from cluster.objects import format_time
from cluster.store import KeyValue


def delete(
    registry: Registry,
    request: Request,
    stages: Stages,
    *,
    grace_period_seconds: int | None,
    preconditions: dict,
    propagation_policy: str | None,
) -> Outcome:
    rt = request.rt
    strategy.validate_delete_options(propagation_policy, grace_period_seconds, preconditions)
    existing = registry.existing(request)
    strategy.check_preconditions(rt, request.name, existing, preconditions)
    if rt.name == "namespaces":
        return _delete_namespace(registry, request, stages, existing, propagation_policy)
    obj = copy.deepcopy(existing.value)
    meta = obj["metadata"]
    now = registry.sandbox.now()
    graceful, pending = strategy.before_delete(rt, obj, grace_period_seconds, now)
    if pending:
        # Upstream: finalizers cannot be changed through DeleteOptions once a graceful
        # deletion is pending.
        return _unchanged(request, stages, existing, "is already terminating")
    if rt.name not in GC_UNSUPPORTED:
        strategy.set_finalizers(meta, strategy.finalizers_after_delete(meta, propagation_policy))
    finalizers = meta.get("finalizers") or []
    grace = meta.get("deletionGracePeriodSeconds", 0) if graceful else 0
    if finalizers:
        if not graceful:
            strategy.mark_as_deleting(meta, now)
        stages.passed("admission", f"waiting for finalizers: {', '.join(finalizers)}")
        waiting = ", ".join(finalizers)
        what = f"marked it for deletion; it stays until its finalizers ({waiting}) are removed"
        return _store_terminating(registry, request, stages, existing, obj, what)
    if grace > 0:
        stages.passed("admission", f"grace period {grace}s")
        what = f"marked it Terminating (grace period {grace}s)"
        return _store_terminating(registry, request, stages, existing, obj, what)
    stages.passed("admission", "grace period 0s, no finalizers: deleting now")
    return _remove(registry, request, stages, existing)


def list_to_delete(
    registry: Registry,
    request: Request,
    stages: Stages,
    *,
    label_selector: str,
    field_selector: str,
    grace_period_seconds: int | None,
    propagation_policy: str | None,
) -> Outcome:
    """A deletecollection's first step: its options checked, the objects it deletes
    listed (the API server then deletes each as a delete)."""
    strategy.validate_delete_options(propagation_policy, grace_period_seconds, {})
    listed = reads.list_objects(
        registry,
        request,
        stages,
        label_selector=label_selector,
        field_selector=field_selector,
        limit=None,
        continue_token="",
    )
    return replace(listed, narration=f"{listed.narration}, to delete each")


def remove_finalized(
    registry: Registry, request: Request, stages: Stages, existing: KeyValue, new: dict
) -> Outcome:
    """An update took the last finalizer off an object being deleted: the store deletes
    it (upstream's Store.Update with ShouldDeleteDuringUpdate)."""
    result, trace = registry.delete_stored(
        request,
        stages,
        existing,
        stage=f"no finalizers left: deleted {request.key} at revision {REVISION}",
        narration=(
            f"removed the last finalizer of {request.target}, which was being deleted:"
            f" the API server removed {request.key} from etcd at revision {REVISION}"
        ),
    )
    return Outcome.of_write(result, trace, with_revision(new, result.revision))


def _unchanged(request: Request, stages: Stages, existing: KeyValue, why: str) -> Outcome:
    stages.passed("etcd", f"{request.key} {why}")
    return Outcome(
        body=object_of(existing),
        code=200,
        revision=existing.mod_revision,
        narration=f"asked again to delete {request.target}, which {why}",
    )


def _store_terminating(
    registry: Registry,
    request: Request,
    stages: Stages,
    existing: KeyValue,
    obj: dict,
    what: str,
) -> Outcome:
    if obj == existing.value:
        return _unchanged(request, stages, existing, "is already being deleted")
    result, trace = registry.put(
        request,
        stages,
        obj,
        existing.mod_revision,
        code=200,
        stage=f"marked {request.key} for deletion at revision {REVISION}",
        narration=(
            f"asked to delete {request.target}: the API server {what}, at revision {REVISION}"
        ),
    )
    return Outcome.of_write(result, trace, with_revision(obj, result.revision))


def _remove(registry: Registry, request: Request, stages: Stages, existing: KeyValue) -> Outcome:
    """The object leaves the store, with what it held (a Service's node port); a lost
    race starts the call again."""
    rt = request.rt
    result, trace = registry.delete_stored(
        request,
        stages,
        existing,
        stage=f"deleted {request.key} at revision {REVISION}",
        narration=(
            f"deleted {request.target}: removed {request.key} from etcd at revision {REVISION}"
        ),
    )
    if rt.graceful_delete:
        body = with_revision(existing.value, existing.mod_revision)
    else:
        uid = existing.value.get("metadata", {}).get("uid", "")
        body = strategy.success_status(rt, request.name, uid)
    return Outcome.of_write(result, trace, body)


def _delete_namespace(
    registry: Registry,
    request: Request,
    stages: Stages,
    existing: KeyValue,
    propagation_policy: str | None,
) -> Outcome:
    """As upstream's namespace REST Delete: the first delete only marks the namespace
    Terminating; the namespace controller empties it and removes its "kubernetes"
    finalizer (namespaces/finalize), and then it goes."""
    if request.name in SYSTEM_NAMESPACES:
        raise errors.forbidden(request.rt, request.name, "this namespace may not be deleted")
    namespace = copy.deepcopy(existing.value)
    meta = namespace["metadata"]
    if not meta.get("deletionTimestamp"):
        meta["deletionTimestamp"] = format_time(registry.sandbox.now())
        namespace.setdefault("status", {})["phase"] = TERMINATING
        strategy.set_finalizers(meta, strategy.finalizers_after_delete(meta, propagation_policy))
        if not strategy.namespace_finalized(namespace):
            stages.passed("admission", "the namespace controller must empty it first")
            what = (
                "marked it Terminating; the namespace controller deletes what is in it,"
                " then the namespace goes"
            )
            return _store_terminating(registry, request, stages, existing, namespace, what)
    if not strategy.namespace_finalized(namespace):
        return _unchanged(request, stages, existing, "is already terminating")
    stages.passed("admission", "the namespace is finalized: deleting now")
    return _remove(registry, request, stages, existing)
